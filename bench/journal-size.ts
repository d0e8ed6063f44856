// What a journal costs per sample: journal bytes per output byte, and heap per sample and peak RSS
// for a 100,000-sample run with a journal (zero-latency provider, outputs of 500 to 2,000
// characters) and for resuming it. Each phase runs in a fresh process, so its peak RSS is its own.
// Results are filed under the journal version measured in bench/journal-size-results.json (run it
// on an older commit to add that version's figures).
// Run: npm run bench:journal
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iterate, journalVersion, readJournal, scripted } from '../src/index.js';

const tasks = 100;
const samples = 1000;
const words = 'the agent moves north then east and collects the gold coin before the exit '.repeat(30);

/** A fresh string (as a provider's parsed response is) of 500 to 2,000 characters, told apart by its seed and index. */
const output = (seed: number, index: number): string => {
  const length = 500 + ((seed * 31 + index * 977) % 1501);
  return Buffer.from(`${seed}/${index} ${words}`.slice(0, length)).toString();
};
const options = (journal: string) => ({
  tasks: Array.from({ length: tasks }, (_, index) => `maze ${index}: collect the gold coins`),
  reward: (sample: { text: string }) => sample.text.length % 7,
  samples,
  iterations: 0,
  concurrency: 64,
  journal,
});
const provider = () => scripted((request, { index }) => output(request.seed ?? 0, index));

/** Heap in use after a full collection. */
function heapNow(): number {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

/** The highest heap in use while `work` runs, sampled every 10 ms. */
async function withPeakHeap<T>(work: () => PromiseLike<T>): Promise<{ readonly result: T; readonly peakHeap: number }> {
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 10);
  const result = await work();
  clearInterval(sampler);
  return { result, peakHeap };
}

const perSample = (bytes: number, count: number): number => Math.round(bytes / count);
const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** Runs the 100,000 samples into a new journal. */
async function runPhase(journal: string) {
  const before = heapNow();
  const started = performance.now();
  const { result: run, peakHeap } = await withPeakHeap(() => iterate({ ...options(journal), provider: provider() }));
  const ms = performance.now() - started;
  const retained = heapNow() - before;
  const outputBytes = run.trajectories.reduce((sum, trajectory) => sum + Buffer.byteLength(trajectory.text), 0);
  const journalBytes = (await stat(journal)).size;
  return {
    samples: run.trajectories.length,
    outputMb: Number((outputBytes / 2 ** 20).toFixed(1)),
    journalMb: Number((journalBytes / 2 ** 20).toFixed(1)),
    journalBytesPerOutputByte: Number((journalBytes / outputBytes).toFixed(2)),
    runMs: Math.round(ms),
    runPeakHeapBytesPerSample: perSample(peakHeap - before, run.trajectories.length),
    runRetainedHeapBytesPerSample: perSample(retained, run.trajectories.length),
    runPeakRssMb: peakRssMb(),
  };
}

/** Reads the journal back, then resumes the run from it. */
async function resumePhase(journal: string) {
  const before = heapNow();
  let read: Awaited<ReturnType<typeof readJournal>> | undefined = await readJournal(journal);
  const count = read.samples.size;
  const readHeap = heapNow() - before;
  read = undefined;
  const again = provider();
  const started = performance.now();
  const { result: resumed, peakHeap } = await withPeakHeap(() => iterate({ ...options(journal), provider: again, resume: true }));
  const ms = performance.now() - started;
  const retained = heapNow() - before;
  return {
    readJournalHeapBytesPerSample: perSample(readHeap, count),
    resumeMs: Math.round(ms),
    resumeRequests: again.calls.length,
    restored: resumed.resumed?.restored,
    resumePeakHeapBytesPerSample: perSample(peakHeap - before, count),
    resumeRetainedHeapBytesPerSample: perSample(retained, count),
    resumePeakRssMb: peakRssMb(),
  };
}

const [phase, journal] = process.argv.slice(2);
if (phase === 'run' || phase === 'resume') {
  const figures = phase === 'run' ? await runPhase(journal ?? '') : await resumePhase(journal ?? '');
  console.log(JSON.stringify(figures));
} else {
  const directory = await mkdtemp(join(tmpdir(), 'pauper-bench-journal-'));
  const path = join(directory, 'journal.jsonl');
  const child = (name: string): Record<string, unknown> =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name, path], { encoding: 'utf8' })) as Record<string, unknown>;
  try {
    const report = { machine: `${process.platform} ${process.arch}, node ${process.version}`, ...child('run'), ...child('resume') };
    console.log(`journal v${journalVersion}`, report);
    const file = fileURLToPath(new URL('./journal-size-results.json', import.meta.url));
    const results = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
    await writeFile(file, `${JSON.stringify({ ...results, [`journal v${journalVersion}`]: report }, null, 2)}\n`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
