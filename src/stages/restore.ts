import type { Trajectory } from '../core/trajectory.js';
import type { JournaledTask } from '../journal/open.js';
import type { Journaled } from '../journal/restore.js';
import type { RunControl } from '../run/control.js';
import { scoreCompletion } from './score.js';
import type { CollectSettings, TaskBase } from './task.js';
import { sampleId } from './task.js';

/**
 * What the journal holds of a task's samples, minus those to sample again; charged to the budget.
 * The task's records are read from the journal now (a promise), and let go once restored; without
 * any (a new run, or a task the journal holds nothing of) the answer is at once.
 */
export function restoreTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
): Map<number, Journaled<Task, Output, Info>> | Promise<Map<number, Journaled<Task, Output, Info>>> {
  const held = control.journal?.heldTask(base.split, base.iteration, base.taskIndex);
  if (held === undefined) return new Map();
  return held.then((task) => restoreFrom(settings, control, base, task));
}

/** `restoreTask` once the task's records are read. */
function restoreFrom<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  held: JournaledTask,
): Map<number, Journaled<Task, Output, Info>> {
  const restored = new Map<number, Journaled<Task, Output, Info>>();
  for (let index = 0; index < settings.samples; index++) {
    const found = held.restore<Task, Output, Info>(sampleId(base, index), base.task, base.prompt, settings.rollout === undefined);
    if (found === 'stale') control.resumed.stale++;
    else if (found !== undefined) restored.set(index, found);
  }
  if (settings.rollout === undefined && settings.samples > 1) {
    requestTornAgain(control, restored);
    // The run that wrote the journal switched to fan-out when a request for several completions
    // returned one (the server ignores `n`); the resumed run does so before its first request too.
    if ([...restored.values()].some((journaled) => (journaled.requestAsked ?? 0) > 1 && journaled.requestCompletions === 1)) {
      control.state.fanOut = true;
    }
  }
  // Charged before this task's first request is admitted: the budget bounds the whole run, resumed samples
  // included. One sample each, or for an episode one per turn, since each `act` was a request of one
  // completion (a turn the cache answered was free: this errs on the safe side).
  for (const journaled of restored.values()) {
    if ('completion' in journaled) {
      control.gate?.charge(journaled.completion.usage, journaled.completion.costUsd, 1);
    } else {
      const { trajectory } = journaled;
      control.gate?.charge(trajectory.usage, trajectory.costUsd, settings.rollout === undefined ? 1 : trajectory.steps.length);
    }
  }
  return restored;
}

/**
 * A journaled sample as a trajectory: a finished one as it was (its failure counted again
 * toward `maxErrors`), or a paid completion scored now (a crash interrupted its scoring, or
 * its parsing or scoring failed). Restored samples are not journaled again.
 */
export async function fromJournal<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  journaled: Journaled<Task, Output, Info>,
  record: (trajectory: Trajectory<Task, Output, Info>) => Trajectory<Task, Output, Info>,
): Promise<Trajectory<Task, Output, Info>> {
  control.resumed.restored++;
  if ('completion' in journaled) {
    control.resumed.rescored++;
    return record(await scoreCompletion(settings, control, base, journaled.completion, journaled.index));
  }
  // A journal from before `sampledBy` was recorded had one provider: the run's.
  const trajectory = journaled.trajectory.sampledBy === undefined ? { ...journaled.trajectory, sampledBy: base.sampledBy } : journaled.trajectory;
  if (!trajectory.ok) control.fail(trajectory.failure);
  control.emit({ type: 'sample', trajectory, restored: true });
  return trajectory;
}

/**
 * A native-`n` request made its samples at once, with the task's seed. When a crash
 * tore its journaling (fewer of them journaled than it returned), every requested
 * sample of the task is dropped from `restored` to be requested again, so the
 * request repeats whole and the result is the same. Samples of requests for one
 * completion (fan-out, top-ups) stand alone, and a complete request's are all kept;
 * so are samples the journal has no request record of (cache hits).
 */
function requestTornAgain<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  restored: Map<number, Journaled<Task, Output, Info>>,
): void {
  let native = 0;
  let returned = 0;
  for (const journaled of restored.values()) {
    if ((journaled.requestAsked ?? 0) <= 1) continue;
    native++;
    returned = Math.max(returned, journaled.requestCompletions ?? 0);
  }
  if (native === 0 || native >= returned) return;
  for (const [index, journaled] of restored) {
    if ((journaled.requestAsked ?? 0) === 0) continue;
    restored.delete(index);
    control.resumed.requestedAgain++;
  }
}
