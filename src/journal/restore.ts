import { PauperError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import type { Message } from '../core/messages.js';
import type { Trajectory } from '../core/trajectory.js';
import type { SampledCompletion } from '../providers/spec.js';
import type { JournalCompletion, JournalSample } from './records.js';
import type { HeldTask } from './task-index.js';
import { isUnserialisable } from './write.js';

/** A journaled sample: finished, or a completion still to score. */
export type Journaled<Task, Output, Info> = (
  | { readonly trajectory: Trajectory<Task, Output, Info> }
  | { readonly index: number; readonly completion: SampledCompletion & { readonly ok: true } }
) & {
  /** How many completions its request returned, when the journal says (journals written since this field came). */
  readonly requestCompletions: number | undefined;
  /** How many completions its request asked for, when the journal says. */
  readonly requestAsked: number | undefined;
};

/**
 * What a journal holds of sample `id` for a resumed run (`held`: its task's latest records, see
 * `readTask`): the trajectory of a scored sample; the completion of a single-shot sample to score
 * again (its scoring never finished, or its parsing or scoring failed); nothing when it must be
 * requested (again).
 */
export function restore<Task, Output, Info>(
  journal: HeldTask,
  id: string,
  task: Task,
  prompt: readonly Message[],
  singleShot: boolean,
): Journaled<Task, Output, Info> | 'stale' | undefined {
  const record = journal.samples.get(id);
  const completion = singleShot ? journal.completions.get(id) : undefined;
  const hash = record?.promptHash ?? completion?.promptHash;
  // A failed request cost nothing: sample it again.
  if (hash === undefined || (completion === undefined && record?.failure?.stage === 'request')) return undefined;
  // Made with another prompt: the run diverged (changed examples), or the user accepted a changed
  // prompt builder. An unaccepted change is refused when the journal is opened, before anything is written.
  if (hash !== contentHash(prompt)) return 'stale';
  const rescore = record === undefined || (singleShot && !record.ok && record.failure?.stage !== 'request');
  if (rescore) {
    // The completion is paid for: score it now, so an interrupted or fixed scorer costs no request.
    const source = completion ?? record;
    return source === undefined ? undefined : toScore<Task, Output, Info>(source, completion);
  }
  return {
    trajectory: trajectoryOf<Task, Output, Info>(record, task, prompt),
    requestCompletions: completion?.requestCompletions,
    requestAsked: completion?.requestAsked,
  };
}

/** A paid completion to score now: from its completion record, else from the record of the sample it failed as. */
function toScore<Task, Output, Info>(
  source: JournalSample | JournalCompletion,
  completion: JournalCompletion | undefined,
): Journaled<Task, Output, Info> {
  // A parsed value the journal could not hold is left out: the schema parses the text again instead of the marker.
  const parsed = isUnserialisable(completion?.parsed) ? undefined : completion?.parsed;
  const error = completion?.error;
  return {
    index: source.index,
    requestCompletions: completion?.requestCompletions,
    requestAsked: completion?.requestAsked,
    completion: {
      ok: true,
      completion: { text: source.text, ...(parsed === undefined ? {} : { parsed }), ...(error === undefined ? {} : { error }) },
      usage: source.usage,
      costUsd: source.costUsd,
      latencyMs: source.latencyMs,
      seed: source.seed,
      requestCompletions: completion?.requestCompletions ?? 1,
      requestAsked: completion?.requestAsked ?? 1,
    },
  };
}

/** A journaled sample as the trajectory it was, around the run's task and prompt. */
function trajectoryOf<Task, Output, Info>(record: JournalSample, task: Task, prompt: readonly Message[]): Trajectory<Task, Output, Info> {
  const common = {
    id: record.id,
    split: record.split,
    iteration: record.iteration,
    taskIndex: record.taskIndex,
    taskId: record.taskId,
    index: record.index,
    task,
    prompt,
    turns: record.turns,
    text: record.text,
    steps: record.steps.map((step) =>
      step.info === undefined ? { message: step.message, reply: step.reply } : { message: step.message, reply: step.reply, info: step.info },
    ),
    usage: record.usage,
    costUsd: record.costUsd,
    latencyMs: record.latencyMs,
    seed: record.seed,
    ...(record.sampledBy === undefined ? {} : { sampledBy: record.sampledBy }),
  };
  if (!record.ok || record.reward === null) {
    const failure = record.failure ?? { stage: 'rollout' as const, message: 'failed' };
    return { ...common, ok: false, reward: null, failure: { ...failure, error: new PauperError(failure.message) } };
  }
  return {
    ...common,
    ok: true,
    reward: record.reward,
    output: (record.output === undefined ? record.text : record.output) as Output,
    info: record.info as Info | undefined,
  };
}
