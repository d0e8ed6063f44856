import { BudgetExceededError } from '../core/errors.js';
import { flatten } from '../core/flatten.js';
import type { Example, Failure, Trajectory } from '../core/trajectory.js';
import type { SampledCompletion } from '../providers/spec.js';
import { cachedCompletions, keyOf, storeCached } from '../run/cache-lookups.js';
import type { RunControl } from '../run/control.js';
import { requestFailed } from '../run/control.js';
import type { RolloutFunction } from '../core/reward.js';
import { playEpisode } from './episode.js';
import { fromJournal, restoreTask } from './restore.js';
import { sampleInRun, type RunSampleOptions } from './sample.js';
import { createBatchSession, type BatchSession } from './batch.js';
import { scoreCompletion } from './score.js';
import type { CollectPosition, CollectSettings, TaskBase } from './task.js';
import { sampleId, taskBase } from './task.js';

export type { CollectPosition, CollectSettings } from './task.js';

/**
 * Samples and scores `settings.samples` trajectories for every task, with the
 * given examples folded into the prompts. Returns them ordered by task, then
 * sample index, whatever order they completed in.
 */
export async function collect<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  tasks: readonly Task[],
  examples: readonly Example<Task, Output, Info>[],
  position: CollectPosition,
): Promise<Trajectory<Task, Output, Info>[]> {
  return collectBases(settings, control, taskBases(settings, tasks, examples, position));
}

/**
 * Every task's prompt, request and seed, built (and checked) before any task starts: a prompt
 * builder that throws for one task then rejects the call before a request is sent, and leaves
 * no task running.
 */
export function taskBases<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  tasks: readonly Task[],
  examples: readonly Example<Task, Output, Info>[],
  position: CollectPosition,
): TaskBase<Task>[] {
  return tasks.map((task, taskIndex) => taskBase(settings, task, taskIndex, examples, position));
}

/**
 * `collect` for tasks whose prompts `taskBases` has built. With a provider in batch mode their
 * requests go out as batches: in `batch`, shared with other calls (`iterate` puts the training
 * and held-out tasks of an iteration in one), else in one of this call's own.
 */
export async function collectBases<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  bases: readonly TaskBase<Task>[],
  batch: BatchSession | undefined = batchSession(settings, control, bases.length),
): Promise<Trajectory<Task, Output, Info>[]> {
  const perTask: Trajectory<Task, Output, Info>[][] = [];
  await collectEachTask(
    settings,
    control,
    bases,
    (position, trajectories) => {
      perTask[position] = trajectories;
    },
    batch,
  );
  return flatten(perTask);
}

/**
 * The batch session of `tasks` tasks when the provider is in batch mode and the samples are
 * single-shot; episodes (each turn waits on the last) are sampled live, with a warning.
 */
export function batchSession<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  tasks: number,
): BatchSession | undefined {
  if (settings.provider.batch === undefined) return undefined;
  if (settings.rollout === undefined) return createBatchSession(settings.provider, control, tasks);
  const key = 'batch-live';
  if (!control.state.warned.has(key)) {
    control.state.warned.add(key);
    control.emit({ type: 'warning', code: 'batch-live', message: `${settings.provider.name} is in batch mode, but episodes are sampled live: each turn waits on the last.` });
  }
  return undefined;
}

/**
 * Collects every task, handing each task's trajectories (ordered by sample index) to `take` as
 * the task finishes, with its position in `bases`; nothing is held here. A task starts only
 * when fewer requests wait for a slot than the run's concurrency: requests are planned as
 * slots need them, not all at once, so an iteration of a million samples never holds a
 * million queued requests (in batch mode, see `batch`, all start at once). Rejects with the first task's error.
 */
export async function collectEachTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  bases: readonly TaskBase<Task>[],
  take: (position: number, trajectories: Trajectory<Task, Output, Info>[]) => void,
  batch?: BatchSession,
): Promise<void> {
  // A batch carries every task's requests at once: each task says what it needs before the batch
  // is submitted, so all start together; its size, not the limiter, bounds what is planned.
  if (batch !== undefined) {
    await Promise.all(bases.map((base, position) => collectTask(settings, control, base, batch, () => {}).then((trajectories) => take(position, trajectories))));
    control.signal.throwIfAborted();
    return;
  }
  let failed: ((error: unknown) => void) | undefined;
  const failure = new Promise<never>((_, reject) => {
    failed = reject;
  });
  // Observed here whether or not the feeding below still waits on it.
  failure.catch(() => {});
  // Listened for only once a task must wait for room: a listener on the run's signal costs more than a task.
  let stopped: ReturnType<typeof aborted> | undefined;
  const running: Promise<void>[] = [];
  try {
    for (const [position, base] of bases.entries()) {
      const room = control.limit.room();
      if (room !== undefined) {
        stopped ??= aborted(control.signal);
        await Promise.race([room, failure, stopped.promise]);
      }
      control.signal.throwIfAborted();
      let planned = false;
      let wake: (() => void) | undefined;
      const task = collectTask(settings, control, base, undefined, () => {
        planned = true;
        wake?.();
      }).then((trajectories) => take(position, trajectories));
      task.catch((error: unknown) => failed?.(error));
      running.push(task);
      // The next task waits until this one's requests are in the limiter's queue (or it ended). A task
      // with nothing to read first (no journal records, no cache) queued them before `collectTask`
      // returned: the next starts at once, so a round's requests are all queued before any is sent, as
      // a hand-written `Promise.all` queues them. Awaiting here each time let the earlier requests'
      // sending and their responses' I/O run in between: over HTTP the 8 native-`n` requests of a
      // round then went out over twice the time (36 ms a run against 18). `room` above still bounds them.
      if (!planned) {
        await Promise.race([
          new Promise<void>((resolve) => {
            wake = resolve;
          }),
          task.catch(() => {}),
          failure,
        ]);
      }
    }
    await Promise.all(running);
  } finally {
    stopped?.release();
  }
  control.signal.throwIfAborted();
}

/** A promise that rejects with the signal's reason once it aborts, and a way to stop listening. */
function aborted(signal: AbortSignal): { readonly promise: Promise<never>; readonly release: () => void } {
  let onAbort = (): void => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, release: () => signal.removeEventListener('abort', onAbort) };
}

/** One task: what the journal holds, then the rest sampled (or played, for episodes) and scored. */
async function collectTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  batch: BatchSession | undefined,
  planned: () => void,
): Promise<Trajectory<Task, Output, Info>[]> {
  const record = recorder(settings, control);
  const journaled = restoreTask(settings, control, base);
  // Awaited only when the journal holds records of the task: a new run's tasks start as they always did.
  const restored = journaled instanceof Promise ? await journaled : journaled;
  let fresh: Scored<Task, Output, Info>[];
  if (settings.rollout === undefined) {
    fresh = await sampleTask(settings, control, base, restored, record, batch, planned);
  } else {
    fresh = playTask(settings, control, base, settings.rollout, restored, record);
    planned();
  }
  let pending = fresh;
  if (restored.size > 0) {
    pending = [];
    for (const journaled of restored.values()) pending.push(fromJournal(settings, control, base, journaled, record));
    for (const scored of fresh) pending.push(scored);
  }
  return inIndexOrder(await settledAll<Trajectory<Task, Output, Info> | undefined>(pending));
}

/**
 * The trajectories without the gaps (completions that made none), ordered by sample index: the
 * array itself when it already is (a task sampled fresh, the usual case), else a sorted copy.
 */
function inIndexOrder<T extends { readonly index: number }>(all: (T | undefined)[]): T[] {
  let previous = -1;
  let ready = true;
  for (const trajectory of all) {
    if (trajectory === undefined || trajectory.index < previous) {
      ready = false;
      break;
    }
    previous = trajectory.index;
  }
  if (ready) return all as T[];
  return all.filter((trajectory): trajectory is T => trajectory !== undefined).sort((a, b) => a.index - b.index);
}

/** The values, once those that are promises settled: samples scored at once are values, and `Promise.all` would make a promise of each. */
function settledAll<T>(values: (T | Promise<T>)[]): T[] | Promise<T[]> {
  for (const value of values) if (value instanceof Promise) return Promise.all(values);
  // None is a promise: the array is already what `Promise.all` would give.
  return values as T[];
}

/**
 * Records a new trajectory: counts its failure toward `maxErrors`, journals it, reports it.
 * A single-shot request failure was counted when it happened (see `requestFailed`), to stop a
 * failing run promptly. An episode counts once, as a whole: its rollout may recover from a failed
 * turn; and an episode the budget cut short is no error (the run ends normally, with `stopped`).
 */
function recorder<Task, Output, Info>(settings: CollectSettings<Task, Output, Info>, control: RunControl<Task, Output, Info>) {
  const countsNow = (failure: Failure): boolean =>
    settings.rollout === undefined ? failure.stage !== 'request' : !(failure.error instanceof BudgetExceededError);
  return (trajectory: Trajectory<Task, Output, Info>): Trajectory<Task, Output, Info> => {
    if (!trajectory.ok && countsNow(trajectory.failure)) control.fail(trajectory.failure);
    control.journal?.sample(trajectory);
    if (control.heard) control.emit({ type: 'sample', trajectory });
    return trajectory;
  };
}

type RecordTrajectory<Task, Output, Info> = (trajectory: Trajectory<Task, Output, Info>) => Trajectory<Task, Output, Info>;

/** A sample scored and recorded, about to be (a promise), or none (a completion the budget refused, a cache store). */
type Scored<Task, Output, Info> = Trajectory<Task, Output, Info> | undefined | Promise<Trajectory<Task, Output, Info> | undefined>;

/** The single-shot samples not restored: cache hits, then the rest through the request planner, each scored. */
async function sampleTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  restored: ReadonlyMap<number, unknown>,
  record: RecordTrajectory<Task, Output, Info>,
  batch: BatchSession | undefined,
  planned: () => void,
): Promise<Scored<Task, Output, Info>[]> {
  let cached: ReadonlyMap<number, SampledCompletion> = noHits;
  // Without a cache there is nothing to look up, and no reason to wait a turn before requesting.
  if (control.cache !== undefined) {
    try {
      cached = await cachedCompletions(settings, control, base, restored);
    } catch (error) {
      // The batch does not wait for a task that cannot say what it needs.
      if (batch !== undefined) control.stop(error);
      throw error;
    }
  }
  // Recorded at once when scoring settled at once: no promise per sample.
  const scored = (completion: SampledCompletion, index: number): Scored<Task, Output, Info> => {
    const trajectory = scoreCompletion(settings, control, base, completion, index);
    return trajectory instanceof Promise ? trajectory.then(record) : record(trajectory);
  };
  const hits = () => [...cached].map(([index, completion]) => scored(completion, index));
  const missing: number[] = [];
  for (let index = 0; index < settings.samples; index++) if (!restored.has(index) && !cached.has(index)) missing.push(index);
  if (missing.length === 0) {
    batch?.none();
    planned();
    return hits();
  }
  const stores: Promise<void>[] = [];
  // Each completion is scored (and its sample journaled) as it arrives, not once the task's last
  // request returns: a task's records reach the journal's queue as its requests do, within the
  // writer's high-water mark, and a task never holds its paid completions unscored.
  // By sample index; an array of the task's size, not a Map (an entry each, per sample).
  const scoring = new Array<Scored<Task, Output, Info>>(settings.samples);
  // Journaled (and cached) as each request returns, not when the task's last one does: a crash
  // or an abort while one request of the task is in flight loses none of the others. The request
  // holds its slot until the record is on disk (the promise returned).
  const arrived = (index: number, completion: SampledCompletion & { readonly ok: true }): Promise<void> | undefined => {
    const journaled = control.journal?.completion(sampleId(base, index), base.prompt, completion);
    if (control.cache !== undefined) {
      stores.push(storeCached(control, control.cache, keyOf(settings, base, base.request.messages, index), completion.completion, completion.seed));
    }
    const started = scored(completion, index);
    // Observed at once: when sampling rejects (an abort), nobody awaits it, and its outcome is the run's error.
    if (started instanceof Promise) started.catch(() => {});
    scoring[index] = started;
    return journaled;
  };
  const carry = batch === undefined ? (options: RunSampleOptions) => sampleInRun(settings.provider, base.request, options) : (options: RunSampleOptions) => batch.sample(base, options);
  const sampling = carry({
    n: settings.samples,
    seed: base.seed,
    signal: control.signal,
    limit: control.limit,
    state: control.state,
    onWarning: (warning) => control.emit({ type: 'warning', ...warning }),
    onRequestError: requestFailed(control),
    onCompletion: arrived,
    skip: restored.size === 0 && cached.size === 0 ? undefined : new Set([...restored.keys(), ...cached.keys()]),
    gate: control.gate,
  });
  planned();
  const completions = await sampling;
  // Completions the budget refused were never requested: they are not samples.
  const fresh = completions.map((completion, position) => {
    const index = missing[position] ?? position;
    if (!completion.ok && completion.error instanceof BudgetExceededError) return undefined;
    return (completion.ok ? scoring[index] : undefined) ?? scored(completion, index);
  });
  if (cached.size === 0 && stores.length === 0) return fresh;
  const stored = stores.map((store) => store.then(() => undefined));
  return [...hits(), ...fresh, ...stored];
}

/** No cache hits: what a task of a run without a cache has. */
const noHits: ReadonlyMap<number, SampledCompletion> = new Map();

/** The episodes not restored, played at once. */
function playTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  rollout: RolloutFunction<Task, Info>,
  restored: ReadonlyMap<number, unknown>,
  record: RecordTrajectory<Task, Output, Info>,
): Promise<Trajectory<Task, Output, Info> | undefined>[] {
  const episodes: Promise<Trajectory<Task, Output, Info> | undefined>[] = [];
  for (let index = 0; index < settings.samples; index++) {
    if (restored.has(index)) continue;
    episodes.push(
      playEpisode(settings, control, rollout, base, index).then((trajectory) =>
        // An episode the budget stopped before its first request never happened.
        refused(trajectory) && trajectory.steps.length === 0 ? undefined : record(trajectory),
      ),
    );
  }
  return episodes;
}

function refused(trajectory: Trajectory<unknown, unknown, unknown>): boolean {
  return !trajectory.ok && trajectory.failure.error instanceof BudgetExceededError;
}
