// The benches that import 'pauper' measure what users run: the published build in dist/, through the
// package's own exports. The root tsconfig maps 'pauper' to src/ (for type-checking and the examples),
// and tsx follows that mapping unless it is given bench/tsconfig.dist.json, as every `npm run bench*`
// script does. Importing this module first makes a bench refuse to measure src/ by mistake.
const resolved = import.meta.resolve('pauper');
if (!resolved.endsWith('/dist/index.js')) {
  throw new Error(
    `'pauper' resolves to ${resolved}, not the published build in dist/: run the bench through its npm script ` +
      '(npm run bench:<name>), or set TSX_TSCONFIG_PATH=bench/tsconfig.dist.json, after npm run build.',
  );
}
export {};
