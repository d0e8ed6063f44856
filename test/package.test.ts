import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = `
  const run = pauper.iterate({ provider: pauper.scripted(['ok']), tasks: ['a'], reward: () => 1, iterations: 1 });
  run.then((result) => console.log(JSON.stringify({ iterations: result.iterations.length, exports: Object.keys(pauper).length })));
`;

describe('the built package', () => {
  it('runs a loop from require() and from import', () => {
    if (!existsSync(`${root}/dist/index.cjs`)) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    const fromRequire = execFileSync(process.execPath, ['-e', `const pauper = require('pauper');${script}`], { cwd: root, encoding: 'utf8' });
    const fromImport = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as pauper from 'pauper';${script}`], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(fromRequire)).toEqual(JSON.parse(fromImport));
    expect(JSON.parse(fromRequire).iterations).toBe(2);
  });
});
