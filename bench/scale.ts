// One iteration of 200,000 samples through a zero-latency provider with the journal on, then
// its resume from the journal: wall time and peak RSS of each. Writes bench/scale-results.json.
// Run: npm run bench:scale
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iterate, scripted } from '../src/index.js';

const directory = await mkdtemp(join(tmpdir(), 'pauper-bench-scale-'));
const journal = join(directory, 'scale.jsonl');
const options = { tasks: Array.from({ length: 200 }, (_, index) => `t${index}`), reward: () => 1, samples: 1000, iterations: 0, concurrency: 64, journal };
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

const started = performance.now();
const run = await iterate({ ...options, provider: scripted(() => 'ok') });
const runMs = performance.now() - started;
const runPeak = peak;
const journalBytes = (await stat(journal)).size;
const resumedAt = performance.now();
const again = scripted(() => 'ok');
const resumed = await iterate({ ...options, provider: again, resume: true });
const resumeMs = performance.now() - resumedAt;
clearInterval(sampler);
await rm(directory, { recursive: true, force: true });

const report = {
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  samples: run.trajectories.length,
  runMs: Math.round(runMs),
  usPerSample: Number(((runMs * 1000) / run.trajectories.length).toFixed(1)),
  runPeakRssMb: Math.round(runPeak / 2 ** 20),
  journalMb: Math.round(journalBytes / 2 ** 20),
  resumeMs: Math.round(resumeMs),
  resumeRequests: again.calls.length,
  restored: resumed.resumed?.restored,
  peakRssMb: Math.round(peak / 2 ** 20),
};
console.log(report);
await writeFile(fileURLToPath(new URL('./scale-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
