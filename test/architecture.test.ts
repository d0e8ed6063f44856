import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

/** Runs the layer check of `npm test` on a copy of src/ changed by `change`; resolves with its exit code and output. */
async function checkCopy(directory: string, change: (src: string) => Promise<void>): Promise<{ code: number; output: string }> {
  const copy = await mkdtemp(join(directory, 'copy-'));
  await cp(join(root, 'src'), join(copy, 'src'), { recursive: true });
  await cp(join(root, '.dependency-cruiser.cjs'), join(copy, '.dependency-cruiser.cjs'));
  await cp(join(root, 'tsconfig.json'), join(copy, 'tsconfig.json'));
  await change(join(copy, 'src'));
  try {
    const { stdout, stderr } = await run(depcruise, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: copy });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('the layer check (ARCHITECTURE.md)', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pauper-layers-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('passes on the source as it is', async () => {
    const { code, output } = await checkCopy(directory, async () => {});
    expect(output).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  });

  // One copy with every kind of violation: each depcruise run compiles all of src/ (several seconds).
  it('fails on a type-only import cycle, on an import from a layer above, and when a stage imports a concrete provider', async () => {
    const { code, output } = await checkCopy(directory, async (src) => {
      // core importing the loop: upward, and (through the loop's own imports of core) a cycle.
      await writeFile(join(src, 'core', 'upward.ts'), "import type { IterateOptions } from '../loop/iterate.js';\nexport type Upward = IterateOptions<string>;\n");
      await writeFile(join(src, 'stages', 'cycle-a.ts'), "import type { B } from './cycle-b.js';\nexport interface A { readonly b?: B }\n");
      await writeFile(join(src, 'stages', 'cycle-b.ts'), "import type { A } from './cycle-a.js';\nexport interface B { readonly a?: A }\n");
      await writeFile(join(src, 'stages', 'concrete.ts'), "import { openai } from '../providers/openai.js';\nexport const make = openai;\n");
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/core-imports-upward: src\/core\/upward\.ts → src\/loop\/iterate\.ts/);
    expect(output).toMatch(/no-cycles: src\/stages\/cycle-a\.ts/);
    expect(output).toMatch(/spec-not-concrete-providers: src\/stages\/concrete\.ts → src\/providers\/openai\.ts/);
  });
});
