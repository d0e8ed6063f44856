// pauper's own work per sample in process, where nothing else is: CPU time and bytes allocated a
// sample (V8's sampling heap profiler, objects that GC collected counted too) for three loops over
// the same in-process model with native `n` (8 tasks x 512 samples x 6 rounds, answers on the next
// turn of the event loop): the hand-written loop (bench/lib/hand-loop.ts), the same loop keeping
// per sample what pauper's result holds, and pauper. Sides interleaved, medians.
// Run: npm run bench:per-sample (builds dist/ first). Writes bench/per-sample-results.json.
import './lib/published.js';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { iterate } from 'pauper';
import { handLoop, loopShape, providerOver, reward, type Call } from './lib/hand-loop.js';

const repeats = 15;
const shape = loopShape(512, 6);
const samplesPerRun = shape.tasks.length * shape.samples * shape.rounds;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const call: Call = async (messages, n) => {
  await nextTurn();
  const task = messages.at(-1)?.content ?? '';
  return Array.from({ length: n }, (_, index) => `echo: ${task} #${index}`);
};
const provider = providerOver(call, true);
const sides = {
  hand: () => handLoop(call, true, shape),
  'hand, keeping trajectories': () => handLoop(call, true, shape, 'trajectories'),
  pauper: () => iterate({ provider, tasks: shape.tasks, reward: (sample) => reward(sample.text), samples: shape.samples, iterations: shape.rounds - 1, keep: shape.keep, concurrency: shape.concurrency, progress: false }),
} satisfies Record<string, () => PromiseLike<unknown>>;
type Side = keyof typeof sides;
const names = Object.keys(sides) as Side[];
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;

/** Bytes allocated a sample over three runs of a side, sampled every 128 bytes. */
async function allocated(side: Side): Promise<number> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let run = 0; run < 3; run++) await sides[side]();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const walk = (node: typeof profile.head): void => {
    bytes += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return bytes / (3 * samplesPerRun);
}

const loadAtStart = loadavg();
for (let warm = 0; warm < 3; warm++) for (const name of names) await sides[name]();
const cpu: Record<Side, number[]> = { hand: [], 'hand, keeping trajectories': [], pauper: [] };
for (let repeat = 0; repeat < repeats; repeat++) {
  for (const name of repeat % 2 === 0 ? names : [...names].reverse()) {
    const start = process.cpuUsage();
    await sides[name]();
    const used = process.cpuUsage(start);
    cpu[name].push((used.user + used.system) / samplesPerRun);
  }
}
const rows = [];
for (const name of names) {
  const row = { side: name, cpuMicroseconds: Math.round(median(cpu[name]) * 100) / 100, allocatedBytes: Math.round(await allocated(name)) };
  rows.push(row);
  console.log(`${name.padEnd(28)} ${row.cpuMicroseconds.toFixed(2)} µs of CPU, ${row.allocatedBytes} bytes allocated a sample`);
}
const report = {
  date: new Date().toISOString(),
  node: process.version,
  command: 'npm run bench:per-sample',
  shape: `${shape.tasks.length} tasks x ${shape.samples} samples x ${shape.rounds} rounds, native n, in process; CPU: medians of ${repeats}, interleaved`,
  load: { start: loadAtStart, end: loadavg() },
  rows,
};
writeFileSync(fileURLToPath(new URL('./per-sample-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
