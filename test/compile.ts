// vitest's globalSetup (vitest.config.ts): compiles the repository's TypeScript once per test run,
// file by file, into a JavaScript copy of the tree that `node` runs as it is. Tests start their child
// processes (killed runs, examples, fixtures) on that copy instead of through tsx: a child then spends
// about 0.4 s of CPU starting instead of 1.6 s (tsx's loader hooks cost ~1 s per process even with its
// cache warm), over some fifty children a run.
//
// The copy is the same code: each file is compiled alone with vite's oxc transform (vitest's own, so a
// function's source text reads the same in a child and in the test beside it), imports untouched,
// `import.meta.url` each file's own. `pauper` resolves to the copy of src/index.ts, as tsconfig.json's
// `paths` make it for tsx and vitest, through a package in the copy's node_modules; the rest of
// node_modules resolves from the repository's, above the copy.
import { mkdir, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformWithOxc } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The root of this run's compiled copy of the repository (test/compile.ts). */
    compiledRoot: string;
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));
/** The folders copied, and what in them is left out: the test files themselves run in vitest. */
const folders = ['src', 'examples', 'test'];
const left = /\.test(-d)?\.ts$|\.d\.ts$/;
/** One folder per vitest process, so two runs in one checkout never share (or delete) a copy. */
const parent = join(root, '.cache', 'compiled');

/** Whether process `pid` is running. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the copies of runs that ended without their teardown (killed, say). */
async function removeStale(): Promise<void> {
  const names = await readdir(parent).catch(() => []);
  await Promise.all(names.filter((name) => /^\d+$/.test(name) && !running(Number(name))).map((name) => rm(join(parent, name), { recursive: true, force: true })));
}

async function compileFile(file: string, directory: string): Promise<void> {
  const source = join(root, file);
  // Throws on a syntax error, naming the file.
  const { code } = await transformWithOxc(await readFile(source, 'utf8'), source, { target: 'node20' });
  const target = join(directory, file.replace(/\.ts$/, '.js'));
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, code);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await removeStale();
  const directory = join(parent, String(process.pid));
  await rm(directory, { recursive: true, force: true });
  const files = (
    await Promise.all(
      folders.map(async (folder) =>
        (await readdir(join(root, folder), { recursive: true })).filter((name) => name.endsWith('.ts') && !left.test(name)).map((name) => join(folder, name)),
      ),
    )
  ).flat();
  await Promise.all(files.map((file) => compileFile(file, directory)));
  // No `name`: `pauper` must not resolve to this package itself (the root package.json's self-reference
  // would give dist/), but to node_modules/pauper below, the copy of src/.
  await writeFile(join(directory, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
  await mkdir(join(directory, 'node_modules', 'pauper'), { recursive: true });
  await writeFile(join(directory, 'node_modules', 'pauper', 'package.json'), `${JSON.stringify({ name: 'pauper', type: 'module', exports: './index.js' })}\n`);
  await writeFile(join(directory, 'node_modules', 'pauper', 'index.js'), "export * from '../../src/index.js';\n");
  project.provide('compiledRoot', directory);
  return () => rm(directory, { recursive: true, force: true });
}
