import { PauperError } from '../core/errors.js';
import { sumCost } from '../core/pricing.js';
import type { Split } from '../core/trajectory.js';
import type { Usage } from '../core/usage.js';
import type { RunSummary } from './runs.js';
import { pairedDifference } from './stats.js';
import type { BootstrapOptions, PairedDifference } from './stats.js';

/** How `compareRuns` compares. */
export interface CompareOptions extends BootstrapOptions {
  /** The split whose tasks are paired. @default `'eval'` when every run has held-out tasks, else `'train'` */
  readonly split?: Split;
}

/** How the runs' tasks were matched: by index when every run has the same task list, else by task id. */
export interface TaskMatch {
  readonly by: 'index' | 'id';
  /** Tasks every run has, the ones compared. */
  readonly shared: number;
  /** Each run's tasks in the split, baseline first. */
  readonly perRun: readonly number[];
}

/** One run in a comparison: what it is and what it cost. */
export interface ComparedRun {
  readonly path: string;
  readonly entry: RunSummary['entry'];
  readonly provider: string;
  readonly model: string;
  readonly ended: boolean;
  readonly stopped: string | null;
  readonly usage: Usage;
  /** What sampling cost; `null` when a sample's cost was unknown. */
  readonly costUsd: number | null;
  /** What its fine-tuning jobs cost (0 for a run that fine-tuned nothing); `null` when a job's price was unknown. */
  readonly trainingCostUsd: number | null;
  /** How many fine-tuning jobs it ran (`iterate({ fineTune })`). */
  readonly fineTunes: number;
  /** Mean reward over the shared tasks at its last iteration minus at its first: what the loop gained. `null` with fewer than two iterations. */
  readonly gain: number | null;
  /** `(costUsd + trainingCostUsd) / gain`, dollars per point of reward gained; `null` when either is unknown or the gain is not positive. */
  readonly costPerPoint: number | null;
}

/** One run at one iteration. */
export interface ComparedCell {
  /** Mean over the shared tasks scored at this iteration (each task's mean reward counts once); `null` when none was. */
  readonly mean: number | null;
  /** This run minus the baseline, paired by task; `null` for the baseline itself and when no task was scored by both. */
  readonly difference: PairedDifference | null;
}

/** One iteration across the runs. */
export interface ComparedIteration {
  readonly iteration: number;
  /** One cell per run, baseline first. */
  readonly cells: readonly ComparedCell[];
}

/** Runs side by side on their shared tasks, the first one the baseline: what `pauper compare` prints. */
export interface Comparison {
  readonly split: Split;
  readonly tasks: TaskMatch;
  /** Baseline first. */
  readonly runs: readonly ComparedRun[];
  readonly iterations: readonly ComparedIteration[];
}

/** Runs that cannot be compared: no shared tasks, or a split one of them does not have. Says what to do. */
export class ComparisonError extends PauperError {
  override name = 'ComparisonError';
}

/**
 * Compares runs on the tasks they share, each to the first (the baseline): per iteration each
 * run's mean over the shared tasks and its paired bootstrap interval of the difference from
 * the baseline, plus what each run cost per point of reward it gained. Tasks are paired by
 * index when every run has the same task list (the journal's hash of it), else by task id.
 * @example
 * const comparison = compareRuns([await loadRun('topk.jsonl'), await loadRun('threshold.jsonl')]);
 * comparison.iterations.at(-1)?.cells[1]?.difference?.significant;
 */
export function compareRuns(runs: readonly RunSummary[], options: CompareOptions = {}): Comparison {
  if (runs.length < 2) throw new ComparisonError(`compare needs two runs or more, got ${runs.length}.`);
  const split = options.split ?? (runs.every((run) => run.tasks.eval.length > 0) ? 'eval' : 'train');
  const matched = matchTasks(runs, split);
  const numbers = [...new Set(runs.flatMap((run) => run.iterations.map((iteration) => iteration.iteration)))].sort((a, b) => a - b);
  const means = runs.map((run, position) => sharedMeans(run, split, matched.toBaseline[position] ?? new Map()));
  const iterations = numbers.map((iteration): ComparedIteration => ({
    iteration,
    cells: means.map((byIteration, position) => {
      const own = byIteration.get(iteration);
      const baseline = means[0]?.get(iteration);
      const difference = position === 0 || own === undefined || baseline === undefined ? undefined : pairedDifference(baseline, own, options);
      return { mean: own === undefined ? null : meanOf([...own.values()]), difference: difference ?? null };
    }),
  }));
  return {
    split,
    tasks: { by: matched.by, shared: matched.shared, perRun: runs.map((run) => run.tasks[split].length) },
    runs: runs.map((run, position) => comparedRun(run, iterations, position)),
    iterations,
  };
}

/** Each run's shared tasks as baseline task indices: by index when the task lists are the same, else by id. */
function matchTasks(runs: readonly RunSummary[], split: Split): { by: TaskMatch['by']; shared: number; toBaseline: Map<number, number>[] } {
  for (const run of runs) {
    if (run.tasks[split].length === 0) {
      throw new ComparisonError(`${run.path} has no ${splitName(split)} tasks to compare on; choose the split both runs have (--split ${split === 'eval' ? 'train' : 'eval'}).`);
    }
  }
  const hashField = split === 'train' ? 'tasks' : 'evalTasks';
  const hash = runs[0]?.options[hashField];
  if (typeof hash === 'string' && runs.every((run) => run.options[hashField] === hash)) {
    const identity = new Map(runs[0]?.tasks[split].map((_, index) => [index, index]));
    return { by: 'index', shared: identity.size, toBaseline: runs.map(() => identity) };
  }
  return matchById(runs, split);
}

/** Tasks every run has by id, as each run's index → the baseline's index. */
function matchById(runs: readonly RunSummary[], split: Split): { by: 'id'; shared: number; toBaseline: Map<number, number>[] } {
  const [baseline] = runs;
  if (baseline === undefined) return { by: 'id', shared: 0, toBaseline: [] };
  if (baseline.tasks[split].every((id, index) => id === `${split}/${index}`)) {
    throw new ComparisonError(
      `the runs' ${splitName(split)} task lists differ, and their tasks have no ids to match them by (only positions); ` +
        'give each task an `id` (or the `taskId` option) to compare runs on the tasks they share.',
    );
  }
  const indexOf = runs.map((run) => new Map(run.tasks[split].map((id, index) => [id, index])));
  const shared = baseline.tasks[split].filter((id) => indexOf.every((ids) => ids.has(id)));
  if (shared.length === 0) {
    throw new ComparisonError(`the runs share no ${splitName(split)} task (matched by id): there is nothing to compare them on.`);
  }
  const toBaseline = indexOf.map((ids) => new Map(shared.map((id) => [ids.get(id) ?? -1, baseline.tasks[split].indexOf(id)])));
  return { by: 'id', shared: shared.length, toBaseline };
}

/** Per iteration, the run's task means on the shared tasks, keyed by the baseline's task index. */
function sharedMeans(run: RunSummary, split: Split, toBaseline: ReadonlyMap<number, number>): Map<number, Map<number, number>> {
  return new Map(
    run.iterations.map((iteration) => {
      const summary = split === 'train' ? iteration.train : iteration.eval;
      const means = new Map<number, number>();
      for (const [task, mean] of summary?.taskMeans ?? []) {
        const target = toBaseline.get(task);
        if (target !== undefined) means.set(target, mean);
      }
      return [iteration.iteration, means];
    }),
  );
}

/** A run's identity, cost, and cost per point of reward gained from its first iteration to its last. */
function comparedRun(run: RunSummary, iterations: readonly ComparedIteration[], position: number): ComparedRun {
  const own = iterations.map((iteration) => iteration.cells[position]?.mean ?? null).filter((mean) => mean !== null);
  const first = own[0];
  const last = own.at(-1);
  const gain = own.length < 2 || first === undefined || last === undefined ? null : last - first;
  // Training is part of what a fine-tuning run paid for its gain.
  const spent = sumCost([run.costUsd, run.trainingCostUsd]);
  const costPerPoint = gain === null || gain <= 0 || spent === null ? null : spent / gain;
  return {
    path: run.path,
    entry: run.entry,
    provider: run.provider,
    model: run.model,
    ended: run.ended,
    stopped: run.stopped?.reason ?? null,
    usage: run.usage,
    costUsd: run.costUsd,
    trainingCostUsd: run.trainingCostUsd,
    fineTunes: run.fineTunes.length,
    gain,
    costPerPoint,
  };
}

function splitName(split: Split): string {
  return split === 'eval' ? 'held-out' : 'train';
}

/** `null` for no values: an iteration where no shared task was scored. */
function meanOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}
