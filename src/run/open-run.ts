import type { JournalRunConfig, OpenJournal } from '../journal/open.js';
import { openJournal } from '../journal/open.js';
import type { RunBudgetGate } from './budget.js';
import type { RunControl } from './control.js';
import { createRunControl } from './control.js';
import type { EventListener } from './events.js';
import type { RunCache } from './response-cache.js';

/** What a run is set up from: `iterate`, `evaluate` and `bestOfN` alike. */
export interface RunSetup<Task, Output, Info> {
  readonly concurrency: number;
  readonly rewardConcurrency: number;
  readonly maxErrors: number;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: EventListener<Task, Output, Info> | undefined;
  readonly cache: RunCache | undefined;
  readonly gate: RunBudgetGate | undefined;
  /** Where to journal the run, whether to resume it, and what the journal records of its options. */
  readonly journal: { readonly path: string; readonly resume: boolean; readonly config: JournalRunConfig } | undefined;
}

/** A run's shared machinery, ready: its control (limit, budget, cache, stop signal) and its journal. */
export interface OpenRun<Task, Output, Info> {
  readonly control: RunControl<Task, Output, Info>;
  readonly journal: OpenJournal | undefined;
  /** Warnings from opening the journal (a skipped partial line), to report once the run has started. */
  readonly warnings: readonly string[];
}

/**
 * Opens the journal (refusing a resume whose options differ) and builds the run's
 * control around it. Nothing is requested here.
 */
export async function openRun<Task, Output, Info>(setup: RunSetup<Task, Output, Info>): Promise<OpenRun<Task, Output, Info>> {
  // The journal warns while it writes, which is after `control` exists.
  let warn = (_message: string): void => {};
  const journal =
    setup.journal === undefined
      ? undefined
      : await openJournal(setup.journal.path, setup.journal.resume, setup.journal.config, { onWarning: (message) => warn(message) });
  const control = createRunControl({ ...setup, journal });
  warn = (message) => control.emit({ type: 'warning', code: 'journal-unserialisable', message });
  return { control, journal, warnings: journal?.warnings ?? [] };
}
