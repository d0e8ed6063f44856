import { CacheMissError } from '../run/response-cache.js';
import type { RolloutFunction } from './episode.js';
import { BudgetExceededError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import type { PromptBuilder } from './prompt.js';
import { withoutSystem } from './prompt.js';
import type { Provider, SampleRequest } from '../providers/spec.js';
import { createRng, deriveSeed } from '../core/random.js';
import type { RewardContext, RewardFunction, Sample, Score } from './score.js';
import { checkRewardValue, score } from './score.js';
import { messageOf } from '../core/errors.js';
import { cachedCompletions, fromCache, keyOf, readCached, storeCached } from '../run/cache-lookups.js';
import type { Journaled } from '../journal/restore.js';
import type { RunControl } from '../run/control.js';
import { requestFailed } from '../run/control.js';
import type { SampledCompletion } from '../providers/spec.js';
import { sample } from './plan.js';
import type { StandardSchemaV1 } from '../core/schema.js';
import { parseOutput } from '../core/schema.js';
import { excludeTask } from './select.js';
import type { Example, Failure, Split, Step, Trajectory } from '../core/trajectory.js';
import type { Usage } from '../core/usage.js';
import { addUsage, zeroUsage } from '../core/usage.js';

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
  // A single-shot request failure is counted when it happens (see `requestFailed`), to stop a failing
  // run promptly. An episode counts once, as a whole: its rollout may recover from a failed turn; and
  // an episode the budget cut short is no error (the run ends normally, with `stopped`).
  const countsNow = (failure: Failure): boolean =>
    settings.rollout === undefined ? failure.stage !== 'request' : !(failure.error instanceof BudgetExceededError);
  const record = (trajectory: Trajectory<Task, Output, Info>): Trajectory<Task, Output, Info> => {
    if (!trajectory.ok && countsNow(trajectory.failure)) control.fail(trajectory.failure);
    control.journal?.sample(trajectory);
    control.emit({ type: 'sample', trajectory });
    return trajectory;
  };

  const restored = restoreTask(settings, control, base);
  const fromJournal = async (journaled: Journaled<Task, Output, Info>): Promise<Trajectory<Task, Output, Info>> => {
    control.resumed.restored++;
    if ('completion' in journaled) {
      const { completion, index } = journaled;
      control.resumed.rescored++;
      return record(await scoreCompletion(settings, control, base, completion, index));
    }
    const { trajectory } = journaled;
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
  const stores: Promise<void>[] = [];
  // Journaled (and cached) as each request returns, not when the task's last one does: a crash
  // or an abort while one request of the task is in flight loses none of the others.
  const arrived = (index: number, completion: SampledCompletion & { readonly ok: true }): void => {
    control.journal?.completion(identity(base, index).id, base.prompt, completion);
    if (control.cache !== undefined) {
      const key = keyOf(settings, base, base.request.messages, index);
      stores.push(storeCached(control, control.cache, key, completion.completion, completion.seed));
    }
  };
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
          onCompletion: arrived,
          skip: new Set([...restored.keys(), ...cached.keys()]),
          gate: control.gate,
        });
  const fresh = completions.map(async (completion, position) => {
    // Completions the budget refused were never requested: they are not samples.
    if (!completion.ok && completion.error instanceof BudgetExceededError) return undefined;
    const index = missing[position] ?? position;
    return record(await scoreCompletion(settings, control, base, completion, index));
  });
  const hits = [...cached].map(async ([index, completion]) => record(await scoreCompletion(settings, control, base, completion, index)));
  const all = await Promise.all([...[...restored.values()].map(fromJournal), ...hits, ...fresh, ...stores]);
  return all
    .filter((trajectory): trajectory is Trajectory<Task, Output, Info> => trajectory !== undefined)
    .sort((a, b) => a.index - b.index);
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
  const native = [...restored.values()].filter((journaled) => (journaled.requestAsked ?? 0) > 1);
  if (native.length === 0) return;
  const returned = Math.max(...native.map((journaled) => journaled.requestCompletions ?? 0));
  if (native.length >= returned) return;
  for (const [index, journaled] of restored) {
    if ((journaled.requestAsked ?? 0) === 0) continue;
    restored.delete(index);
    control.resumed.requestedAgain++;
  }
}

/** Whether `error` is `cause`, or has it somewhere down its `cause` chain. */
function causedBy(error: unknown, cause: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && current !== null && !seen.has(current); ) {
    if (current === cause) return true;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function refused(trajectory: Trajectory<unknown, unknown, unknown>): boolean {
  return !trajectory.ok && trajectory.failure.error instanceof BudgetExceededError;
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
              gate: control.gate,
            },
          )
        : [fromCache(hit, episodeSeed)];
    if (sampled === undefined) throw new Error('sample returned no completion');
    usages.push(sampled.usage);
    costs.push(sampled.costUsd);
    latencyMs += sampled.latencyMs;
    if (!sampled.ok) {
      requestError = sampled.error;
      throw sampled.error;
    }
    if (hit === undefined && key !== undefined && control.cache !== undefined) {
      await storeCached(control, control.cache, key, sampled.completion, sampled.seed);
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
    // Cut short by the budget: the rollout rethrew the refusal, or wrapped it (its `cause` chain holds it).
    // Once the budget refuses a turn it refuses every later one, so the last failed turn holds the refusal.
    if (requestError instanceof BudgetExceededError && causedBy(rolloutError, requestError)) return failed(common, 'request', requestError);
    return rolloutError === requestError ? failed(common, 'request', rolloutError) : failed(common, 'rollout', rolloutError);
  }
  try {
    const result = checkRewardValue(value as Parameters<typeof checkRewardValue<Info>>[0], text);
    return { ...common, ok: true, output: text as Output, reward: result.reward, info: result.info };
  } catch (error) {
    return failed(common, 'reward', error);
  }
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
