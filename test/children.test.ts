import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import * as pauper from 'pauper';
import { compiled, killLeftovers, tracked } from './children.js';

it('kills the tracked children still running, and forgets the ones that exited', async () => {
  const done = tracked(spawn(process.execPath, ['-e', '']));
  await once(done, 'exit');
  const hanging = tracked(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']));
  const exited = once(hanging, 'exit');
  killLeftovers();
  const [code, signal] = await exited;
  expect([code, signal]).toEqual([null, 'SIGKILL']);
  expect(done.signalCode).toBeNull();
});

it('in the compiled copy children run, `pauper` is the copy of src/index.ts, not dist/', async () => {
  const source = pathToFileURL(compiled('src/index.ts')).href;
  const script = [
    "import * as byName from 'pauper';",
    `import * as copy from ${JSON.stringify(source)};`,
    'console.log(JSON.stringify({ same: byName.iterate === copy.iterate, names: Object.keys(byName).sort() }));',
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: compiled('examples') });
  expect(JSON.parse(stdout)).toEqual({ same: true, names: Object.keys(pauper).sort() });
});
