import { splitStats } from '../blocks/stats.js';
import { PauperError, TooManyErrorsError } from '../core/errors.js';
import { flatten } from '../core/flatten.js';
import { sumCost } from '../core/pricing.js';
import { createRng, deriveSeed } from '../core/random.js';
import type { IterationResult, RunResult, SplitStats, StopReason } from '../core/results.js';
import type { Example, Trajectory } from '../core/trajectory.js';
import { scoredOnly } from '../core/trajectory.js';
import { addUsage, sumUsage } from '../core/usage.js';
import type { RunControl } from '../run/control.js';
import type { EventListener } from '../run/events.js';
import { openRun } from '../run/open-run.js';
import { collectBases, taskBases } from '../stages/collect.js';
import type { TaskBase } from '../stages/task.js';
import { byReward, selectionPool } from '../stages/select.js';
import type { IterateOptions, ResolvedIterate } from './options.js';
import { resolveIterate } from './options.js';
import type { ProgressReporter } from './progress.js';
import { createProgress } from './progress.js';
import { Run } from './run.js';

/**
 * The loop: sample every task N times, score each sample, keep the best,
 * fold them into the next iteration's prompts, repeat. Options are validated
 * at once; a bad one makes the returned `Run` reject with a `ConfigError` naming
 * it (so `await`, `.catch` and `for await` all see it), before any request.
 * Work starts when the `Run` is awaited or iterated.
 *
 * @example
 * const run = await iterate({
 *   provider: openai({ model: 'gpt-4.1-mini' }),
 *   tasks: mazes,
 *   reward: (sample, { task }) => mazeReward(task, parseMoves(sample.text)).score,
 *   samples: 8,
 *   iterations: 4,
 * });
 * console.log(run.iterations.map((it) => it.train.mean));
 */
export function iterate<Task, Output = string, Info = undefined>(
  options: IterateOptions<Task, Output, Info>,
): Run<Task, Output, Info> {
  let resolved: ResolvedIterate<Task, Output, Info>;
  try {
    resolved = resolveIterate(options);
  } catch (error) {
    return new Run(refused<Task, Output, Info>(error), () => {});
  }
  // Breaking out of a `for await` stops the run through this signal, as a user abort would.
  const stop = new AbortController();
  const signal = resolved.signal === undefined ? stop.signal : AbortSignal.any([resolved.signal, stop.signal]);
  if (resolved.progress === undefined) return new Run(loop({ ...resolved, signal }), (reason) => stop.abort(reason));
  const progress = createProgress(resolved.progress);
  const onEvent = bothListeners(progress.onEvent, resolved.onEvent);
  return new Run(reported(loop({ ...resolved, signal, onEvent }), progress), (reason) => stop.abort(reason));
}

/** The progress reporter hears every event first, then the user's `onEvent`. */
function bothListeners<Task, Output, Info>(
  progress: ProgressReporter['onEvent'],
  user: EventListener<Task, Output, Info> | undefined,
): EventListener<Task, Output, Info> {
  return (event) => {
    progress(event);
    user?.(event);
  };
}

/** The loop, with its progress report closed however the run ends: a failed run's status line is not left open. */
async function* reported<Task, Output, Info>(
  run: AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>>,
  progress: ProgressReporter,
): AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>> {
  try {
    return yield* run;
  } finally {
    progress.close();
  }
}

/** A loop that never starts: its options were refused. */

async function* refused<Task, Output, Info>(error: unknown): AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>> {
  throw error;
}

/** What the loop carries from one iteration to the next. */
interface LoopState<Task, Output, Info> {
  readonly iterations: IterationResult<Task, Output, Info>[];
  kept: readonly Example<Task, Output, Info>[];
  best: Example<Task, Output, Info> | undefined;
  stopped: StopReason | undefined;
  /** The best training mean so far, and how many iterations in a row did not beat it (for `patience`). */
  readonly plateau: { bestMean: number; flat: number };
}

async function* loop<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
): AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>> {
  const runStarted = performance.now();
  const { control, journal, warnings } = await openRun(resolved);
  const { settings } = resolved;
  const state: LoopState<Task, Output, Info> = {
    iterations: [],
    kept: [],
    best: undefined,
    stopped: undefined,
    plateau: { bestMean: Number.NEGATIVE_INFINITY, flat: 0 },
  };
  control.emit({
    type: 'run-start',
    seed: settings.seed,
    iterations: resolved.iterations,
    tasks: resolved.tasks.length,
    evalTasks: resolved.evalTasks.length,
    samples: settings.samples,
  });
  for (const message of warnings) control.emit({ type: 'warning', code: 'journal-partial-line', message });
  // Whether every iteration ran (or the run stopped early by a rule): the run-end record is still to write.
  let looped = false;
  try {
    for (let iteration = 0; iteration <= resolved.iterations; iteration++) {
      control.signal.throwIfAborted();
      const result = await runIteration(resolved, control, state, iteration);
      // The budget admitted nothing this iteration: it did not happen.
      if (result === undefined) break;
      state.iterations.push(result);
      journal?.iteration(result);
      control.emit({ type: 'iteration-end', iteration: result.iteration, result });
      await journal?.flush();
      state.stopped ??= earlyStop(resolved, result, state.plateau);
      yield result;
      if (state.stopped !== undefined) break;
    }
    looped = true;
  } catch (error) {
    control.stop(error);
    // Keep what was paid for: the samples so far reach the journal before the run rejects.
    await journal?.flush().catch(() => {});
    const reason: unknown = control.signal.aborted ? control.signal.reason : error;
    // The error is rebuilt whole, carrying what the run completed before it stopped.
    if (reason instanceof TooManyErrorsError) throw new TooManyErrorsError(reason.maxErrors, reason.failures, [...state.iterations]);
    throw reason;
  } finally {
    // A consumer that stops iterating early also stops in-flight work.
    control.stop(new PauperError('The run was stopped.'));
    // A run that failed or was broken out of lets another run open its journal now.
    if (!looped) await journal?.close();
  }
  const result: RunResult<Task, Output, Info> = {
    iterations: state.iterations,
    best: state.best,
    examples: state.kept,
    trajectories: flatten(state.iterations.map((iteration) => iteration.trajectories)),
    usage: sumUsage(state.iterations.map((iteration) => iteration.usage)),
    costUsd: sumCost(state.iterations.map((iteration) => iteration.costUsd)),
    wallTimeMs: performance.now() - runStarted,
    seed: settings.seed,
    stopped: state.stopped,
    resumed: journal?.resuming === true ? { ...control.resumed } : undefined,
  };
  try {
    journal?.end(result);
    control.emit({ type: 'run-end', result });
    await journal?.flush();
  } finally {
    await journal?.close();
  }
  return result;
}

/**
 * One iteration: sample and score the training and held-out tasks with the kept examples
 * folded in, then select the next kept set. `undefined` when the budget admitted nothing.
 */
async function runIteration<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  state: LoopState<Task, Output, Info>,
  iteration: number,
): Promise<IterationResult<Task, Output, Info> | undefined> {
  const examples = state.kept;
  control.emit({ type: 'iteration-start', iteration, examples });
  const started = performance.now();
  const staleBefore = control.resumed.stale;
  // Both splits' prompts are built (and checked) before either samples: a prompt builder that
  // throws for a held-out task rejects the run before the training tasks are paid for.
  const trainBases = taskBases(resolved.settings, resolved.tasks, examples, { split: 'train', iteration });
  const heldBases = taskBases(resolved.settings, resolved.evalTasks, examples, { split: 'eval', iteration });
  const [train, held] = await Promise.all([
    timedCollect(resolved, control, trainBases),
    heldBases.length === 0 ? undefined : timedCollect(resolved, control, heldBases),
  ]);
  const trajectories = [...train.trajectories, ...(held?.trajectories ?? [])];
  warnStale(control, control.resumed.stale - staleBefore, iteration);
  const exhausted = resolved.gate?.exhausted;
  if (exhausted !== undefined) {
    state.stopped = { reason: exhausted.budget, iteration, message: exhausted.message };
    control.emit({ type: 'warning', code: 'budget-reached', message: `The run ends early: ${exhausted.message}` });
    if (trajectories.length === 0) return undefined;
  }
  const fresh = scoredOnly(train.trajectories);
  warnNothingScored(control, train.trajectories, iteration);
  state.kept = resolved.select(selectionPool(resolved.pool, state.kept, fresh), {
    iteration,
    rng: createRng(deriveSeed(resolved.settings.seed, 'select', iteration)),
  });
  for (const candidate of fresh) if (state.best === undefined || byReward(candidate, state.best) < 0) state.best = candidate;
  return {
    iteration,
    examples,
    kept: state.kept,
    train: train.stats,
    eval: held?.stats,
    trajectories,
    usage: addUsage(train.stats.usage, ...(held === undefined ? [] : [held.stats.usage])),
    costUsd: sumCost([train.stats.costUsd, ...(held === undefined ? [] : [held.stats.costUsd])]),
    wallTimeMs: performance.now() - started,
  };
}

/** Every training sample of an iteration failed: say so, with the first reason, so a broken scorer is not a quiet run. */
function warnNothingScored<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  trajectories: readonly Trajectory<Task, Output, Info>[],
  iteration: number,
): void {
  const first = trajectories[0];
  if (first === undefined || trajectories.some((trajectory) => trajectory.ok)) return;
  const reason = first.ok ? '' : ` First failure (${first.failure.stage}): ${first.failure.message}`;
  control.emit({
    type: 'warning',
    code: 'nothing-scored',
    message: `No training sample of iteration ${iteration} was scored: all ${trajectories.length} failed.${reason}`,
  });
}

/** A resumed run whose examples changed from the journal's sampled those samples again: say so. */
function warnStale<Task, Output, Info>(control: RunControl<Task, Output, Info>, stale: number, iteration: number): void {
  if (stale === 0) return;
  control.emit({
    type: 'warning',
    code: 'resume-diverged',
    message:
      `${stale} journaled samples of iteration ${iteration} were made with other prompts: the resumed run diverged ` +
      'from the journal (a changed scorer, selector or folder changed the examples); they were sampled again.',
  });
}
/** `targetReward` and `patience`: whether the run should end after this iteration. */
function earlyStop<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  result: IterationResult<Task, Output, Info>,
  plateau: { bestMean: number; flat: number },
): StopReason | undefined {
  const mean = result.train.mean;
  const { iteration } = result;
  if (resolved.targetReward !== undefined && mean !== null && mean >= resolved.targetReward) {
    return { reason: 'targetReward', iteration, message: `The training mean reward ${mean} reached targetReward (${resolved.targetReward}).` };
  }
  if (mean !== null && mean > plateau.bestMean) {
    plateau.bestMean = mean;
    plateau.flat = 0;
  } else {
    plateau.flat++;
  }
  if (resolved.patience !== undefined && plateau.flat >= resolved.patience) {
    return {
      reason: 'patience',
      iteration,
      message: `${plateau.flat} ${plateau.flat === 1 ? 'iteration' : 'iterations'} in a row without a higher best training mean reward than ${plateau.bestMean} (patience ${resolved.patience}).`,
    };
  }
  return undefined;
}

async function timedCollect<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  bases: readonly TaskBase<Task>[],
): Promise<{ trajectories: Trajectory<Task, Output, Info>[]; stats: SplitStats }> {
  const started = performance.now();
  const trajectories = await collectBases(resolved.settings, control, bases);
  return { trajectories, stats: splitStats(trajectories, performance.now() - started) };
}
