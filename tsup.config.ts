import { defineConfig, type Options } from 'tsup';

const entry = ['src/index.ts'];

const shared: Options = {
  entry,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
};

export default defineConfig([
  // The declarations, index.d.ts and index.d.cts, from one TypeScript build: a `dts` on each of the
  // two builds below would compile the program twice for the same text (build 43 s → 22 s of CPU).
  { entry, target: 'node20', platform: 'node', format: ['esm', 'cjs'], dts: { only: true } },
  { ...shared, format: 'esm' },
  // p-limit and p-retry ship ESM only; bundling them keeps `require('pauper')`
  // working without relying on Node's require(esm) interop.
  { ...shared, format: 'cjs', shims: true, noExternal: ['p-limit', 'yocto-queue', 'p-retry', 'is-network-error'] },
  // The `pauper` command (package.json `bin`): ESM only, run by Node directly.
  { entry: { cli: 'src/cli/bin.ts' }, format: 'esm', target: 'node20', platform: 'node', sourcemap: true, banner: { js: '#!/usr/bin/env node' } },
]);
