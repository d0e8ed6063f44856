import type { IterationSummary, RunSummary, SplitSummary } from './runs.js';
import { runStatus } from './summary-text.js';

/** A split's numbers as JSON: `taskMeans` as an object keyed by task index. */
export type SplitJson = Omit<SplitSummary, 'taskMeans'> & { readonly taskMeans: Readonly<Record<string, number>> };

/** An iteration's numbers as JSON. */
export type IterationJson = Omit<IterationSummary, 'train' | 'eval'> & { readonly train: SplitJson; readonly eval: SplitJson | null };

/** What `pauper summary --json` prints: the `RunSummary` numbers without its samples, with the status line. */
export type RunSummaryJson = Omit<RunSummary, 'samples' | 'iterations' | 'stopped'> & {
  readonly status: string;
  readonly stopped: RunSummary['stopped'] | null;
  readonly iterations: readonly IterationJson[];
};

/**
 * A run summary as plain JSON for scripts: the same numbers `summaryText` prints, unrounded. The
 * samples are left out (the journal holds them; `readJournal` reads them).
 */
export function summaryJson(run: RunSummary): RunSummaryJson {
  const { samples: _samples, iterations, stopped, ...rest } = run;
  return {
    ...rest,
    status: runStatus(run),
    stopped: stopped ?? null,
    iterations: iterations.map((iteration) => ({
      ...iteration,
      train: splitJson(iteration.train),
      eval: iteration.eval === undefined ? null : splitJson(iteration.eval),
    })),
  };
}

function splitJson(split: SplitSummary): SplitJson {
  return { ...split, taskMeans: Object.fromEntries([...split.taskMeans].map(([task, mean]) => [String(task), mean])) };
}
