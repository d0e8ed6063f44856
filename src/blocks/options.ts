import type { ResponseCache } from '../run/response-cache.js';
import { resolveCache } from '../run/response-cache.js';
import type { CollectSettings } from '../stages/task.js';
import { checkedMessages } from '../stages/task.js';
import type { RewardFunction, RolloutFunction } from '../core/reward.js';
import { ConfigError } from '../core/errors.js';
import { checkOptionNames } from './option-names.js';
import type { EventListener } from '../run/events.js';
import type { Folder } from '../stages/fold.js';
import type { PromptBuilder, TaskRenderer } from '../stages/prompt.js';
import { defaultPrompt, withoutSystem } from '../stages/prompt.js';
import { tokenCounterFor } from '../core/tokens.js';
import { boundNearest, isNearest } from '../stages/nearest.js';
import type { Message } from '../core/messages.js';
import type { Provider } from '../providers/spec.js';
import type { StandardSchemaV1 } from '../core/schema.js';
import type { Split } from '../core/trajectory.js';
import { resolveResume, type FingerprintedFunction, type ResumeOptions } from './journal-config.js';
import type { Budget } from '../run/budget.js';
import type { RunSetup } from '../run/open-run.js';
import { createBudgetGate } from '../run/budget.js';

/**
 * How samples are produced and scored. Shared by `iterate`, `evaluate` and
 * `bestOfN`. Give exactly one of `reward` (single-shot) and `rollout` (multi-turn).
 */
export interface RunOptions<Task, Output = string, Info = undefined> {
  /** The model. */
  readonly provider: Provider;
  /** Scores one single-shot sample: a finite number, or `{ score, info }`. */
  readonly reward?: RewardFunction<Task, Output, Info>;
  /** Plays one multi-turn episode and returns its reward (instead of `reward`). */
  readonly rollout?: RolloutFunction<Task, Info>;
  /** Output schema (zod 4 or any Standard Schema); a parse failure is a failed sample. @default none: the output is the text */
  readonly schema?: StandardSchemaV1<unknown, Output>;
  /** System prompt for the default prompt builder. @default none */
  readonly system?: string;
  /**
   * The task's own user turn(s) for the default prompt builder.
   * @default a string task as it is, anything else as JSON; nothing with `rollout` (its `act` sends the turns)
   */
  readonly render?: TaskRenderer<Task>;
  /**
   * How kept examples enter the prompt. A typed folder also gives the run its `Info` type (an inline
   * reward's info is then checked against it); the reward's own info wins when both give one.
   * @default fewShotMessages()
   */
  readonly fold?: Folder<NoInfer<Task>, NoInfer<Output>, Info>;
  /** Replaces the default prompt builder (`system`, `fold`, `render`) entirely. */
  readonly prompt?: PromptBuilder<Task, Output, Info>;
  /** Samples (or episodes) per task per iteration. @default 4 */
  readonly samples?: number;
  /** Sampling temperature, 0 to 2. @default the provider's default (1 for OpenAI and the offline learner); not sent when omitted */
  readonly temperature?: number;
  /** Upper bound on completion tokens per request. @default the provider's default */
  readonly maxOutputTokens?: number;
  /** A task's id, used by `excludeOwnTask`, `perTask` and the journal. @default `task.id` when it is a string or number, else `<split>/<index>` */
  readonly taskId?: (task: Task, index: number) => string;
  /** Keep a task's own trajectories out of its prompt (learn to generalise rather than to solve a fixed set). @default false */
  readonly excludeOwnTask?: boolean;

  /**
   * Most requests in flight at once, across all tasks, samples and held-out evaluation: a ceiling.
   * `openai` and `anthropic` pace below it by the rate-limit headers of each response, so it can be
   * left high without sitting in 429 back-off; a server without such headers gets all of it.
   * @default 32
   */
  readonly concurrency?: number;
  /** Seed for every random choice: request seeds, stochastic selection, rollout RNGs. An integer from 0 to 2^32 - 1. @default 0 */
  readonly seed?: number;
  /** Aborts the run: it rejects with the signal's reason and starts no new request. */
  readonly signal?: AbortSignal;
  /** Most reward function calls in flight at once (for scorers that run code in a sandbox or call a judge model). @default Infinity */
  readonly rewardConcurrency?: number;
  /**
   * Milliseconds one reward function call, or one whole rollout, may take; past it the sample
   * fails with a reason saying so, and the call is abandoned. An abort ends the run at once either way.
   * @default no limit
   */
  readonly rewardTimeout?: number;
  /** Failed samples tolerated before the run stops with `TooManyErrorsError`. @default 25 */
  readonly maxErrors?: number;
  /** Receives progress events (see `RunEvent`). @default none */
  readonly onEvent?: EventListener<Task, Output, Info>;
  /**
   * Response cache: a `ResponseCache` (e.g. `memoryCache()`), or a path (`.jsonl` for one file,
   * anything else for a directory). Keyed by provider, model, messages, parameters, iteration and sample index.
   * @default none
   */
  readonly cache?: ResponseCache | string;
  /** Answer only from `cache`: a sample not in it throws `CacheMissError` instead of calling the model. @default false */
  readonly replay?: boolean;
  /** Path of a JSONL journal that records every sample as it happens (see `readJournal`). @default none */
  readonly journal?: string;
  /**
   * Continue the run recorded in `journal`: journaled samples are not requested again and the
   * result equals an uninterrupted run's. Refused when the options differ, or when the source text
   * of `reward`, `rollout`, `prompt` or `render` changed (its scores or prompts would mix with the
   * journaled ones); `{ acceptChanged: ['reward'] }` resumes anyway and records that in the journal.
   * A missing journal starts a new run.
   * @default false
   */
  readonly resume?: boolean | ResumeOptions;
  /** Limits on the run's cost, samples and tokens; when the next request could cross one, the run ends early. @default no limits */
  readonly budget?: Budget;
}

/** Every option `RunOptions` has, listed at run time so that a misspelled one is caught. */
export const runOptionNames = [
  'provider',
  'reward',
  'rollout',
  'schema',
  'system',
  'render',
  'fold',
  'prompt',
  'samples',
  'temperature',
  'maxOutputTokens',
  'taskId',
  'excludeOwnTask',
  'concurrency',
  'seed',
  'signal',
  'rewardConcurrency',
  'rewardTimeout',
  'maxErrors',
  'onEvent',
  'cache',
  'replay',
  'journal',
  'resume',
  'budget',
] as const satisfies readonly (keyof RunOptions<unknown>)[];

// Fails to compile when RunOptions gains an option this list lacks.
type Unlisted = Exclude<keyof RunOptions<unknown>, (typeof runOptionNames)[number]>;
const complete: [Unlisted] extends [never] ? true : Unlisted = true;
void complete;

/** The defaults, filled in one place. */
export const runDefaults = {
  samples: 4,
  // 32, not 8: pacing by the rate-limit headers keeps a high ceiling out of 429 back-off (see docs/options.md).
  concurrency: 32,
  seed: 0,
  maxErrors: 25,
  excludeOwnTask: false,
} as const;

/** Run options after validation, with defaults filled in: how samples are made, and the run's setup. */
export interface ResolvedRunOptions<Task, Output, Info> extends Omit<RunSetup<Task, Output, Info>, 'journal'> {
  readonly settings: CollectSettings<Task, Output, Info>;
  /** The journal path and whether to resume it (each entry point adds what its journal records); `undefined` without a journal. */
  readonly journal:
    | { readonly path: string; readonly resume: boolean; readonly acceptChanged: readonly FingerprintedFunction[] }
    | undefined;
}

/** Validates sampling options (throwing `ConfigError` naming the option) and fills in defaults. */
export function resolveRunOptions<Task, Output, Info>(
  options: RunOptions<Task, Output, Info>,
  entry: { readonly name: string; readonly options: readonly string[] },
): ResolvedRunOptions<Task, Output, Info> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', options, 'an options object');
  checkOptionNames(entry.name, options, [...runOptionNames, ...entry.options]);
  checkCallbacks(options);
  const samples = integer('samples', options.samples ?? runDefaults.samples, 1);
  const temperature = options.temperature;
  if (temperature !== undefined && (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2))) {
    throw new ConfigError('temperature', temperature, 'a number from 0 to 2');
  }
  const maxOutputTokens = options.maxOutputTokens === undefined ? undefined : integer('maxOutputTokens', options.maxOutputTokens, 1);
  const seed = options.seed ?? runDefaults.seed;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new ConfigError('seed', seed, 'an integer from 0 to 2^32 - 1');
  const rewardTimeout = options.rewardTimeout;
  if (rewardTimeout !== undefined && (typeof rewardTimeout !== 'number' || !(rewardTimeout > 0))) {
    throw new ConfigError('rewardTimeout', rewardTimeout, 'a positive number of milliseconds');
  }
  const excludeOwnTask = options.excludeOwnTask ?? runDefaults.excludeOwnTask;
  if (typeof excludeOwnTask !== 'boolean') throw new ConfigError('excludeOwnTask', excludeOwnTask, 'true or false');
  const userTaskId = options.taskId;
  const taskId = (task: Task, index: number, split: Split): string =>
    userTaskId === undefined ? defaultTaskId(task, index, split) : userTaskId(task, index);
  // A `nearest` folder reads this run's own embeddings (filled before prompts with examples are built).
  const embeddings = isNearest(options.fold) ? { spec: options.fold.nearest, vectors: new Map<string, readonly number[]>() } : undefined;
  const prompt =
    options.prompt ??
    defaultPrompt<Task, Output, Info>({
      system: options.system,
      render: options.render ?? (options.rollout === undefined ? undefined : () => []),
      fold: embeddings === undefined ? options.fold : boundNearest<Task, Output, Info>(embeddings),
      tokens: tokenCounterFor(options.provider.model),
    });
  return {
    settings: {
      provider: options.provider,
      role: 'student',
      taskTurns: taskTurnsOf(prompt),
      reward: options.reward,
      rollout: options.rollout,
      schema: options.schema,
      prompt,
      samples,
      temperature,
      maxOutputTokens,
      taskId,
      excludeOwnTask,
      embeddings,
      rewardTimeout,
      seed: seed >>> 0,
    },
    ...resolveMechanics(options, maxOutputTokens),
  };
}

/** Checks the provider, the callbacks and how they combine. */
function checkCallbacks<Task, Output, Info>(options: RunOptions<Task, Output, Info>): void {
  const provider = options.provider as unknown;
  if (typeof provider !== 'object' || provider === null || typeof (provider as Provider).sample !== 'function') {
    throw new ConfigError('provider', provider, 'a Provider such as openai({ model }) or fromFunction(fn)');
  }
  if (options.reward === undefined && options.rollout === undefined) {
    throw new ConfigError('reward', options.reward, 'a reward function (sample, context) => number, or a `rollout` function');
  }
  if (options.reward !== undefined && options.rollout !== undefined) {
    throw new ConfigError('rollout', options.rollout, 'either `reward` or `rollout`, not both');
  }
  for (const name of ['reward', 'rollout', 'render', 'fold', 'prompt', 'taskId', 'onEvent'] as const) optionalFunction(name, options[name]);
  if (options.schema !== undefined && typeof options.schema?.['~standard']?.validate !== 'function') {
    throw new ConfigError('schema', options.schema, 'a zod 4 schema or another Standard Schema validator');
  }
  if (options.schema !== undefined && options.rollout !== undefined) {
    throw new ConfigError('schema', options.schema, 'no schema with `rollout` (parse replies inside the rollout)');
  }
  if (options.system !== undefined && typeof options.system !== 'string') {
    throw new ConfigError('system', options.system, 'a string');
  }
  if (options.prompt !== undefined && (options.system !== undefined || options.render !== undefined || options.fold !== undefined)) {
    throw new ConfigError('prompt', options.prompt, '`prompt` alone: it replaces `system`, `render` and `fold`; fold inside it instead');
  }
}

/** The call mechanics one run shares: limits, signal, cache, budget and journal. */
function resolveMechanics<Task, Output, Info>(options: RunOptions<Task, Output, Info>, maxOutputTokens: number | undefined) {
  const concurrency = integer('concurrency', options.concurrency ?? runDefaults.concurrency, 1);
  const rewardConcurrency = options.rewardConcurrency ?? Number.POSITIVE_INFINITY;
  if (rewardConcurrency !== Number.POSITIVE_INFINITY) integer('rewardConcurrency', rewardConcurrency, 1);
  const maxErrors = options.maxErrors ?? runDefaults.maxErrors;
  if (maxErrors !== Number.POSITIVE_INFINITY) integer('maxErrors', maxErrors, 0);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new ConfigError('signal', options.signal, 'an AbortSignal');
  }
  const store = resolveCache(options.cache);
  const replay = options.replay ?? false;
  if (typeof replay !== 'boolean') throw new ConfigError('replay', replay, 'true or false');
  if (replay && store === undefined) throw new ConfigError('replay', replay, 'a `cache` to replay from');
  if (options.journal !== undefined && (typeof options.journal !== 'string' || options.journal === '')) {
    throw new ConfigError('journal', options.journal, 'a file path');
  }
  const { resume, acceptChanged } = resolveResume(options.resume);
  if (resume && options.journal === undefined) throw new ConfigError('resume', options.resume, 'a `journal` path to resume from');
  const { model, prices, costPerCall } = options.provider;
  const gate = createBudgetGate(options.budget, { model, completionTokens: maxOutputTokens, prices, costPerCall });
  return {
    concurrency,
    rewardConcurrency,
    maxErrors,
    signal: options.signal,
    onEvent: options.onEvent,
    cache: store === undefined ? undefined : { store, replay },
    gate,
    journal: options.journal === undefined ? undefined : { path: options.journal, resume, acceptChanged },
  };
}

function defaultTaskId(task: unknown, index: number, split: Split): string {
  if (typeof task === 'object' && task !== null && 'id' in task) {
    const id = (task as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return `${split}/${index}`;
}

/** Checks that a count is an integer of at least `minimum`. */
export function integer(option: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ConfigError(option, value, `an integer of at least ${minimum}`);
  }
  return value;
}

/** Checks that an optional option is a function. */
export function optionalFunction(option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigError(option, value, 'a function');
}

/**
 * A task's own turns: its prompt with no examples and no system message. Built once per
 * task and split for the settings' lifetime (one run), not once per iteration.
 */
function taskTurnsOf<Task, Output, Info>(prompt: PromptBuilder<Task, Output, Info>) {
  const built = new Map<string, readonly Message[]>();
  return (task: Task, taskIndex: number, split: Split): readonly Message[] => {
    const key = `${split}/${taskIndex}`;
    let turns = built.get(key);
    if (turns === undefined) {
      turns = withoutSystem(checkedMessages(prompt(task, []), split, taskIndex));
      built.set(key, turns);
    }
    return turns;
  };
}
