// The layer rule of ARCHITECTURE.md, checked by `npm run check:layers` (part of `npm test`).
// Bottom to top; a module may import its own layer and the layers below it, never one above.
const layers = ['core', 'providers', 'journal', 'run', 'stages', 'blocks', 'loop', 'report', 'cli'];

const upward = layers.map((layer, index) => ({
  name: `${layer}-imports-upward`,
  comment: `src/${layer}/ may import only ${layers.slice(0, index + 1).join(', ')}; nothing above it.`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${[...layers.slice(index + 1), 'index\\.ts'].join('|')})` },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-cycles',
      comment: 'No import cycle, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'spec-not-concrete-providers',
      comment: 'Above providers/, code depends on the provider spec only, never on a concrete provider or the transport.',
      severity: 'error',
      from: { path: '^src/(run|stages|blocks|loop)/' },
      to: { path: '^src/providers/', pathNot: '^src/providers/spec\\.ts$' },
    },
    {
      name: 'journal-not-providers',
      comment: 'The journal records what the spec describes; it never reaches into a concrete provider.',
      severity: 'error',
      from: { path: '^src/journal/' },
      to: { path: '^src/providers/', pathNot: '^src/providers/spec\\.ts$' },
    },
  ],
  options: {
    // Type-only imports count: a cycle through types is still a cycle to a reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)' },
    moduleSystems: ['es6'],
  },
};
