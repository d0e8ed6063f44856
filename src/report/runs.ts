import { rewardStats } from '../blocks/stats.js';
import { sumCost } from '../core/pricing.js';
import type { ProviderSpend, RewardStats } from '../core/results.js';
import { mergeSpend, spendByProvider } from '../blocks/spend.js';
import type { Split } from '../core/trajectory.js';
import type { Usage } from '../core/usage.js';
import { addUsage, sumUsage, zeroUsage } from '../core/usage.js';
import { JournalError } from '../journal/errors.js';
import { loadJournal } from '../journal/read.js';
import type { Journal } from '../journal/read.js';
import type { JournalFineTune, JournalRunEnd, JournalSample } from '../journal/records.js';
import { bootstrapMean } from './stats.js';
import type { BootstrapOptions, MeanInterval } from './stats.js';

/** One split of one iteration, as a journal shows it. */
export interface SplitSummary extends RewardStats {
  /** The mean over tasks with a bootstrap 95% interval (each task counts once: its mean reward); `undefined` when nothing was scored. */
  readonly band: MeanInterval | undefined;
  /** Each task's mean reward over its scored samples, by task index: what a paired comparison pairs. */
  readonly taskMeans: ReadonlyMap<number, number>;
}

/** One iteration of a journaled run. */
export interface IterationSummary {
  readonly iteration: number;
  readonly train: SplitSummary;
  /** `undefined` when the run has no held-out tasks. */
  readonly eval: SplitSummary | undefined;
  readonly usage: Usage;
  /** `null` when a sample's cost was unknown. */
  readonly costUsd: number | null;
  /** Totals up to and including this iteration. */
  readonly cumulative: { readonly usage: Usage; readonly costUsd: number | null };
  /** Ids of the examples kept after it; empty until its `iteration` record is written. */
  readonly kept: readonly string[];
  /** Whether its `iteration` record is written (a run in progress has one iteration that is not). */
  readonly complete: boolean;
  /** The fine-tuned model it sampled (`iterate({ fineTune })`); `undefined` when it sampled the run's own model. */
  readonly fineTunedModel: string | undefined;
}

/** A journaled run summarised for reading: what `pauper summary`, `compare` and `report` show. */
export interface RunSummary {
  readonly path: string;
  /** The entry point that wrote it. */
  readonly entry: 'iterate' | 'evaluate' | 'bestOfN';
  readonly provider: string;
  readonly model: string;
  readonly seed: number;
  /** The options it recorded: what a resume must match, then the rest. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Task ids by task index, per split: what `compare` matches runs on when their task lists differ. */
  readonly tasks: { readonly train: readonly string[]; readonly eval: readonly string[] };
  readonly iterations: readonly IterationSummary[];
  /** Whether its `run-end` record is written. */
  readonly ended: boolean;
  /** Why it stopped early, if it ended so. */
  readonly stopped: NonNullable<JournalRunEnd['stopped']> | undefined;
  /** Every sample's usage and cost, and an embedder's (a `nearest` fold) when the run embedded tasks. */
  readonly usage: Usage;
  /** What sampling cost; `null` when a sample's cost was unknown. */
  readonly costUsd: number | null;
  /** What its fine-tuning jobs cost, apart from sampling: 0 without any; `null` when a job's price was unknown. */
  readonly trainingCostUsd: number | null;
  /** Its fine-tuning jobs, latest record of each, by the iteration they trained after. */
  readonly fineTunes: readonly JournalFineTune[];
  /** `usage` and `costUsd` split by provider: the student, the `teacher`, the embedder. */
  readonly byProvider: readonly ProviderSpend[];
  /** Every sample, latest record by id. */
  readonly samples: ReadonlyMap<string, JournalSample>;
  /** What reading skipped (a partial last line of a run still being written). */
  readonly warnings: readonly string[];
}

/**
 * Reads a journal and summarises its run. A journal still being written summarises what it
 * holds. A file that holds no run is a `JournalError`.
 */
export async function loadRun(path: string, options: BootstrapOptions = {}): Promise<RunSummary> {
  // Completion records are let go as their samples take their text: a summary reads samples only.
  return summariseRun(path, (await loadJournal(path, { completions: false })).journal, options);
}

/** Summarises a journal read back: per-iteration statistics from its samples (so an unfinished iteration counts too). */
export function summariseRun(path: string, journal: Journal, options: BootstrapOptions = {}): RunSummary {
  const { start } = journal;
  if (start === undefined) throw new JournalError(path, undefined, 'holds no run: the file is empty, or not a pauper journal.');
  const bySplit = groupSamples(journal.samples.values());
  const numbers = [...new Set([...bySplit.keys(), ...journal.iterations.keys()])].sort((a, b) => a - b);
  let soFar: IterationSummary['cumulative'] = { usage: zeroUsage, costUsd: 0 };
  const fineTunes = [...journal.fineTunes.values()].sort((a, b) => a.iteration - b.iteration);
  const iterations = numbers.map((iteration): IterationSummary => {
    const samples = bySplit.get(iteration) ?? { train: [], eval: [] };
    const all = [...samples.train, ...samples.eval];
    const usage = sumUsage(all.map((sample) => sample.usage));
    const costUsd = sumCost(all.map((sample) => sample.costUsd));
    soFar = { usage: addUsage(soFar.usage, usage), costUsd: sumCost([soFar.costUsd, costUsd]) };
    const record = journal.iterations.get(iteration);
    return {
      fineTunedModel: record?.model ?? sampledModel(fineTunes, iteration),
      iteration,
      train: splitSummary(samples.train, options),
      eval: samples.eval.length === 0 && start.evalTasks.length === 0 ? undefined : splitSummary(samples.eval, options),
      usage,
      costUsd,
      cumulative: soFar,
      kept: record?.kept ?? [],
      complete: record !== undefined,
    };
  });
  const resume = start.resume;
  const student = { name: String(resume.provider ?? 'unknown'), model: String(resume.model ?? 'unknown') };
  const embedded = embedderSpend(journal);
  return {
    path,
    entry: resume.entry === 'evaluate' || resume.entry === 'bestOfN' ? resume.entry : 'iterate',
    provider: String(resume.provider ?? 'unknown'),
    model: String(resume.model ?? 'unknown'),
    seed: start.seed,
    options: { ...resume, ...start.config },
    tasks: { train: start.tasks, eval: start.evalTasks },
    iterations,
    ended: journal.end !== undefined,
    stopped: journal.end?.stopped ?? undefined,
    usage: sumUsage([...iterations.map((iteration) => iteration.usage), ...embedded.map((spend) => spend.usage)]),
    costUsd: sumCost([...iterations.map((iteration) => iteration.costUsd), ...embedded.map((spend) => spend.costUsd)]),
    byProvider: mergeSpend(spendByProvider(journal.samples.values(), student), embedded),
    trainingCostUsd: sumCost(fineTunes.map((job) => (job.phase === 'succeeded' || job.costUsd !== undefined ? (job.costUsd ?? null) : 0))),
    fineTunes,
    samples: journal.samples,
    warnings: journal.warnings,
  };
}

/** The model a job made before `iteration` (the latest), which that iteration sampled; `undefined` before any. */
function sampledModel(fineTunes: readonly JournalFineTune[], iteration: number): string | undefined {
  let model: string | undefined;
  for (const job of fineTunes) if (job.iteration < iteration && job.model !== undefined) model = job.model;
  return model;
}

/** What the journal's `embeddings` records cost, per embedder. */
function embedderSpend(journal: Journal): ProviderSpend[] {
  const spend: ProviderSpend[] = [];
  for (const record of journal.records) {
    if (record.type !== 'embeddings') continue;
    const [provider = record.embedder, ...model] = record.embedder.split('/');
    spend.push({ role: 'embedder', provider, model: model.join('/'), samples: record.hashes.length, usage: record.usage, costUsd: record.costUsd });
  }
  return mergeSpend(spend);
}

/**
 * Samples by iteration and split, each ordered by task then sample index as a run orders its
 * trajectories: a journal holds them in the order they arrived, and sums in another order can
 * differ in the last bit from the run's own.
 */
function groupSamples(samples: Iterable<JournalSample>): Map<number, Record<Split, JournalSample[]>> {
  const groups = new Map<number, Record<Split, JournalSample[]>>();
  for (const sample of samples) {
    let group = groups.get(sample.iteration);
    if (group === undefined) {
      group = { train: [], eval: [] };
      groups.set(sample.iteration, group);
    }
    group[sample.split].push(sample);
  }
  const inRunOrder = (a: JournalSample, b: JournalSample): number => a.taskIndex - b.taskIndex || a.index - b.index;
  for (const group of groups.values()) {
    group.train.sort(inRunOrder);
    group.eval.sort(inRunOrder);
  }
  return groups;
}

/** Reward statistics of one split, its per-task means and their bootstrap band. */
function splitSummary(samples: readonly JournalSample[], options: BootstrapOptions): SplitSummary {
  const byTask = new Map<number, number[]>();
  for (const sample of samples) {
    if (!sample.ok || sample.reward === null) continue;
    const rewards = byTask.get(sample.taskIndex) ?? [];
    rewards.push(sample.reward);
    byTask.set(sample.taskIndex, rewards);
  }
  const taskMeans = new Map([...byTask].map(([task, rewards]) => [task, rewards.reduce((sum, reward) => sum + reward, 0) / rewards.length]));
  return { ...rewardStats(samples), band: bootstrapMean([...taskMeans.values()], options), taskMeans };
}
