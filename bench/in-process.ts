// Overhead in process: pauper's iterate() with a 20 ms function provider against the
// latency-bound ideal (rounds x waves x latency) and a bare p-limit + setTimeout loop doing the
// same sample -> score -> top-k -> fold. 8 tasks x 64 samples x 6 rounds at concurrency 32, one
// request per sample (a function provider has no native n). Sides interleaved, warm-up first,
// medians of 7. Run: npm run bench:in-process. Writes bench/in-process-results.json (committed).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { fromFunction, iterate } from 'pauper';

const repeats = 7;
const taskCount = 8;
const samples = 64;
const rounds = 6;
const concurrency = 32;
const keep = 4;
const latencyMs = 20;

const tasks = Array.from({ length: taskCount }, (_, i) => `task ${i}`);
/** The model stand-in: answers after `latencyMs` with a number derived from a counter, which is the reward. */
let answered = 0;
async function model(): Promise<string> {
  await sleep(latencyMs);
  answered++;
  return `answer #${(answered * 7) % 97}`;
}
const reward = (text: string): number => Number(text.slice(text.lastIndexOf('#') + 1)) || 0;

/** The latency-bound ideal: every round waits `samples * tasks / concurrency` latencies, nothing else. */
const idealMs = rounds * Math.ceil((taskCount * samples) / concurrency) * latencyMs;

type Message = { readonly role: 'user' | 'assistant'; readonly content: string };

/** The loop with nothing but p-limit and the model call. */
async function bareLoop(): Promise<void> {
  const limit = pLimit(concurrency);
  let kept: { reward: number; turns: Message[] }[] = [];
  for (let round = 0; round < rounds; round++) {
    const perTask = await Promise.all(
      tasks.map((task) =>
        Promise.all(
          Array.from({ length: samples }, () =>
            limit(async () => {
              const text = await model();
              return { reward: reward(text), turns: [{ role: 'user' as const, content: task }, { role: 'assistant' as const, content: text }] };
            }),
          ),
        ),
      ),
    );
    kept = [...kept, ...perTask.flat()].sort((a, b) => b.reward - a.reward).slice(0, keep);
  }
}

async function pauperLoop(): Promise<void> {
  await iterate({ provider: fromFunction(model), tasks, reward: (sample) => reward(sample.text), samples, iterations: rounds - 1, keep, concurrency });
}

interface Side {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly overIdeal: number;
  readonly runsMs: readonly number[];
}

async function timed(run: () => Promise<void>): Promise<number> {
  globalThis.gc?.();
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

function summarise(runsMs: readonly number[]): Side {
  const sorted = [...runsMs].sort((a, b) => a - b);
  const medianMs = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return {
    medianMs: round(medianMs),
    minMs: round(sorted[0] ?? 0),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    overIdeal: round(medianMs / idealMs),
    runsMs: runsMs.map(round),
  };
}

await pauperLoop();
await bareLoop();
const pauperMs: number[] = [];
const bareMs: number[] = [];
for (let i = 0; i < repeats; i++) {
  if (i % 2 === 0) {
    pauperMs.push(await timed(pauperLoop));
    bareMs.push(await timed(bareLoop));
  } else {
    bareMs.push(await timed(bareLoop));
    pauperMs.push(await timed(pauperLoop));
  }
}
const [load1] = (await import('node:os')).loadavg();
const report = {
  date: new Date().toISOString(),
  node: process.version,
  machine: `2 cores, shared (load average ${load1?.toFixed(1)} at the end); medians of ${repeats} interleaved runs after a warm-up`,
  shape: `${taskCount} tasks x ${samples} samples x ${rounds} rounds, concurrency ${concurrency}, top-${keep} fold, a function provider answering after ${latencyMs} ms`,
  idealMs,
  pauper: summarise(pauperMs),
  bare: summarise(bareMs),
};
writeFileSync(fileURLToPath(new URL('./in-process-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
const line = (label: string, side: Side) =>
  `${label.padEnd(26)} ${side.medianMs.toFixed(0)} ms (${side.minMs.toFixed(0)}–${side.maxMs.toFixed(0)})  ${side.overIdeal}x the ideal ${idealMs} ms`;
console.log(line('pauper', report.pauper));
console.log(line('p-limit + setTimeout', report.bare));
