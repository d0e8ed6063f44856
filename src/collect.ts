import type { RolloutFunction } from './episode.js';
import { TooManyErrorsError } from './errors.js';
import type { EventListener } from './events.js';
import type { Message } from './messages.js';
import type { PromptBuilder } from './prompt.js';
import { withoutSystem } from './prompt.js';
import type { Provider, SampleRequest } from './provider.js';
import { createRng, deriveSeed } from './random.js';
import type { RewardContext, RewardFunction, Sample, Score } from './reward.js';
import { checkRewardValue, messageOf, score } from './reward.js';
import type { Limiter, SampledCompletion, SamplerState } from './sample.js';
import { createLimiter, createSamplerState, sample } from './sample.js';
import type { StandardSchemaV1 } from './schema.js';
import { parseOutput } from './schema.js';
import { excludeTask } from './select.js';
import type { Example, Failure, Split, Step, Trajectory } from './trajectory.js';
import type { Usage } from './usage.js';
import { addUsage, zeroUsage } from './usage.js';

/** How samples are produced and scored; resolved from the user's options. */
export interface CollectSettings<Task, Output, Info> {
  readonly provider: Provider;
  readonly reward: RewardFunction<Task, Output, Info> | undefined;
  readonly rollout: RolloutFunction<Task, Info> | undefined;
  readonly schema: StandardSchemaV1<unknown, Output> | undefined;
  readonly prompt: PromptBuilder<Task, Output, Info>;
  readonly samples: number;
  readonly temperature: number | undefined;
  readonly maxTokens: number | undefined;
  readonly taskId: (task: Task, index: number, split: Split) => string;
  readonly excludeOwnTask: boolean;
  readonly seed: number;
}

/** Run-wide mechanics shared by every collect call of one run. */
export interface RunControl<Task, Output, Info> {
  /** Aborts on the user's signal or when `maxErrors` is exceeded. */
  readonly signal: AbortSignal;
  readonly limit: Limiter;
  readonly state: SamplerState;
  readonly emit: EventListener<Task, Output, Info>;
  /** Counts a failure; stops the run once more than `maxErrors` have occurred. */
  readonly fail: (failure: Failure) => void;
  /** Stops all work of the run with a reason (the first reason wins). */
  readonly stop: (reason: unknown) => void;
}

/** Builds the run-wide mechanics: one limiter, one error budget, one stop signal. */
export function createRunControl<Task, Output, Info>(options: {
  readonly concurrency: number;
  readonly maxErrors: number;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: EventListener<Task, Output, Info> | undefined;
}): RunControl<Task, Output, Info> {
  const stop = new AbortController();
  const failures: string[] = [];
  return {
    signal: options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]),
    limit: createLimiter(options.concurrency),
    state: createSamplerState(),
    emit: options.onEvent ?? (() => {}),
    stop: (reason) => {
      if (!stop.signal.aborted) stop.abort(reason);
    },
    fail: (failure) => {
      failures.push(`${failure.stage}: ${failure.message}`);
      if (failures.length > options.maxErrors && !stop.signal.aborted) {
        stop.abort(new TooManyErrorsError(options.maxErrors, [...failures]));
      }
    },
  };
}

/** Where the trajectories being collected stand in the run. */
export interface CollectPosition {
  readonly split: Split;
  readonly iteration: number;
}

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
  const perTask = await Promise.all(
    tasks.map((task, taskIndex) => collectTask(settings, control, task, taskIndex, examples, position)),
  );
  control.signal.throwIfAborted();
  return perTask.flat();
}

async function collectTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  task: Task,
  taskIndex: number,
  examples: readonly Example<Task, Output, Info>[],
  position: CollectPosition,
): Promise<Trajectory<Task, Output, Info>[]> {
  const taskId = settings.taskId(task, taskIndex, position.split);
  const shown = settings.excludeOwnTask ? excludeTask(examples, taskId) : examples;
  const prompt = settings.prompt(task, shown);
  const taskTurns = withoutSystem(settings.prompt(task, []));
  const base = {
    task,
    taskIndex,
    taskId,
    prompt,
    split: position.split,
    iteration: position.iteration,
    seed: deriveSeed(settings.seed, position.split, position.iteration, taskIndex),
    request: {
      messages: prompt,
      cachePrefixLength: Math.max(0, prompt.length - taskTurns.length),
      ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
      ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
    } satisfies SampleRequest,
    taskTurns,
  };
  // Request failures are counted when they happen (see `requestFailed`), the rest here.
  const record = (trajectory: Trajectory<Task, Output, Info>): Trajectory<Task, Output, Info> => {
    if (!trajectory.ok && trajectory.failure.stage !== 'request') control.fail(trajectory.failure);
    control.emit({ type: 'sample', trajectory });
    return trajectory;
  };

  if (settings.rollout !== undefined) {
    const rollout = settings.rollout;
    return Promise.all(
      Array.from({ length: settings.samples }, async (_, index) =>
        record(await playEpisode(settings, control, rollout, base, index)),
      ),
    );
  }

  const completions = await sample(settings.provider, base.request, {
    n: settings.samples,
    seed: base.seed,
    signal: control.signal,
    limit: control.limit,
    state: control.state,
    onWarning: (message) => control.emit({ type: 'warning', message }),
    onRequestError: requestFailed(control),
  });
  return Promise.all(
    completions.map(async (completion, index) => record(await scoreCompletion(settings, control, base, completion, index))),
  );
}

interface TaskBase<Task> {
  readonly task: Task;
  readonly taskIndex: number;
  readonly taskId: string;
  readonly prompt: readonly Message[];
  readonly split: Split;
  readonly iteration: number;
  readonly seed: number;
  readonly request: SampleRequest;
  readonly taskTurns: readonly Message[];
}

async function scoreCompletion<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  sampled: SampledCompletion,
  index: number,
): Promise<Trajectory<Task, Output, Info>> {
  const text = sampled.ok ? sampled.completion.text : '';
  const common = {
    ...identity(base, index),
    turns: sampled.ok ? [...base.taskTurns, { role: 'assistant' as const, content: text }] : [...base.taskTurns],
    text,
    steps: [],
    usage: sampled.usage,
    costUsd: sampled.costUsd,
    latencyMs: sampled.latencyMs,
    seed: sampled.seed,
  };
  if (!sampled.ok) return failed(common, 'request', sampled.error);
  if (sampled.completion.error !== undefined) return failed(common, 'parse', new Error(sampled.completion.error));

  let output: Output;
  try {
    output =
      settings.schema === undefined
        ? (text as Output)
        : await parseOutput(settings.schema, text, sampled.completion.parsed);
  } catch (error) {
    return failed(common, 'parse', error);
  }
  const reward = settings.reward;
  if (reward === undefined) throw new TypeError('collect needs `reward` or `rollout`');
  let result: Score<Info>;
  try {
    const sampleValue: Sample<Task, Output> = { task: base.task, text, output, turns: common.turns };
    result = await score(reward, sampleValue, rewardContext(control, base, index));
  } catch (error) {
    control.signal.throwIfAborted();
    return failed(common, 'reward', error);
  }
  return { ...common, ok: true, output, reward: result.reward, info: result.info };
}

async function playEpisode<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  rollout: RolloutFunction<Task, Info>,
  base: TaskBase<Task>,
  index: number,
): Promise<Trajectory<Task, Output, Info>> {
  const conversation: Message[] = [...base.request.messages];
  const turns: Message[] = [...base.taskTurns];
  const steps: Step[] = [];
  const usages: Usage[] = [];
  const costs: (number | null)[] = [];
  let latencyMs = 0;
  let requestError: unknown;
  const episodeSeed = deriveSeed(base.seed, index);

  const act = async (message: string, info?: unknown): Promise<string> => {
    const userTurn: Message = { role: 'user', content: message };
    const [sampled] = await sample(
      settings.provider,
      { ...base.request, messages: [...conversation, userTurn] },
      {
        n: 1,
        seed: deriveSeed(episodeSeed, steps.length),
        signal: control.signal,
        limit: control.limit,
        state: control.state,
        onWarning: (warning) => control.emit({ type: 'warning', message: warning }),
        onRequestError: requestFailed(control),
      },
    );
    if (sampled === undefined) throw new Error('sample returned no completion');
    usages.push(sampled.usage);
    costs.push(sampled.costUsd);
    latencyMs += sampled.latencyMs;
    if (!sampled.ok) {
      requestError = sampled.error;
      throw sampled.error;
    }
    const reply = sampled.completion.text;
    conversation.push(userTurn, { role: 'assistant', content: reply });
    turns.push(userTurn, { role: 'assistant', content: reply });
    steps.push(info === undefined ? { message, reply } : { message, reply, info });
    return reply;
  };

  const context = {
    ...rewardContext(control, base, index),
    act,
    rng: createRng(episodeSeed),
  };
  let value: unknown;
  let rolloutError: unknown;
  let threw = false;
  try {
    value = await rollout(context);
  } catch (error) {
    threw = true;
    rolloutError = error;
  }
  control.signal.throwIfAborted();
  const text = steps.at(-1)?.reply ?? '';
  const common = {
    ...identity(base, index),
    turns,
    text,
    steps,
    usage: addUsage(zeroUsage, ...usages),
    costUsd: costs.includes(null) ? null : costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0),
    latencyMs,
    seed: episodeSeed,
  };
  if (threw) {
    return rolloutError === requestError ? failed(common, 'request', rolloutError) : failed(common, 'rollout', rolloutError);
  }
  try {
    const result = checkRewardValue(value as Parameters<typeof checkRewardValue<Info>>[0], text);
    return { ...common, ok: true, output: text as Output, reward: result.reward, info: result.info };
  } catch (error) {
    return failed(common, 'reward', error);
  }
}

/** Counts each completion a failed request should have produced as one failure, at once. */
function requestFailed(control: { readonly fail: (failure: Failure) => void }) {
  return (error: unknown, completions: number): void => {
    for (let i = 0; i < completions; i++) control.fail({ stage: 'request', message: messageOf(error), error });
  };
}

function identity<Task>(base: TaskBase<Task>, index: number) {
  return {
    id: `${base.split}/${base.iteration}/${base.taskIndex}/${index}`,
    split: base.split,
    iteration: base.iteration,
    taskIndex: base.taskIndex,
    taskId: base.taskId,
    index,
    task: base.task,
    prompt: base.prompt,
  };
}

function rewardContext<Task>(
  control: { readonly signal: AbortSignal },
  base: TaskBase<Task>,
  index: number,
): RewardContext<Task> {
  return { task: base.task, iteration: base.iteration, index, split: base.split, signal: control.signal };
}

function failed<Task, Common extends Omit<Trajectory<Task>, 'ok' | 'reward' | 'failure' | 'output' | 'info'>>(
  common: Common,
  stage: Failure['stage'],
  error: unknown,
): Common & { ok: false; reward: null; failure: Failure } {
  return { ...common, ok: false, reward: null, failure: { stage, message: messageOf(error), error } };
}
