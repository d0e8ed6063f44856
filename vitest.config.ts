import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Examples and tests import 'pauper' as a user would; here it resolves to the source.
  resolve: { alias: { pauper: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    // Compiles the TypeScript once per run for the child processes tests start (test/children.ts `compiled`).
    globalSetup: ['test/compile.ts'],
    // The type tests run `tsc --noEmit` on tsconfig.json, the whole project: with source errors not ignored,
    // a type error in any file (src, test, examples, bench) fails the run, so `npm test` runs no tsc of its own.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], ignoreSourceErrors: false },
    testTimeout: 30_000,
    // Set-up hooks build journals, a TypeScript program or a browser: seconds alone, more beside other files.
    hookTimeout: 60_000,
    // Most test files wait on child processes, loopback servers and a browser rather than compute:
    // twice as many workers as this machine's two cores overlap those waits (suite 167 s → 119 s).
    maxWorkers: 4,
    // Test files share a worker's module registry instead of importing pauper, zod and the SDKs anew
    // for each file (import time over the suite 110 s → 32 s; suite 180 s → 143 s here). Tests restore
    // what they change (vi.unstubAllEnvs) and pauper keeps no state between runs.
    isolate: false,
  },
});
