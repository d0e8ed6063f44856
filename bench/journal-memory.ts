// Memory a journal costs: peak RSS per sample of one 100,000-sample iteration through a zero-latency
// provider, with and without a journal, each in a fresh process (a process's RSS rarely shrinks, so
// runs in one process would measure each other). Native `n` (100 requests of 1,000) and one request
// per sample (100,000 requests). Writes bench/journal-memory-results.json.
// Run: npm run bench:journal-memory
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iterate, scripted } from '../src/index.js';

const tasks = 100;
const samples = 1000;

/** One run in this process: `journal` is a path or `-` for none; prints its figures as JSON. */
async function measure(journal: string, nativeN: boolean): Promise<void> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const started = performance.now();
  const run = await iterate({
    provider: scripted(() => 'ok', { capabilities: { nativeN } }),
    tasks: Array.from({ length: tasks }, (_, index) => `t${index}`),
    reward: () => 1,
    samples,
    iterations: 0,
    concurrency: 64,
    ...(journal === '-' ? {} : { journal }),
  });
  const runMs = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(JSON.stringify({ samples: run.trajectories.length, runMs: Math.round(runMs), kbPerSample: Number(((peak - before) / 1024 / run.trajectories.length).toFixed(2)) }));
}

/** Runs `measure` in a child process and returns what it printed. */
function child(journal: string, nativeN: boolean): { samples: number; runMs: number; kbPerSample: number } {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, journal, nativeN ? '1' : '0'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bench child failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { samples: number; runMs: number; kbPerSample: number };
}

const [journalArgument, nativeArgument] = process.argv.slice(2);
if (journalArgument !== undefined) {
  await measure(journalArgument, nativeArgument === '1');
} else {
  const directory = await mkdtemp(join(tmpdir(), 'pauper-bench-journal-memory-'));
  const report: Record<string, unknown> = { machine: `${process.platform} ${process.arch}, node ${process.version}`, samples: tasks * samples };
  for (const nativeN of [true, false]) {
    const shape = nativeN ? 'nativeN' : 'oneRequestPerSample';
    report[shape] = {
      journal: child(join(directory, `${shape}.jsonl`), nativeN),
      noJournal: child('-', nativeN),
    };
  }
  await rm(directory, { recursive: true, force: true });
  console.log(JSON.stringify(report, null, 2));
  await writeFile(fileURLToPath(new URL('./journal-memory-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
}
