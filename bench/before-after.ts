// pauper's own CPU per sample, an earlier build against this one, interleaved in one process: what a change
// to the per-sample path bought. The earlier build is any checkout's built dist/:
//   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules && (cd /tmp/before && npx tsup)
//   npm run bench:before-after -- /tmp/before
// Writes bench/before-after-results.json (medians of CPU per sample; read the ratios, the machine is shared).
import './lib/published.js';
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import * as after from 'pauper';
import { reward } from './lib/hand-loop.js';

type Library = typeof after;
const beforeDirectory = process.argv[2];
if (beforeDirectory === undefined) {
  console.error('Give the earlier checkout, built: npm run bench:before-after -- /tmp/before');
  process.exit(2);
}
const before = (await import(pathToFileURL(join(resolve(beforeDirectory), 'dist/index.js')).href)) as Library;
const beforeCommit = execFileSync('git', ['-C', beforeDirectory, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;
type Sides = (library: Library) => () => PromiseLike<unknown>;

/** Native `n` in process: 8 tasks, `samples` each, 6 rounds, a provider that answers on the next turn of the event loop. */
const nativeN =
  (samples: number): Sides =>
  (library) => {
    const tasks = Array.from({ length: 8 }, (_, index) => `task ${index}`);
    const provider: after.Provider = {
      name: 'function',
      model: 'in-process',
      capabilities: { nativeN: true, temperature: true, seed: true, promptCaching: false, batch: false },
      async sample(request, options) {
        await new Promise((next) => setImmediate(next));
        const task = request.messages.at(-1)?.content ?? '';
        const completions = Array.from({ length: options.n }, (_, index) => ({ text: `echo: ${task} #${index}` }));
        return { completions, usage: { ...library.zeroUsage, requests: 1, inputTokens: 10 * options.n, outputTokens: 7 * options.n }, costUsd: 0.000001 * options.n };
      },
    };
    return () => library.iterate({ provider, tasks, reward: (sample) => reward(sample.text), samples, iterations: 5, keep: 4, concurrency: 32, progress: false });
  };

/** One request per sample (`fromFunction`): 50 tasks × 1,000 samples × 2 rounds, with or without a journal. */
const fanOut =
  (journal: boolean): Sides =>
  (library) => {
    const tasks = Array.from({ length: 50 }, (_, index) => `task ${index}`);
    const path = join(tmpdir(), `pauper-before-after-${process.pid}.jsonl`);
    const provider = library.fromFunction((request) => `echo: ${request.messages.at(-1)?.content ?? ''} #${(request.seed ?? 0) % 97}`);
    return () => {
      if (journal) rmSync(path, { force: true });
      return library.iterate({ provider, tasks, reward: (sample) => reward(sample.text), samples: 1000, iterations: 1, keep: 4, concurrency: 64, progress: false, ...(journal ? { journal: path } : {}) });
    };
  };

const shapes = [
  { shape: 'native n, 8 tasks x 64 samples x 6 rounds', run: nativeN(64), samples: 8 * 64 * 6, repeats: 21 },
  { shape: 'native n, 8 tasks x 1 sample x 6 rounds (the fixed cost of a round)', run: nativeN(1), samples: 8 * 6, repeats: 41 },
  { shape: 'one request per sample, 50 tasks x 1,000 x 2 rounds, no journal', run: fanOut(false), samples: 100_000, repeats: 7 },
  { shape: 'one request per sample, 50 tasks x 1,000 x 2 rounds, with a journal', run: fanOut(true), samples: 100_000, repeats: 7 },
];
const loadAtStart = loadavg();
const rows = [];
for (const { shape, run, samples, repeats } of shapes) {
  const sides = { before: run(before), after: run(after) };
  const cpu: Record<keyof typeof sides, number[]> = { before: [], after: [] };
  for (let warm = 0; warm < 2; warm++) for (const side of Object.values(sides)) await side();
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const name of repeat % 2 === 0 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
      const start = process.cpuUsage();
      await sides[name]();
      const used = process.cpuUsage(start);
      cpu[name].push((used.user + used.system) / samples);
    }
  }
  const row = { shape, repeats, beforeMicroseconds: median(cpu.before), afterMicroseconds: median(cpu.after), ratio: median(cpu.after) / median(cpu.before) };
  rows.push(row);
  console.log(`${shape}: before ${row.beforeMicroseconds.toFixed(2)} µs, after ${row.afterMicroseconds.toFixed(2)} µs of CPU a sample, ${row.ratio.toFixed(2)}×`);
}
const report = { date: new Date().toISOString(), node: process.version, before: beforeCommit, load: { start: loadAtStart, end: loadavg() }, rows };
writeFileSync(fileURLToPath(new URL('./before-after-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
