import { PauperError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import { sumCost } from '../core/pricing.js';
import type { ProviderSpend, ResumeCounts, StopReason } from '../core/results.js';
import type { Example, Split, Trajectory } from '../core/trajectory.js';
import { sumUsage } from '../core/usage.js';
import type { JournalRunConfig } from '../journal/open.js';
import type { RunControl } from '../run/control.js';
import { openRun } from '../run/open-run.js';
import type { ResolvedRunOptions, RunOptions } from './options.js';
import { journalChecks, optionsFingerprint } from './journal-config.js';
import { mergeSpend, spendByProvider } from './spend.js';
import { embedTasks } from '../stages/embed.js';

/** Where a building block's samples stand: which tasks, which split, which examples, which iteration. */
export interface BlockScope<Task, Output, Info> {
  /** `evaluate` or `bestOfN`: a journal of one is never resumed as the other, or as an `iterate` run. */
  readonly entry: 'evaluate' | 'bestOfN';
  readonly tasks: readonly Task[];
  readonly split: Split;
  readonly examples: readonly Example<Task, Output, Info>[];
  readonly iteration: number;
}

/** How a building block's run (`evaluate`, `bestOfN`) ended: part of each one's result. */
export interface BlockOutcome {
  /** Why it took fewer samples than asked (a budget); `undefined` when it took them all. */
  readonly stopped: StopReason | undefined;
  /** What resuming from `journal` restored; `undefined` unless it resumed one. */
  readonly resumed: Readonly<ResumeCounts> | undefined;
  /** What embedding the tasks cost a `nearest` fold (restored from the journal included); `undefined` when nothing was embedded. */
  readonly embedded: ProviderSpend | undefined;
}

/** What a building block's run produced, besides its own result. */
export interface BlockRun<Task, Output, Info> extends BlockOutcome {
  readonly trajectories: Trajectory<Task, Output, Info>[];
}

/**
 * Runs a building block (`evaluate`, `bestOfN`) on the run machinery `iterate` uses: one
 * concurrency limit, the budget, the response cache, and the journal (resumable, refused
 * when the options differ). `work` collects the trajectories.
 */
export async function runStandalone<Task, Output, Info>(
  options: RunOptions<Task, Output, Info>,
  resolved: ResolvedRunOptions<Task, Output, Info>,
  scope: BlockScope<Task, Output, Info>,
  work: (control: RunControl<Task, Output, Info>) => Promise<Trajectory<Task, Output, Info>[]>,
): Promise<BlockRun<Task, Output, Info>> {
  const started = performance.now();
  const journal = resolved.journal === undefined ? undefined : { ...resolved.journal, config: blockJournalConfig(options, resolved, scope) };
  const run = await openRun({ ...resolved, journal });
  const { control } = run;
  for (const message of run.warnings) control.emit({ type: 'warning', code: 'journal-partial-line', message });
  try {
    const { embeddings } = resolved.settings;
    const embedded =
      embeddings === undefined || scope.examples.length === 0
        ? undefined
        : await embedTasks(embeddings, [...scope.tasks, ...scope.examples.map((example) => example.task)], control);
    const trajectories = await work(control);
    if (control.resumed.stale > 0) {
      // The examples are part of the fingerprint, so a journaled sample with another prompt means the prompt builder changed.
      control.emit({
        type: 'warning',
        code: 'resume-diverged',
        message:
          `${control.resumed.stale} journaled samples were made with other prompts than this ${scope.entry} call builds ` +
          '(the prompt builder changed: `render`, `system`, `fold` or `prompt`); they were sampled again.',
      });
    }
    const exhausted = resolved.gate?.exhausted;
    const stopped = exhausted === undefined ? undefined : { reason: exhausted.budget, iteration: scope.iteration, message: exhausted.message };
    const resumed = run.journal?.resuming === true ? { ...control.resumed } : undefined;
    run.journal?.end({
      iterations: [],
      best: undefined,
      examples: scope.examples,
      trajectories,
      usage: sumUsage([...trajectories.map((trajectory) => trajectory.usage), ...(embedded === undefined ? [] : [embedded.usage])]),
      costUsd: sumCost([...trajectories.map((trajectory) => trajectory.costUsd), ...(embedded === undefined ? [] : [embedded.costUsd])]),
      byProvider: mergeSpend(spendByProvider(trajectories, resolved.settings.provider), embedded === undefined ? [] : [embedded]),
      wallTimeMs: performance.now() - started,
      seed: resolved.settings.seed,
      stopped,
      resumed,
    });
    await run.journal?.flush();
    return { trajectories, stopped, resumed, embedded };
  } catch (error) {
    control.stop(error);
    // Keep what was paid for: the samples so far reach the journal before the call rejects.
    await run.journal?.flush().catch(() => {});
    throw control.signal.aborted ? control.signal.reason : error;
  } finally {
    control.stop(new PauperError(`${scope.entry} finished.`));
    await run.journal?.close();
  }
}

/** What a building block's journal records of its options; `resume` holds what a resumed call must match. */
function blockJournalConfig<Task, Output, Info>(
  options: RunOptions<Task, Output, Info>,
  resolved: ResolvedRunOptions<Task, Output, Info>,
  scope: BlockScope<Task, Output, Info>,
): JournalRunConfig {
  const { settings } = resolved;
  const train = scope.split === 'train' ? scope.tasks : [];
  const held = scope.split === 'eval' ? scope.tasks : [];
  return {
    seed: settings.seed,
    resume: {
      entry: scope.entry,
      ...optionsFingerprint(options, settings),
      iteration: scope.iteration,
      examples: contentHash(scope.examples.map((example) => [example.id, example.turns])),
      // Hashable: tasks given with a journal were checked to be JSON values (`taskList`).
      tasks: contentHash(train),
      evalTasks: contentHash(held),
    },
    config: {
      concurrency: resolved.concurrency,
      maxErrors: Number.isFinite(resolved.maxErrors) ? resolved.maxErrors : null,
      capabilities: settings.provider.capabilities,
      budget: options.budget ?? null,
    },
    tasks: train.map((task, index) => settings.taskId(task, index, 'train')),
    evalTasks: held.map((task, index) => settings.taskId(task, index, 'eval')),
    ...journalChecks(options, {
      settings,
      acceptChanged: resolved.journal?.acceptChanged ?? [],
      tasks: { train, eval: held },
      iteration: scope.iteration,
      examples: scope.examples,
    }),
  };
}
