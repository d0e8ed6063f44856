import { setMaxListeners } from 'node:events';
import type { CachedCompletion, ResponseCache } from './cache.js';
import { cacheKey, CacheMissError } from './cache.js';
import type { RolloutFunction } from './episode.js';
import { BudgetExceededError, TooManyErrorsError } from './errors.js';
import type { EventListener } from './events.js';
import type { Message } from './messages.js';
import type { PromptBuilder } from './prompt.js';
import { withoutSystem } from './prompt.js';
import type { Completion, Provider, SampleRequest } from './provider.js';
import { createRng, deriveSeed } from './random.js';
import type { RewardContext, RewardFunction, Sample, Score } from './reward.js';
import { checkRewardValue, messageOf, score } from './reward.js';
import type { Limiter, RequestGate, SampledCompletion, SamplerState } from './sample.js';
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
  /** Bounds reward function calls in flight (`rewardConcurrency`). */
  readonly rewardLimit: Limiter;
  readonly state: SamplerState;
  readonly emit: EventListener<Task, Output, Info>;
  /** Counts a failure; stops the run once more than `maxErrors` have occurred. */
  readonly fail: (failure: Failure) => void;
  /** Stops all work of the run with a reason (the first reason wins). */
  readonly stop: (reason: unknown) => void;
  /** The run's journal: records completions as they arrive, and rebuilds journaled samples on resume. @default none */
  readonly journal: RunJournal | undefined;
  /** What resuming restored and what it had to sample again. */
  readonly resumed: ResumeCounts;
  /** Admits requests under the run's budgets. @default none */
  readonly gate: BudgetGate | undefined;
  /** The response cache. @default none */
  readonly cache: RunCache | undefined;
}

/** A response cache and whether it is replayed (a miss throws instead of calling the model). */
export interface RunCache {
  readonly store: ResponseCache;
  readonly replay: boolean;
}

/** What collecting needs of the run's journal (see `journal.ts`). */
export interface RunJournal {
  /**
   * What the journal holds of sample `id`: its finished trajectory, rebuilt around the
   * run's task and prompt; or only its completion, to be scored now (a crash interrupted
   * its scoring, or its parsing or scoring failed); `undefined` when it must be sampled
   * (again); `'stale'` when it was made with a prompt the run no longer builds (the run
   * diverged, e.g. a fixed scorer changed the kept set).
   */
  restore<Task, Output, Info>(
    id: string,
    task: Task,
    prompt: readonly Message[],
    singleShot: boolean,
  ): Journaled<Task, Output, Info> | 'stale' | undefined;
  /** Records a paid completion as soon as it arrives, before it is scored. */
  completion(id: string, prompt: readonly Message[], completion: SampledCompletion & { readonly ok: true }): void;
}

/** A journaled sample: finished, or a completion still to score. */
export type Journaled<Task, Output, Info> =
  | { readonly trajectory: Trajectory<Task, Output, Info> }
  | { readonly index: number; readonly completion: SampledCompletion & { readonly ok: true } };

/** Counts of a resumed run. */
export interface ResumeCounts {
  /** Samples taken from the journal instead of being requested. */
  restored: number;
  /** Journaled samples requested again because only part of their native-`n` request was journaled. */
  requestedAgain: number;
  /** Journaled samples made with a prompt the resumed run no longer builds; sampled again. */
  stale: number;
  /** Journaled completions scored without a request: a crash interrupted their scoring, or their parsing or scoring had failed. */
  rescored: number;
}

/** A request gate that also accounts for samples restored from a journal. */
export interface BudgetGate extends RequestGate {
  /** Counts restored samples against the budgets. */
  charge(usage: Usage, costUsd: number | null, samples: number): void;
}

/** Builds the run-wide mechanics: one limiter, one error budget, one stop signal. */
export function createRunControl<Task, Output, Info>(options: {
  readonly concurrency: number;
  readonly rewardConcurrency?: number | undefined;
  readonly maxErrors: number;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: EventListener<Task, Output, Info> | undefined;
  readonly journal?: RunJournal | undefined;
  readonly gate?: BudgetGate | undefined;
  readonly cache?: RunCache | undefined;
}): RunControl<Task, Output, Info> {
  const stop = new AbortController();
  const failures: string[] = [];
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  // Every waiting request (backoff, rate limit, queue) listens to the run's signal; thousands may wait at once.
  setMaxListeners(0, signal);
  return {
    signal,
    limit: createLimiter(options.concurrency),
    rewardLimit:
      options.rewardConcurrency === undefined || options.rewardConcurrency === Number.POSITIVE_INFINITY
        ? (work) => work()
        : createLimiter(options.rewardConcurrency),
    state: createSamplerState(),
    emit: options.onEvent ?? (() => {}),
    journal: options.journal,
    resumed: { restored: 0, requestedAgain: 0, stale: 0, rescored: 0 },
    gate: options.gate,
    cache: options.cache,
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
      // Providers with structured output decode against the run's schema.
      ...(settings.schema === undefined ? {} : { schema: settings.schema }),
    } satisfies SampleRequest,
    taskTurns,
  };
  // Request failures are counted when they happen (see `requestFailed`), the rest here.
  const record = (trajectory: Trajectory<Task, Output, Info>): Trajectory<Task, Output, Info> => {
    if (!trajectory.ok && trajectory.failure.stage !== 'request') control.fail(trajectory.failure);
    control.emit({ type: 'sample', trajectory });
    return trajectory;
  };

  const restored = restoreTask(settings, control, base);
  const fromJournal = async (journaled: Journaled<Task, Output, Info>): Promise<Trajectory<Task, Output, Info>> => {
    control.resumed.restored++;
    if ('completion' in journaled) {
      const { completion, index } = journaled;
      control.gate?.charge(completion.usage, completion.costUsd, 1);
      control.resumed.rescored++;
      return record(await scoreCompletion(settings, control, base, completion, index));
    }
    const { trajectory } = journaled;
    // Charge what the sample was charged when it ran: one sample, or for an episode one per turn, since each
    // `act` was a request of one completion (a turn the cache answered was free: this errs on the safe side).
    control.gate?.charge(trajectory.usage, trajectory.costUsd, settings.rollout === undefined ? 1 : trajectory.steps.length);
    if (!trajectory.ok) control.fail(trajectory.failure);
    control.emit({ type: 'sample', trajectory, restored: true });
    return trajectory;
  };

  if (settings.rollout !== undefined) {
    const rollout = settings.rollout;
    const episodes = await Promise.all(
      Array.from({ length: settings.samples }, async (_, index) => {
        const journaled = restored.get(index);
        if (journaled !== undefined) return fromJournal(journaled);
        const trajectory = await playEpisode(settings, control, rollout, base, index);
        // An episode the budget stopped before its first request never happened.
        if (refused(trajectory) && trajectory.steps.length === 0) return undefined;
        return record(trajectory);
      }),
    );
    return episodes.filter((episode) => episode !== undefined);
  }

  const cached = await cachedCompletions(settings, control, base, restored);
  const missing = Array.from({ length: settings.samples }, (_, index) => index).filter(
    (index) => !restored.has(index) && !cached.has(index),
  );
  const completions =
    missing.length === 0
      ? []
      : await sample(settings.provider, base.request, {
          n: settings.samples,
          seed: base.seed,
          signal: control.signal,
          limit: control.limit,
          state: control.state,
          onWarning: (message) => control.emit({ type: 'warning', message }),
          onRequestError: requestFailed(control),
          skip: new Set([...restored.keys(), ...cached.keys()]),
          gate: control.gate,
        });
  const fresh = completions.map(async (completion, position) => {
    // Completions the budget refused were never requested: they are not samples.
    if (!completion.ok && completion.error instanceof BudgetExceededError) return undefined;
    const index = missing[position] ?? position;
    if (completion.ok) control.journal?.completion(identity(base, index).id, base.prompt, completion);
    if (completion.ok && control.cache !== undefined) {
      await storeCached(control, control.cache, keyOf(settings, base, base.request.messages, index), completion.completion);
    }
    return record(await scoreCompletion(settings, control, base, completion, index));
  });
  const hits = [...cached].map(async ([index, completion]) => record(await scoreCompletion(settings, control, base, completion, index)));
  const all = await Promise.all([...[...restored.values()].map(fromJournal), ...hits, ...fresh]);
  return all.filter((trajectory) => trajectory !== undefined).sort((a, b) => a.index - b.index);
}

/** The cache key of one sample (of one turn, for an episode). */
function keyOf<Task>(
  settings: Pick<CollectSettings<Task, unknown, unknown>, 'provider' | 'temperature' | 'maxTokens'>,
  base: TaskBase<Task>,
  messages: readonly Message[],
  index: number,
): string {
  return cacheKey({
    provider: settings.provider.name,
    model: settings.provider.model,
    messages,
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    seed: base.seed,
    iteration: base.iteration,
    index,
  });
}

function toCached(completion: Completion): CachedCompletion {
  const { text, parsed, finishReason, logprob, error } = completion;
  return {
    text,
    ...(parsed === undefined ? {} : { parsed }),
    ...(finishReason === undefined ? {} : { finishReason }),
    ...(logprob === undefined ? {} : { logprob }),
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * A cached completion, or `undefined`. A cache that cannot be read is a miss (with a
 * warning): the sample is requested. Under `replay` there is no request to fall back
 * on, so the read's error stops the run.
 */
async function readCached<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  cache: RunCache,
  key: string,
): Promise<CachedCompletion | undefined> {
  try {
    return await cache.store.get(key);
  } catch (error) {
    if (cache.replay) {
      control.stop(error);
      throw error;
    }
    cacheFailed(control, 'read', error);
    return undefined;
  }
}

/** Stores a paid completion; a cache that cannot store it (disk full, no file descriptors) costs the sample nothing, only a warning. */
async function storeCached<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  cache: RunCache,
  key: string,
  completion: Completion,
): Promise<void> {
  try {
    await cache.store.set(key, toCached(completion));
  } catch (error) {
    cacheFailed(control, 'store', error);
  }
}

/** Warns once per kind of cache failure in a run (by error code, else message: a path in the message would make each one new). */
function cacheFailed<Task, Output, Info>(control: RunControl<Task, Output, Info>, action: 'read' | 'store', error: unknown): void {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const kind = `cache ${action}: ${typeof code === 'string' ? code : messageOf(error)}`;
  if (control.state.warned.has(kind)) return;
  control.state.warned.add(kind);
  const message =
    action === 'read'
      ? `The response cache could not be read (${messageOf(error)}); the sample was requested as on a cache miss.`
      : `The response cache could not store a completion (${messageOf(error)}); the sample is kept, but not cached.`;
  control.emit({ type: 'warning', message: `${message} Further cache failures like this one are not reported.` });
}

/** Cached completions of a task's samples not restored from a journal. A cache hit costs nothing. */
async function cachedCompletions<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  restored: ReadonlyMap<number, unknown>,
): Promise<Map<number, SampledCompletion>> {
  const hits = new Map<number, SampledCompletion>();
  const cache = control.cache;
  if (cache === undefined) return hits;
  for (let index = 0; index < settings.samples; index++) {
    if (restored.has(index)) continue;
    const key = keyOf(settings, base, base.request.messages, index);
    const completion = await readCached(control, cache, key);
    if (completion !== undefined) {
      hits.set(index, { ok: true, completion, usage: zeroUsage, costUsd: 0, latencyMs: 0, seed: base.seed });
    } else if (cache.replay) {
      throw new CacheMissError({ key, taskId: base.taskId, split: base.split, iteration: base.iteration, index });
    }
  }
  return hits;
}

/** What the journal holds of a task's samples, minus those to sample again. */
function restoreTask<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
): Map<number, Journaled<Task, Output, Info>> {
  const restored = new Map<number, Journaled<Task, Output, Info>>();
  if (control.journal === undefined) return restored;
  for (let index = 0; index < settings.samples; index++) {
    const id = identity(base, index).id;
    const found = control.journal.restore<Task, Output, Info>(id, base.task, base.prompt, settings.rollout === undefined);
    if (found === 'stale') control.resumed.stale++;
    else if (found !== undefined) restored.set(index, found);
  }
  // A native-n request made all its samples at once (they share its seed). When only
  // part of them were journaled, request it again whole so the result is the same.
  if (settings.rollout === undefined && settings.samples > 1) {
    const seedOf = (journaled: Journaled<Task, Output, Info>): number =>
      'completion' in journaled ? journaled.completion.seed : journaled.trajectory.seed;
    const shared = [...restored].filter(([, journaled]) => seedOf(journaled) === base.seed);
    if (shared.length > 0 && shared.length < settings.samples) {
      for (const [index] of shared) restored.delete(index);
      control.resumed.requestedAgain += shared.length;
    }
  }
  return restored;
}

function refused(trajectory: Trajectory<unknown, unknown, unknown>): boolean {
  return !trajectory.ok && trajectory.failure.error instanceof BudgetExceededError;
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
    result = await control.rewardLimit(() => score(reward, sampleValue, rewardContext(control, base, index)));
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
    const messages = [...conversation, userTurn];
    const key = control.cache === undefined ? undefined : keyOf(settings, base, messages, index);
    const hit = key === undefined || control.cache === undefined ? undefined : await readCached(control, control.cache, key);
    if (hit === undefined && control.cache?.replay === true && key !== undefined) {
      const miss = new CacheMissError({ key, taskId: base.taskId, split: base.split, iteration: base.iteration, index, step: steps.length });
      // Stop the run, not only this episode: a rollout must not be able to swallow a replay miss.
      control.stop(miss);
      throw miss;
    }
    const [sampled] =
      hit === undefined
        ? await sample(
            settings.provider,
            { ...base.request, messages },
            {
              n: 1,
              seed: deriveSeed(episodeSeed, steps.length),
              signal: control.signal,
              limit: control.limit,
              state: control.state,
              onWarning: (warning) => control.emit({ type: 'warning', message: warning }),
              onRequestError: requestFailed(control),
              gate: control.gate,
            },
          )
        : [{ ok: true as const, completion: hit, usage: zeroUsage, costUsd: 0, latencyMs: 0, seed: episodeSeed }];
    if (sampled === undefined) throw new Error('sample returned no completion');
    usages.push(sampled.usage);
    costs.push(sampled.costUsd);
    latencyMs += sampled.latencyMs;
    if (!sampled.ok) {
      requestError = sampled.error;
      throw sampled.error;
    }
    if (hit === undefined && key !== undefined && control.cache !== undefined) {
      await storeCached(control, control.cache, key, sampled.completion);
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
