// Loop overhead benchmark: how much time and memory pauper itself adds per
// sample, with providers that answer at once (in-process) or over loopback HTTP.
// Run: npm run bench:loop. Writes bench/results.json (committed).
import './lib/published.js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inContextLearner, iterate, openai, scripted } from 'pauper';
import { startOpenAIServer } from '../test/servers/openai-server.js';

const repeats = 5;

interface Measure {
  readonly name: string;
  readonly samples: number;
  readonly medianMs: number;
  readonly microsecondsPerSample: number;
  readonly runsMs: readonly number[];
}

async function measure(name: string, samples: number, run: () => PromiseLike<unknown>): Promise<Measure> {
  await run(); // warm-up
  const runsMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    runsMs.push(performance.now() - started);
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  const medianMs = sorted[Math.floor(sorted.length / 2)]!;
  return { name, samples, medianMs: round(medianMs), microsecondsPerSample: round((medianMs * 1000) / samples), runsMs: runsMs.map(round) };
}

const round = (value: number): number => Math.round(value * 100) / 100;
const tasks = Array.from({ length: 100 }, (_, i) => `task ${i}`);
const results: Measure[] = [];

// 100 tasks x 16 samples x 5 iterations (+ baseline) = 9,600 samples, scripted provider with native n.
results.push(
  await measure('iterate, scripted provider (native n), 100 tasks x 16 samples x (baseline + 5 iterations)', 9600, () =>
    iterate({ provider: scripted(['answer']), tasks, reward: (sample) => sample.text.length, samples: 16, iterations: 5, concurrency: 64 }),
  ),
);
// The same with one request per sample.
results.push(
  await measure('iterate, scripted provider (fan-out), 100 tasks x 16 samples x (baseline + 5 iterations)', 9600, () =>
    iterate({
      provider: scripted(['answer'], { capabilities: { nativeN: false } }),
      tasks,
      reward: (sample) => sample.text.length,
      samples: 16,
      iterations: 5,
      concurrency: 64,
    }),
  ),
);
// The offline learner refits its n-gram model at every call: the demo's model.
results.push(
  await measure('iterate, in-context learner, 20 tasks x 16 samples x (baseline + 5 iterations)', 1920, () =>
    iterate({
      provider: inContextLearner({ alphabet: 'UDLR', minLength: 4, maxLength: 16 }),
      tasks: tasks.slice(0, 20),
      reward: (sample) => sample.text.split('U').length,
      samples: 16,
      iterations: 5,
      keep: 8,
    }),
  ),
);

// Over loopback HTTP with the real openai SDK: native n = 8 against one request per sample.
const server = await startOpenAIServer();
const http = (nativeN: boolean) => () =>
  iterate({
    provider: nativeN
      ? openai({ model: 'gpt-4o-mini', apiKey: 'sk-bench', baseURL: server.url })
      : { ...openai({ model: 'gpt-4o-mini', apiKey: 'sk-bench', baseURL: server.url }), capabilities: { nativeN: false, temperature: true, seed: true, promptCaching: true, batch: true } },
    tasks: tasks.slice(0, 25),
    reward: (sample) => sample.text.length,
    samples: 8,
    iterations: 1,
    concurrency: 16,
  });
const native = await measure('iterate over loopback HTTP, openai SDK, native n = 8, 25 tasks x (baseline + 1 iteration)', 400, http(true));
const fanOut = await measure('iterate over loopback HTTP, openai SDK, one request per sample, 25 tasks x (baseline + 1 iteration)', 400, http(false));
results.push(native, fanOut);
await server.close();

// Memory held by a finished run's trajectories.
globalThis.gc?.();
const before = process.memoryUsage().heapUsed;
const kept = await iterate({ provider: scripted(['RRDDLLUU']), tasks, reward: () => 1, samples: 16, iterations: 5 });
globalThis.gc?.();
const bytesPerTrajectory = Math.round((process.memoryUsage().heapUsed - before) / kept.trajectories.length);

const report = {
  date: new Date().toISOString(),
  node: process.version,
  machine: '2 cores, shared; figures are medians of 5 runs after a warm-up',
  results,
  nativeNSpeedupOverFanOut: round(fanOut.medianMs / native.medianMs),
  heapBytesPerTrajectory: globalThis.gc === undefined ? 'run with --expose-gc' : bytesPerTrajectory,
};
writeFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
for (const result of results) console.log(`${result.medianMs.toFixed(1).padStart(9)} ms  ${result.microsecondsPerSample.toFixed(1).padStart(7)} µs/sample  ${result.name}`);
console.log(`native n over fan-out on loopback HTTP: ${report.nativeNSpeedupOverFanOut}x faster`);
console.log(`heap per finished trajectory: ${report.heapBytesPerTrajectory} bytes`);
