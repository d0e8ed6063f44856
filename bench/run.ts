// npm run bench: runs the benches that feed bench/RESULTS.md, each in a fresh process, one after
// another, then writes RESULTS.md from their results files (bench/results-md.ts).
//   npm run bench                  every bench, full size (several minutes)
//   npm run bench -- --quick       the quick benches at a smaller size; the slow ones' committed results are read
//   npm run bench -- --only ax,tokens   those benches only; the others' committed results are read
//   npm run bench -- --render      no bench: RESULTS.md again from the committed results files
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benches, readResults, renderResults, type BenchKey, type BenchStatus } from './results-md.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const render = args.includes('--render');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex < 0 ? undefined : new Set((args[onlyIndex + 1] ?? '').split(',').filter(Boolean));
const knownKeys = new Set<string>(benches.map((spec) => spec.key));
if (only !== undefined && only.size === 0) {
  console.error(`--only needs a comma-separated list of benches: ${[...knownKeys].join(',')}.`);
  process.exit(2);
}
for (const key of only ?? []) {
  if (!knownKeys.has(key)) {
    console.error(`--only: unknown bench '${key}'; the benches are ${[...knownKeys].join(', ')}.`);
    process.exit(2);
  }
}
const unknown = args.filter((arg, index) => !['--quick', '--render', '--only'].includes(arg) && !(onlyIndex >= 0 && index === onlyIndex + 1));
if (unknown.length > 0) {
  console.error(`Unknown argument ${unknown.join(' ')}; use --quick, --only <${[...knownKeys].join(',')}> or --render.`);
  process.exit(2);
}

const [cpu] = cpus();
const machine = {
  cpuModel: cpu?.model.trim() ?? 'unknown CPU',
  cpus: cpus().length,
  memoryGb: totalmem() / 2 ** 30,
  freeMemoryGb: freemem() / 2 ** 30,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const date = new Date().toISOString();
const loadBefore = loadavg();
const statuses = new Map<BenchKey, BenchStatus>();

// The benches that import 'pauper' measure the published build: build it from the source first.
if (!render) {
  console.log('== npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('npm run build failed: the benches would measure a stale dist/. Fix the build, then rerun.');
    process.exit(1);
  }
}

for (const spec of benches) {
  if (render) {
    statuses.set(spec.key, { kind: 'read', why: 'rendered with --render' });
    continue;
  }
  if (only !== undefined && !only.has(spec.key)) {
    statuses.set(spec.key, { kind: 'read', why: `not in --only ${[...only].join(',')}` });
    continue;
  }
  if (only === undefined && quick && spec.quick === 'read') {
    statuses.set(spec.key, { kind: 'read', why: 'a slow bench, not rerun by --quick' });
    continue;
  }
  if (!existsSync(fileURLToPath(new URL(`../${spec.script}`, import.meta.url)))) {
    statuses.set(spec.key, { kind: 'failed', why: `\`${spec.script}\` does not exist yet` });
    continue;
  }
  if (spec.requires !== undefined && !existsSync(fileURLToPath(new URL(`../${spec.requires.path}`, import.meta.url)))) {
    statuses.set(spec.key, { kind: 'failed', why: `\`${spec.requires.path}\` is missing: ${spec.requires.hint}` });
    console.error(`bench ${spec.key}: skipped, ${spec.requires.hint}`);
    continue;
  }
  console.log(`\n== ${spec.key}: ${spec.script}${quick ? ' --quick' : ''}`);
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', spec.script, ...(quick ? ['--quick'] : [])], {
    cwd: root,
    stdio: 'inherit',
    // 'pauper' is the published build in dist/ (see bench/lib/published.ts), not src/ through the root tsconfig's paths.
    env: { ...process.env, TSX_TSCONFIG_PATH: 'bench/tsconfig.dist.json' },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (child.status === 0) statuses.set(spec.key, { kind: 'ran' });
  else statuses.set(spec.key, { kind: 'failed', why: child.error?.message ?? `exit code ${child.status ?? child.signal}` });
  console.log(`== ${spec.key}: ${child.status === 0 ? 'done' : 'FAILED'} in ${seconds} s`);
}

const page = renderResults({
  date,
  command: ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' '),
  quick,
  machine,
  loadBefore: render ? undefined : loadBefore,
  loadAfter: render ? undefined : loadavg(),
  results: readResults(root, statuses),
});
writeFileSync(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), page);
console.log('\nWrote bench/RESULTS.md');
if ([...statuses.values()].some((status) => status.kind === 'failed')) process.exitCode = 1;
