import { PauperError, TooManyErrorsError, TrajectoriesNotKeptError } from '../core/errors.js';
import { flatten } from '../core/flatten.js';
import { sumCost } from '../core/pricing.js';
import { createRng, deriveSeed } from '../core/random.js';
import type { FineTuneResult, IterationResult, ProviderSpend, RunResult, StopReason } from '../core/results.js';
import type { OpenJournal } from '../journal/open.js';
import type { Provider } from '../providers/spec.js';
import { embedTasks } from '../stages/embed.js';
import type { Example, Trajectory } from '../core/trajectory.js';
import { addUsage, sumUsage } from '../core/usage.js';
import type { RunControl } from '../run/control.js';
import type { EventListener } from '../run/events.js';
import { openRun } from '../run/open-run.js';
import { batchSession, taskBases } from '../stages/collect.js';
import type { CollectSettings } from '../stages/task.js';
import { mergeSpend } from '../blocks/spend.js';
import { createSamplerState } from '../run/control.js';
import { byReward, poolBound, selectionPool } from '../stages/select.js';
import { fineTuneDue, trainAfter } from './fine-tune.js';
import type { CollectedSplit } from './collected.js';
import { collectSplit } from './collected.js';
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

/** What fine-tuning made so far: the model sampled from now on (and its provider), and every job. */
interface TunedState {
  model: string | undefined;
  provider: Provider | undefined;
  readonly jobs: FineTuneResult[];
}

/** What the loop carries from one iteration to the next. */
interface LoopState<Task, Output, Info> {
  readonly iterations: IterationResult<Task, Output, Info>[];
  kept: readonly Example<Task, Output, Info>[];
  best: Example<Task, Output, Info> | undefined;
  stopped: StopReason | undefined;
  /** The best training mean so far, and how many iterations in a row did not beat it (for `patience`). */
  readonly plateau: { bestMean: number; flat: number };
  /** What fine-tuning made so far (`fineTune`): the model sampled from now on and the jobs. */
  readonly tuned: TunedState;
}

async function* loop<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
): AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>> {
  const runStarted = performance.now();
  const { control, journal, warnings } = await openRun(resolved);
  const { settings } = resolved;
  const teaching = teacherRun(resolved, control);
  const state: LoopState<Task, Output, Info> = {
    iterations: [],
    kept: [],
    best: undefined,
    stopped: undefined,
    plateau: { bestMean: Number.NEGATIVE_INFINITY, flat: 0 },
    tuned: { model: undefined, provider: undefined, jobs: [] },
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
  let embedded: ProviderSpend | undefined;
  // Whether every iteration ran (or the run stopped early by a rule): the run-end record is still to write.
  let looped = false;
  try {
    for (let iteration = 0; iteration <= resolved.iterations; iteration++) {
      control.signal.throwIfAborted();
      // A `nearest` folder compares tasks by embedding: every task is embedded once, before the first prompt with examples.
      if (iteration === 1 && settings.embeddings !== undefined) embedded = await embedTasks(settings.embeddings, [...resolved.tasks, ...resolved.evalTasks], control);
      const sampled = await runIteration(resolved, control, state, iteration, teaching);
      // The budget admitted nothing this iteration: it did not happen.
      if (sampled === undefined) break;
      state.iterations.push(sampled);
      journal?.iteration(sampled);
      control.emit({ type: 'iteration-end', iteration: sampled.iteration, result: sampled });
      await journal?.flush();
      state.stopped ??= earlyStop(resolved, sampled, state.plateau);
      const result = state.stopped === undefined ? await fineTuneAfter(resolved, control, journal, state, sampled) : sampled;
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
  const result: RunResult<Task, Output, Info> = withTrajectories(resolved, {
    iterations: state.iterations,
    best: state.best,
    examples: state.kept,
    usage: sumUsage([...state.iterations.map((iteration) => iteration.usage), ...(embedded === undefined ? [] : [embedded.usage])]),
    costUsd: sumCost([...state.iterations.map((iteration) => iteration.costUsd), ...(embedded === undefined ? [] : [embedded.costUsd])]),
    byProvider: mergeSpend(...state.iterations.map((iteration) => iteration.byProvider), embedded === undefined ? [] : [embedded]),
    ...(resolved.fineTune === undefined ? {} : { trainingCostUsd: sumCost(state.tuned.jobs.map((job) => job.costUsd)), fineTunes: state.tuned.jobs }),
    wallTimeMs: performance.now() - runStarted,
    seed: settings.seed,
    stopped: state.stopped,
    resumed: journal?.resuming === true ? { ...control.resumed } : undefined,
  }, () => flatten(state.iterations.map((iteration) => iteration.trajectories)));
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
  teaching: Sampler<Task, Output, Info> | undefined,
): Promise<IterationResult<Task, Output, Info> | undefined> {
  // With fine-tuning, the weights hold the kept set; the prompts hold it too only with `foldExamples`.
  const examples = resolved.fineTune?.foldExamples === false ? [] : state.kept;
  control.emit({ type: 'iteration-start', iteration, examples });
  const settings = state.tuned.provider === undefined ? resolved.settings : { ...resolved.settings, provider: state.tuned.provider };
  const started = performance.now();
  const staleBefore = control.resumed.stale;
  // Both splits' prompts are built (and checked) before either samples: a prompt builder that
  // throws for a held-out task rejects the run before the training tasks are paid for.
  // The teacher samples the training tasks of its iterations; the student (fine-tuned or not) everything else.
  const student = { settings, control };
  const trainer = teaching !== undefined && resolved.teacher?.samples(iteration) === true ? teaching : student;
  const trainBases = taskBases(trainer.settings, resolved.tasks, examples, { split: 'train', iteration });
  const heldBases = taskBases(settings, resolved.evalTasks, examples, { split: 'eval', iteration });
  // In batch mode both splits' requests go out in the iteration's batches: one per provider.
  const trainBatch = batchSession(trainer.settings, trainer.control, trainBases.length + (trainer === student ? heldBases.length : 0));
  const heldBatch = trainer === student ? trainBatch : heldBases.length === 0 ? undefined : batchSession(settings, control, heldBases.length);
  const hold = resolved.trajectories === 'memory';
  const [train, held] = await Promise.all([
    collectSplit(trainer.settings, trainer.control, trainBases, { hold, pool: hold ? 'all' : (poolBound(resolved.select) ?? 'all'), batch: trainBatch }),
    heldBases.length === 0 ? undefined : collectSplit(settings, control, heldBases, { hold, pool: 'none', batch: heldBatch }),
  ]);
  warnStale(control, control.resumed.stale - staleBefore, iteration);
  const exhausted = resolved.gate?.exhausted;
  if (exhausted !== undefined) {
    state.stopped = { reason: exhausted.budget, iteration, message: exhausted.message };
    control.emit({ type: 'warning', code: 'budget-reached', message: `The run ends early: ${exhausted.message}` });
    if (train.count + (held?.count ?? 0) === 0) return undefined;
  }
  warnNothingScored(control, train, iteration);
  state.kept = resolved.select(selectionPool(resolved.pool, state.kept, train.candidates), {
    iteration,
    rng: createRng(deriveSeed(resolved.settings.seed, 'select', iteration)),
  });
  if (train.best !== undefined && (state.best === undefined || byReward(train.best, state.best) < 0)) state.best = train.best;
  return withTrajectories(
    resolved,
    {
      iteration,
      examples,
      kept: state.kept,
      train: train.stats,
      eval: held?.stats,
      usage: addUsage(train.stats.usage, ...(held === undefined ? [] : [held.stats.usage])),
      costUsd: sumCost([train.stats.costUsd, ...(held === undefined ? [] : [held.stats.costUsd])]),
      byProvider: mergeSpend(train.byProvider, held?.byProvider ?? []),
      wallTimeMs: performance.now() - started,
      ...(state.tuned.model === undefined ? {} : { fineTunedModel: state.tuned.model }),
    },
    // The training split's array itself when there are no held-out tasks: no copy of every trajectory.
    () => (held?.trajectories === undefined ? (train.trajectories ?? []) : flatten([train.trajectories ?? [], held.trajectories])),
    iteration,
  );
}

/**
 * After an iteration, a fine-tuning job when one is due: its model samples the next iterations.
 * Returns the iteration's result with the job on it; a budget that refuses the job ends the run.
 */
async function fineTuneAfter<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  journal: OpenJournal | undefined,
  state: LoopState<Task, Output, Info>,
  result: IterationResult<Task, Output, Info>,
): Promise<IterationResult<Task, Output, Info>> {
  const { fineTune } = resolved;
  const { tuned } = state;
  const trainedOn = new Set(tuned.jobs.at(-1)?.examples);
  if (fineTune === undefined || !fineTuneDue(fineTune, result.iteration, resolved.iterations, state.kept, trainedOn)) return result;
  const emit = control.emit as EventListener<unknown, unknown, unknown>;
  const context = { fineTune, journal, gate: resolved.gate, signal: control.signal, emit, seed: resolved.settings.seed, completed: [...state.iterations] };
  const base = fineTune.from === 'latest' && tuned.model !== undefined ? tuned.model : resolved.settings.provider.model;
  const job = await trainAfter(context, result.iteration, state.kept, base);
  if (job === undefined) return result;
  if (job === 'refused') {
    const exhausted = resolved.gate?.exhausted;
    state.stopped = { reason: exhausted?.budget ?? 'maxCostUsd', iteration: result.iteration, message: exhausted?.message ?? 'The budget refused a fine-tuning job.' };
    control.emit({ type: 'warning', code: 'budget-reached', message: `The run ends early: ${state.stopped.message}` });
    return result;
  }
  tuned.jobs.push(job);
  tuned.model = job.model;
  tuned.provider = fineTune.switchTo(job.model);
  // Copied with its property descriptors: a `trajectories: 'journal'` result's `trajectories` stays the getter that says where they are.
  const withJob = Object.defineProperties({ fineTune: job }, Object.getOwnPropertyDescriptors(result)) as IterationResult<Task, Output, Info>;
  state.iterations[state.iterations.length - 1] = withJob;
  return withJob;
}

/** What one provider samples with: the run's settings and control, the provider's own. */
interface Sampler<Task, Output, Info> {
  readonly settings: CollectSettings<Task, Output, Info>;
  readonly control: RunControl<Task, Output, Info>;
}

/**
 * The teacher's settings and control: the run's, with the teacher as provider, its own budget
 * gate (the run's limits at its prices) and its own memory of whether it ignores `n`.
 */
function teacherRun<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
): Sampler<Task, Output, Info> | undefined {
  const { teacher } = resolved;
  if (teacher === undefined) return undefined;
  return {
    settings: { ...resolved.settings, provider: teacher.provider, role: 'teacher' },
    control: { ...control, gate: teacher.gate, state: createSamplerState() },
  };
}

/**
 * A result with its `trajectories`: the array itself with `trajectories: 'memory'`; with
 * `'journal'`, a property that throws `TrajectoriesNotKeptError` naming the journal. It is not
 * enumerable, so logging, copying or comparing such a result does not throw.
 */
function withTrajectories<Result extends object, Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  result: Result,
  trajectories: () => Trajectory<Task, Output, Info>[],
  iteration?: number,
): Result & { readonly trajectories: readonly Trajectory<Task, Output, Info>[] } {
  const path = resolved.journal?.path;
  if (resolved.trajectories === 'memory' || path === undefined) return { ...result, trajectories: trajectories() };
  return Object.defineProperty(result, 'trajectories', {
    get: () => {
      throw new TrajectoriesNotKeptError(path, iteration);
    },
    enumerable: false,
  }) as Result & { readonly trajectories: readonly Trajectory<Task, Output, Info>[] };
}

/** Every training sample of an iteration failed: say so, with the first reason, so a broken scorer is not a quiet run. */
function warnNothingScored<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  train: CollectedSplit<Task, Output, Info>,
  iteration: number,
): void {
  const { first } = train;
  if (first === undefined || train.best !== undefined) return;
  const reason = first.ok ? '' : ` First failure (${first.failure.stage}): ${first.failure.message}`;
  control.emit({
    type: 'warning',
    code: 'nothing-scored',
    message: `No training sample of iteration ${iteration} was scored: all ${train.count} failed.${reason}`,
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
