import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  entry: ['src/index.ts'],
  dts: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
};

export default defineConfig([
  { ...shared, format: 'esm' },
  // p-limit and p-retry ship ESM only; bundling them keeps `require('pauper')`
  // working without relying on Node's require(esm) interop.
  { ...shared, format: 'cjs', shims: true, noExternal: ['p-limit', 'yocto-queue', 'p-retry', 'is-network-error'] },
  // The `pauper` command (package.json `bin`): ESM only, run by Node directly.
  { entry: { cli: 'src/cli/bin.ts' }, format: 'esm', target: 'node20', platform: 'node', sourcemap: true, banner: { js: '#!/usr/bin/env node' } },
]);
