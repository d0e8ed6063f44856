// What live progress costs: 50,000 samples (100 tasks × 100 samples × 5 iterations) through a
// zero-latency provider with progress off, on as lines, and on as a status line redrawn on a
// terminal (a sink that says it is one), in turns; medians of seven runs of each, wall and CPU time.
// The reporter alone is also timed on the events of one such run, replayed.
// Writes bench/progress-results.json. Run: npm run bench:progress (outside CI: CI turns redraws into lines)
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { iterate, scripted, type ProgressOptions } from '../src/index.js';
import { createProgress } from '../src/loop/progress.js';
import type { RunEvent } from '../src/run/events.js';

const options = { tasks: Array.from({ length: 100 }, (_, index) => `t${index}`), reward: () => 1, samples: 100, iterations: 4, concurrency: 64 };
const rounds = 7;
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** A terminal, or a pipe, that counts what it is sent and keeps none of it. */
function sink(isTTY: boolean): { readonly stream: NonNullable<ProgressOptions['stream']>; readonly writes: () => number } {
  let writes = 0;
  return { stream: { isTTY, columns: 80, write: () => (writes += 1) }, writes: () => writes };
}

/** Wall time and the process's CPU time (less disturbed by other work on the machine) of one run. */
async function timed(progress: false | ProgressOptions): Promise<{ ms: number; cpuMs: number; samples: number }> {
  globalThis.gc?.();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const run = await iterate({ ...options, provider: scripted(() => 'ok'), progress });
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { ms, cpuMs: (user + system) / 1000, samples: run.trajectories.length };
}

const modes = { off: () => ({ progress: false as const, writes: () => 0 }), lines: () => withSink(false), terminal: () => withSink(true) };
function withSink(isTTY: boolean): { progress: ProgressOptions; writes: () => number } {
  const { stream, writes } = sink(isTTY);
  return { progress: { stream }, writes };
}

const times: Record<keyof typeof modes, number[]> = { off: [], lines: [], terminal: [] };
const cpuTimes: Record<keyof typeof modes, number[]> = { off: [], lines: [], terminal: [] };
const writes: Record<keyof typeof modes, number> = { off: 0, lines: 0, terminal: 0 };
let samples = 0;
await timed(false); // warm-up: JIT and module loading are not progress's
for (let round = 0; round < rounds; round++) {
  for (const mode of Object.keys(modes) as (keyof typeof modes)[]) {
    const { progress, writes: count } = modes[mode]();
    const result = await timed(progress);
    times[mode].push(result.ms);
    cpuTimes[mode].push(result.cpuMs);
    writes[mode] = count();
    samples = result.samples;
  }
}

/**
 * The reporter alone, timed on the run's events replayed (50,000 sample events on a terminal with
 * the real clock; the median of `rounds` replays, the first warms the JIT up): what progress adds
 * per sample, free of the run-to-run noise of the rest.
 */
async function reporterAlone(): Promise<{ ms: number; redraws: number }> {
  const events: RunEvent<unknown, unknown, unknown>[] = [];
  await iterate({ ...options, provider: scripted(() => 'ok'), progress: false, onEvent: (event) => events.push(event) });
  const replays: number[] = [];
  let redraws = 0;
  for (let round = 0; round < rounds; round++) {
    const { stream, writes } = sink(true);
    const progress = createProgress({ stream, redraw: true, interval: 100 });
    const started = performance.now();
    for (const event of events) progress.onEvent(event);
    replays.push(performance.now() - started);
    redraws = writes();
  }
  return { ms: median(replays), redraws };
}
const alone = await reporterAlone();

const off = median(times.off);
const cpuOff = median(cpuTimes.off);
const report = {
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  samples,
  rounds,
  offMs: Math.round(off),
  linesMs: Math.round(median(times.lines)),
  terminalMs: Math.round(median(times.terminal)),
  linesRatio: Number((median(times.lines) / off).toFixed(3)),
  terminalRatio: Number((median(times.terminal) / off).toFixed(3)),
  cpuOffMs: Math.round(cpuOff),
  cpuLinesRatio: Number((median(cpuTimes.lines) / cpuOff).toFixed(3)),
  cpuTerminalRatio: Number((median(cpuTimes.terminal) / cpuOff).toFixed(3)),
  reporterMs: Number(alone.ms.toFixed(1)),
  reporterNsPerSample: Math.round((alone.ms * 1e6) / samples),
  reporterShareOfRun: Number((alone.ms / off).toFixed(4)),
  reporterWrites: alone.redraws,
  linesWrites: writes.lines,
  terminalWrites: writes.terminal,
};
console.log(report);
await writeFile(fileURLToPath(new URL('./progress-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
