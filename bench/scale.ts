// One iteration of 1k / 10k / 100k / 1M samples through a zero-latency provider (`fromFunction`),
// selection on (topK(4)), concurrency 64, 1,000 samples a task. Each size runs three ways, each in
// a fresh process (a process's peak RSS is a high-water mark, so runs in one process would measure
// each other):
//   memory           trajectories kept in the result, no journal
//   memory+journal   trajectories kept in the result, and a journal
//   journal          `trajectories: 'journal'`: left in the journal; then a resume of that journal
//                    (every sample restored, none requested), in a process of its own
// Per run: µs per sample, peak RSS, RSS per sample above the process's RSS before the run, and with
// a journal its size and write rate (MB/s and records/s over the run's wall time).
// Writes bench/scale-results.json (bench/scale-quick-results.json with --quick).
// Run: npm run bench:scale            (all sizes; a few minutes on 2 cores)
//      npm run bench:scale -- --quick (stops at 100k; or PAUPER_BENCH_QUICK=1)
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromFunction, iterate } from '../src/index.js';

type Mode = 'memory' | 'memory+journal' | 'journal' | 'resume';

/** What one child process measured. */
interface Measured {
  readonly mode: Mode;
  readonly samples: number;
  readonly ms: number;
  readonly usPerSample: number;
  readonly peakRssMb: number;
  /** RSS above the process's RSS before the run, per sample (peak RSS − RSS before) / samples. */
  readonly rssPerSampleBytes: number;
  readonly journalMb?: number;
  readonly journalMbPerSecond?: number;
  readonly journalRecordsPerSecond?: number;
  readonly requests?: number;
  readonly restored?: number;
  readonly scored: number;
}

const samplesPerTask = 1000;
const mb = (bytes: number): number => Number((bytes / 2 ** 20).toFixed(1));

/** Lines in a file, counted a chunk at a time. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

/** One run in this process; prints what it measured as one JSON line. */
async function measure(mode: Mode, samples: number, journal: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  let requests = 0;
  const provider = fromFunction(() => {
    requests++;
    return 'ok';
  });
  const tasks = Math.max(1, samples / samplesPerTask);
  const started = performance.now();
  const run = await iterate({
    provider,
    tasks: Array.from({ length: tasks }, (_, index) => `t${index}`),
    reward: () => 1,
    samples: Math.min(samples, samplesPerTask),
    iterations: 0,
    concurrency: 64,
    progress: false,
    ...(mode === 'memory' ? {} : { journal }),
    ...(mode === 'journal' || mode === 'resume' ? { trajectories: 'journal' as const } : {}),
    ...(mode === 'resume' ? { resume: true } : {}),
  });
  const ms = performance.now() - started;
  const peak = process.resourceUsage().maxRSS * 1024;
  const journaled =
    mode === 'memory+journal' || mode === 'journal'
      ? { bytes: (await stat(journal)).size, records: await countLines(journal) }
      : undefined;
  const seconds = ms / 1000;
  const measured: Measured = {
    mode,
    samples,
    ms: Math.round(ms),
    usPerSample: Number(((ms * 1000) / samples).toFixed(1)),
    peakRssMb: mb(peak),
    rssPerSampleBytes: Math.round((peak - before) / samples),
    scored: run.iterations[0]?.train.scored ?? 0,
    ...(journaled === undefined
      ? {}
      : {
          journalMb: mb(journaled.bytes),
          journalMbPerSecond: Number((journaled.bytes / 2 ** 20 / seconds).toFixed(1)),
          journalRecordsPerSecond: Math.round(journaled.records / seconds),
        }),
    ...(mode === 'resume' ? { requests, restored: run.resumed?.restored ?? 0 } : {}),
  };
  console.log(JSON.stringify(measured));
}

/** Runs `measure` in a fresh process. */
function child(mode: Mode, samples: number, journal: string): Measured {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '--child', mode, String(samples), journal], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`${mode} at ${samples} samples failed (${result.status ?? result.signal}):\n${result.stderr}`);
  const measured = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Measured;
  if (measured.scored !== samples) throw new Error(`${mode} at ${samples} samples scored ${measured.scored}`);
  console.error(JSON.stringify(measured));
  return measured;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick') || process.env.PAUPER_BENCH_QUICK === '1';
  const sizes = quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
  const directory = await mkdtemp(join(tmpdir(), 'pauper-bench-scale-'));
  const load = loadavg().map((value) => Number(value.toFixed(2)));
  const started = performance.now();
  const sizesMeasured: { samples: number; memory: Measured; memoryJournal: Measured; journal: Measured; resume: Measured }[] = [];
  const file = fileURLToPath(new URL(`./${quick ? 'scale-quick-results.json' : 'scale-results.json'}`, import.meta.url));
  // Written after each size, so a run stopped early keeps what it measured (`complete: false`).
  const write = async (complete: boolean): Promise<void> => {
    const largest = sizesMeasured.at(-1);
    const report = {
      benchmark: 'scale',
      date: new Date().toISOString(),
      rerun: quick ? 'npm run bench:scale -- --quick' : 'npm run bench:scale',
      machine: { platform: `${process.platform} ${process.arch}`, node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadAverageAtStart: load, loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))) },
      shape: { provider: 'fromFunction, zero latency', samplesPerTask, concurrency: 64, iterations: 1, select: 'topK(4)' },
      quick,
      complete,
      totalSeconds: Math.round((performance.now() - started) / 1000),
      sizes: sizesMeasured,
      targets:
        largest === undefined
          ? {}
          : {
              samples: largest.samples,
              peakRssMbWithJournal: Math.max(largest.memoryJournal.peakRssMb, largest.journal.peakRssMb),
              peakRssUnder2Gb: Math.max(largest.memoryJournal.peakRssMb, largest.journal.peakRssMb) < 2048,
              resumePeakRssMb: largest.resume.peakRssMb,
              resumePeakRssUnder2Gb: largest.resume.peakRssMb < 2048,
              rssPerSampleBytesWithoutJournal: largest.memory.rssPerSampleBytes,
              rssPerSampleUnder1Kb: largest.memory.rssPerSampleBytes < 1024,
            },
    };
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    if (complete) console.log(JSON.stringify(report.targets));
  };
  try {
    for (const samples of sizes) {
      const memory = child('memory', samples, '-');
      const withJournal = child('memory+journal', samples, join(directory, `kept-${samples}.jsonl`));
      await rm(join(directory, `kept-${samples}.jsonl`), { force: true });
      const streamedPath = join(directory, `streamed-${samples}.jsonl`);
      const streamed = child('journal', samples, streamedPath);
      const resume = child('resume', samples, streamedPath);
      if (resume.requests !== 0 || resume.restored !== samples) throw new Error(`the resume at ${samples} samples requested ${resume.requests} and restored ${resume.restored}`);
      await rm(streamedPath, { force: true });
      sizesMeasured.push({ samples, memory, memoryJournal: withJournal, journal: streamed, resume });
      await write(samples === sizes.at(-1));
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

const [flag, mode, samples, journal] = process.argv.slice(2);
if (flag === '--child') await measure(mode as Mode, Number(samples), journal ?? '-');
else await main();
