import { ConfigError, messageOf } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import { deriveSeed } from '../core/random.js';
import type { Example, Failure, SampledBy, Split, Trajectory } from '../core/trajectory.js';
import type { Provider, SampleRequest } from '../providers/spec.js';
import type { PromptBuilder } from './prompt.js';
import type { RewardContext, RewardFunction, RolloutFunction } from '../core/reward.js';
import type { StandardSchemaV1 } from '../core/schema.js';
import { excludeTask } from './select.js';
import type { TaskEmbeddings } from './nearest.js';

/** How samples are produced and scored; resolved from the user's options. */
export interface CollectSettings<Task, Output, Info> {
  readonly provider: Provider;
  /** Whether `provider` is the run's student (its `provider` option) or its `teacher`: recorded on every sample. */
  readonly role: SampledBy['role'];
  readonly reward: RewardFunction<Task, Output, Info> | undefined;
  readonly rollout: RolloutFunction<Task, Info> | undefined;
  readonly schema: StandardSchemaV1<unknown, Output> | undefined;
  readonly prompt: PromptBuilder<Task, Output, Info>;
  /** The task's own turns: its prompt with no examples and no system message (built once per task). */
  readonly taskTurns: (task: Task, taskIndex: number, split: Split) => readonly Message[];
  readonly samples: number;
  readonly temperature: number | undefined;
  readonly maxOutputTokens: number | undefined;
  readonly taskId: (task: Task, index: number, split: Split) => string;
  readonly excludeOwnTask: boolean;
  /** The task embeddings of a `nearest` folder, filled by the run before prompts with examples are built; `undefined` without one. */
  readonly embeddings: TaskEmbeddings | undefined;
  /** Milliseconds a reward call or a rollout may take; `undefined`: no limit. */
  readonly rewardTimeout: number | undefined;
  readonly seed: number;
}

/** Where the trajectories being collected stand in the run. */
export interface CollectPosition {
  readonly split: Split;
  readonly iteration: number;
}

/** One task of one collect call: its prompt, request and seed, shared by its samples. */
export interface TaskBase<Task> {
  readonly task: Task;
  readonly taskIndex: number;
  readonly taskId: string;
  readonly prompt: readonly Message[];
  readonly split: Split;
  readonly iteration: number;
  readonly seed: number;
  readonly request: SampleRequest;
  readonly taskTurns: readonly Message[];
  /** The provider that samples this task. */
  readonly sampledBy: SampledBy;
  /** What every sample id of the task starts with: `<split>/<iteration>/<taskIndex>/` (see `sampleId`). */
  readonly idPrefix: string;
}

/** Builds a task's prompt (its own examples left out with `excludeOwnTask`), request and seed. */
export function taskBase<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  task: Task,
  taskIndex: number,
  examples: readonly Example<Task, Output, Info>[],
  position: CollectPosition,
): TaskBase<Task> {
  const taskId = settings.taskId(task, taskIndex, position.split);
  const shown = settings.excludeOwnTask ? excludeTask(examples, taskId) : examples;
  const prompt = checkedMessages(settings.prompt(task, shown), position.split, taskIndex);
  const taskTurns = settings.taskTurns(task, taskIndex, position.split);
  const request: SampleRequest = {
    messages: prompt,
    cachePrefixLength: Math.max(0, prompt.length - taskTurns.length),
    ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
    ...(settings.maxOutputTokens === undefined ? {} : { maxOutputTokens: settings.maxOutputTokens }),
    // Providers with structured output decode against the run's schema.
    ...(settings.schema === undefined ? {} : { schema: settings.schema }),
  };
  return {
    task,
    taskIndex,
    taskId,
    prompt,
    split: position.split,
    iteration: position.iteration,
    seed: deriveSeed(settings.seed, position.split, position.iteration, taskIndex),
    request,
    taskTurns,
    sampledBy: { role: settings.role, provider: settings.provider.name, model: settings.provider.model },
    idPrefix: `${position.split}/${position.iteration}/${taskIndex}/`,
  };
}

/** The id of sample `index`: `<split>/<iteration>/<taskIndex>/<index>`. */
export function sampleId(base: Pick<TaskBase<unknown>, 'idPrefix'>, index: number): string {
  // The task's prefix and the index: a third of the time of joining the four parts, and held in
  // fewer bytes (36 a sample, the prefix shared; a joined id 43, a template literal's tree 132).
  return base.idPrefix + index;
}

/** The fields that name sample `index` of a task. */
export function identity<Task>(base: TaskBase<Task>, index: number) {
  return {
    id: sampleId(base, index),
    split: base.split,
    iteration: base.iteration,
    taskIndex: base.taskIndex,
    taskId: base.taskId,
    index,
    task: base.task,
    prompt: base.prompt,
    sampledBy: base.sampledBy,
  };
}

/** What a reward function or rollout is told about sample `index`. */
export function rewardContext<Task>(signal: AbortSignal, base: TaskBase<Task>, index: number): RewardContext<Task> {
  return { task: base.task, iteration: base.iteration, index, split: base.split, signal };
}

/** A failed trajectory from the fields every trajectory has. */
export function failed<Task, Common extends Omit<Trajectory<Task>, 'ok' | 'reward' | 'failure' | 'output' | 'info'>>(
  common: Common,
  stage: Failure['stage'],
  error: unknown,
): Common & { ok: false; reward: null; failure: Failure } {
  return { ...common, ok: false, reward: null, failure: { stage, message: messageOf(error), error } };
}

const roles: ReadonlySet<unknown> = new Set(['system', 'user', 'assistant']);

/**
 * What a prompt builder returned, checked before anything is sent: an array of messages with
 * a role the providers accept and string content. A `ConfigError` names the task and the message.
 */
export function checkedMessages(messages: unknown, split: Split, taskIndex: number): readonly Message[] {
  const where = `${split === 'train' ? 'tasks' : 'evalTasks'}[${taskIndex}]`;
  if (!Array.isArray(messages)) throw new ConfigError('prompt', messages, `an array of messages for ${where}`);
  messages.forEach((message: unknown, index) => {
    const { role, content } = (typeof message === 'object' && message !== null ? message : {}) as { role?: unknown; content?: unknown };
    if (!roles.has(role)) {
      throw new ConfigError('prompt', message, `messages with role 'system', 'user' or 'assistant' for ${where} (message ${index} has role ${JSON.stringify(role)})`);
    }
    if (typeof content !== 'string') throw new ConfigError('prompt', message, `string content for ${where} (message ${index} has ${typeof content})`);
  });
  return messages as readonly Message[];
}
