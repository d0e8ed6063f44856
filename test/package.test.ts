import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = `
  const run = pauper.iterate({ provider: pauper.scripted(['ok']), tasks: ['a'], reward: () => 1, iterations: 1 });
  run.then((result) => console.log(JSON.stringify({ iterations: result.iterations.length, exports: Object.keys(pauper).length })));
`;

function requireDist(): void {
  if (!existsSync(`${root}/dist/index.cjs`)) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
}

const consumers: string[] = [];
afterAll(() => {
  for (const directory of consumers) rmSync(directory, { recursive: true, force: true });
});

/**
 * A project outside this repository with pauper installed as a package and
 * neither SDK present: what a user of only the offline learner, or of only one
 * provider, has.
 */
function consumerProject(source: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'pauper-consumer-'));
  consumers.push(directory);
  const modules = join(directory, 'node_modules');
  mkdirSync(join(modules, 'pauper'), { recursive: true });
  mkdirSync(join(modules, '@types'), { recursive: true });
  cpSync(join(root, 'package.json'), join(modules, 'pauper', 'package.json'));
  cpSync(join(root, 'dist'), join(modules, 'pauper', 'dist'), { recursive: true });
  symlinkSync(join(root, 'node_modules', 'zod'), join(modules, 'zod'), 'dir');
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'), 'dir');
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  writeFileSync(
    join(directory, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: ['consumer.ts'],
    }),
  );
  writeFileSync(join(directory, 'consumer.ts'), source);
  return directory;
}

describe('the built package', () => {
  it('runs a loop from require() and from import', () => {
    requireDist();
    const fromRequire = execFileSync(process.execPath, ['-e', `const pauper = require('pauper');${script}`], { cwd: root, encoding: 'utf8' });
    const fromImport = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as pauper from 'pauper';${script}`], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(fromRequire)).toEqual(JSON.parse(fromImport));
    expect(JSON.parse(fromRequire).iterations).toBe(2);
  });

  it('type-checks with skipLibCheck off in a project that has neither SDK installed', () => {
    requireDist();
    const directory = consumerProject(`
import { anthropic, inContextLearner, iterate, openai, type RunResult } from 'pauper';

const provider = process.env.OPENAI_API_KEY ? openai({ model: 'gpt-4.1-mini' }) : inContextLearner({ alphabet: 'ab' });
void anthropic;
const result: Promise<RunResult<string, string, undefined>> = iterate({
  provider,
  tasks: ['a'],
  reward: (sample) => sample.output.length,
}).then((run) => run);
void result;
`);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      output = execFileSync(process.execPath, [tsc, '-p', directory], { cwd: directory, encoding: 'utf8' });
    } catch (error) {
      const failed = error as { stdout?: string };
      output = failed.stdout ?? String(error);
    }
    expect(output).toBe('');
    expect(existsSync(join(directory, 'node_modules', 'openai'))).toBe(false);
  }, 60_000);
});
