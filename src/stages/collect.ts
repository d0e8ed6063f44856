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
import { sampleInRun } from './sample.js';
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

/** `collect` for tasks whose prompts `taskBases` has built. */
export async function collectBases<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  bases: readonly TaskBase<Task>[],
): Promise<Trajectory<Task, Output, Info>[]> {
  const perTask = await Promise.all(bases.map((base) => collectTask(settings, control, base)));
  control.signal.throwIfAborted();
  return flatten(perTask);
}

/** One task: what the journal holds, then the rest sampled (or played, for episodes) and scored. */
async function collectTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
): Promise<Trajectory<Task, Output, Info>[]> {
  const record = recorder(settings, control);
  const restored = restoreTask(settings, control, base);
  const fresh =
    settings.rollout === undefined
      ? await sampleTask(settings, control, base, restored, record)
      : playTask(settings, control, base, settings.rollout, restored, record);
  const fromTheJournal = [...restored.values()].map((journaled) => fromJournal(settings, control, base, journaled, record));
  const all = await settledAll<Trajectory<Task, Output, Info> | undefined>([...fromTheJournal, ...fresh]);
  return all
    .filter((trajectory): trajectory is Trajectory<Task, Output, Info> => trajectory !== undefined)
    .sort((a, b) => a.index - b.index);
}

/** The values, once those that are promises settled: samples scored at once are values, and `Promise.all` would make a promise of each. */
function settledAll<T>(values: readonly (T | Promise<T>)[]): T[] | Promise<T[]> {
  const ready: T[] = [];
  for (const value of values) {
    if (value instanceof Promise) return Promise.all(values);
    ready.push(value);
  }
  return ready;
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
    control.emit({ type: 'sample', trajectory });
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
): Promise<Scored<Task, Output, Info>[]> {
  const cached = await cachedCompletions(settings, control, base, restored);
  // Recorded at once when scoring settled at once: no promise per sample.
  const scored = (completion: SampledCompletion, index: number): Scored<Task, Output, Info> => {
    const trajectory = scoreCompletion(settings, control, base, completion, index);
    return trajectory instanceof Promise ? trajectory.then(record) : record(trajectory);
  };
  const hits = () => [...cached].map(([index, completion]) => scored(completion, index));
  const missing: number[] = [];
  for (let index = 0; index < settings.samples; index++) if (!restored.has(index) && !cached.has(index)) missing.push(index);
  if (missing.length === 0) return hits();
  const stores: Promise<void>[] = [];
  // Journaled (and cached) as each request returns, not when the task's last one does: a crash
  // or an abort while one request of the task is in flight loses none of the others. The request
  // holds its slot until the record is on disk (the promise returned).
  const arrived = (index: number, completion: SampledCompletion & { readonly ok: true }): Promise<void> | undefined => {
    const journaled = control.journal?.completion(sampleId(base, index), base.prompt, completion);
    if (control.cache !== undefined) {
      stores.push(storeCached(control, control.cache, keyOf(settings, base, base.request.messages, index), completion.completion, completion.seed));
    }
    return journaled;
  };
  const completions = await sampleInRun(settings.provider, base.request, {
    n: settings.samples,
    seed: base.seed,
    signal: control.signal,
    limit: control.limit,
    state: control.state,
    onWarning: (warning) => control.emit({ type: 'warning', ...warning }),
    onRequestError: requestFailed(control),
    onCompletion: arrived,
    skip: new Set([...restored.keys(), ...cached.keys()]),
    gate: control.gate,
  });
  // Completions the budget refused were never requested: they are not samples.
  const fresh = completions.map((completion, position) =>
    !completion.ok && completion.error instanceof BudgetExceededError ? undefined : scored(completion, missing[position] ?? position),
  );
  const stored = stores.map((store) => store.then(() => undefined));
  return [...hits(), ...fresh, ...stored];
}

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
