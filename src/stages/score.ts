import { messageOf, RewardError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import { raceAbort, within, type AbortRacer } from '../core/wait.js';
import { parseOutput } from '../core/schema.js';
import type { RewardContext, RewardFunction, RewardValue, Sample, Score } from '../core/reward.js';
import type { StandardSchemaV1 } from '../core/schema.js';
import type { Step, Trajectory } from '../core/trajectory.js';
import type { SampledCompletion } from '../providers/spec.js';
import type { RunControl } from '../run/control.js';
import type { CollectSettings, TaskBase } from './task.js';
import { failed, identity, rewardContext, sampleId } from './task.js';

/** Options of `score`. */
export interface ScoreOptions {
  /** Milliseconds the call may take. @default no limit */
  readonly timeout?: number | undefined;
  /** Races the call against the run's signal (one listener per run). @default a race of its own against `context.signal` */
  readonly race?: AbortRacer | undefined;
}

/**
 * Runs a reward function on one sample and validates what it returns.
 * Throws `RewardError` when it throws or returns anything but a finite number
 * (or `{ score, info }` with a finite score).
 */
export async function score<Task, Output, Info>(
  reward: RewardFunction<Task, Output, Info>,
  sample: Sample<Task, Output>,
  context: RewardContext<Task>,
  options: ScoreOptions = {},
): Promise<Score<Info>> {
  return scoreOf(await scoreNow(reward, sample, context, options.timeout, options.race));
}

/**
 * A reward function's checked value: a finite number as it is (a reward without `info`, the usual
 * case: no object a sample), else the `Score` it returned. See `scoreOf`.
 */
type Checked<Info> = number | Score<Info>;

/** The `Score` of a checked value. */
function scoreOf<Info>(checked: Checked<Info>): Score<Info> {
  return typeof checked === 'number' ? { reward: checked, info: undefined } : checked;
}

/** A checked value returned as it is when it is a finite number, else checked by `checkRewardValue`. */
function checked<Info>(value: RewardValue<Info>, sample: unknown): Checked<Info> {
  return typeof value === 'number' && Number.isFinite(value) ? value : checkRewardValue(value, sample);
}

/**
 * `score`, settled at once when the reward function returns a value rather than a promise:
 * nothing is left to race or time, and a run scores thousands of samples without a promise each.
 * A promise is raced against the signal and the timeout. Throws (or rejects) as `score` does.
 */
function scoreNow<Task, Output, Info>(
  reward: RewardFunction<Task, Output, Info>,
  sample: Sample<Task, Output>,
  context: RewardContext<Task>,
  timeout: number | undefined,
  race: AbortRacer | undefined,
): Checked<Info> | Promise<Checked<Info>> {
  if (context.signal.aborted) throw context.signal.reason;
  // The timeout counts from the call, its synchronous part included.
  const started = timeout === undefined ? 0 : performance.now();
  let value: RewardValue<Info> | PromiseLike<RewardValue<Info>>;
  try {
    value = reward(sample, context);
  } catch (error) {
    throw rewardFailure(error, context, sample);
  }
  // A reward that aborted the run while it ran ends the run as one still running would.
  if (context.signal.aborted) throw context.signal.reason;
  if (!isThenable(value)) return checked(value, sample.text);
  return settled(value, sample, context, timeout, timeout === undefined ? undefined : timeout - (performance.now() - started), race);
}

/** A reward's promise, raced against the run's signal and the timeout, then checked. */
async function settled<Task, Output, Info>(
  pending: PromiseLike<RewardValue<Info>>,
  sample: Sample<Task, Output>,
  context: RewardContext<Task>,
  timeout: number | undefined,
  remainingMs: number | undefined,
  race: AbortRacer | undefined,
): Promise<Checked<Info>> {
  let value: RewardValue<Info>;
  let timedOut: RewardError | undefined;
  try {
    // Raced against the signal: a reward that never settles cannot hold up an aborted run.
    const racer = race ?? ((run) => raceAbort(run, context.signal));
    value = await within(() => pending, racer, remainingMs === undefined ? undefined : Math.max(0, remainingMs), () => {
      timedOut = new RewardError(`The reward function did not settle within ${timeout} ms (\`rewardTimeout\`); it was abandoned.`, sample.text);
      return timedOut;
    });
  } catch (error) {
    if (error === timedOut) throw error;
    throw rewardFailure(error, context, sample);
  }
  return checked(value, sample.text);
}

/** What a reward function's throw or rejection becomes: the run's abort reason when it stopped, else a `RewardError`. */
function rewardFailure(error: unknown, context: RewardContext<unknown>, sample: Sample<unknown, unknown>): unknown {
  if (context.signal.aborted) return context.signal.reason;
  return new RewardError(`The reward function threw: ${messageOf(error)}`, sample.text, { cause: error });
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Validates a reward value returned by user code. */
export function checkRewardValue<Info>(value: RewardValue<Info>, sample: unknown): Score<Info> {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return { reward: value, info: undefined };
  } else if (typeof value === 'object' && value !== null && typeof value.score === 'number') {
    if (Number.isFinite(value.score)) return { reward: value.score, info: value.info };
  }
  throw new RewardError(
    `The reward function returned ${describeReward(value)}; return a finite number or { score: number, info }.`,
    sample,
  );
}

/** What a reward function returned, shown as it was: `NaN`, `string "abc"`, `{ score: string "1" }`. */
function describeReward(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'object' && value !== null && 'score' in value) return `{ score: ${describeReward(value.score)} }`;
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object without a numeric `score`';
  return value === undefined || value === null ? String(value) : `${typeof value} ${String(value)}`;
}

/**
 * One single-shot sample from its completion: parsed with the run's schema and scored by
 * its reward function, or failed at the stage that went wrong (request, parse, reward).
 * Settled at once, without a promise, when there is no schema to parse with, no
 * `rewardConcurrency` to wait for and the reward function returns a value.
 */
export function scoreCompletion<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  sampled: SampledCompletion,
  index: number,
): Trajectory<Task, Output, Info> | Promise<Trajectory<Task, Output, Info>> {
  if (!sampled.ok) return failed(sampleFields(base, index, sampled, '', base.taskTurns.slice()), 'request', sampled.error);
  const text = sampled.completion.text;
  const turns = appended(base.taskTurns, { role: 'assistant', content: text });
  if (sampled.completion.error !== undefined) return failed(sampleFields(base, index, sampled, text, turns), 'parse', new Error(sampled.completion.error));
  if (settings.schema === undefined) return rewarded(settings, control, base, index, sampled, turns, text as Output);
  return parsedThenRewarded(settings, control, base, index, sampled, turns, settings.schema);
}

/**
 * `turns` and then `turn`, in an array of exactly that length: a spread leaves 19 slots of room
 * behind two turns (168 bytes a trajectory holds), and `concat` looks each argument up for
 * `Symbol.isConcatSpreadable`, the costliest line of scoring a sample.
 */
function appended(turns: readonly Message[], turn: Message): Message[] {
  if (turns.length === 1) return [turns[0]!, turn];
  const all: Message[] = new Array<Message>(turns.length + 1);
  for (let i = 0; i < turns.length; i++) all[i] = turns[i]!;
  all[turns.length] = turn;
  return all;
}

/** A completion that came back, on its way to a trajectory: passed with its index and turns as arguments, no object a sample. */
type Answered = SampledCompletion & { readonly ok: true };

async function parsedThenRewarded<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  index: number,
  sampled: Answered,
  turns: Message[],
  schema: StandardSchemaV1<unknown, Output>,
): Promise<Trajectory<Task, Output, Info>> {
  const { text, parsed } = sampled.completion;
  let output: Output;
  try {
    output = await parseOutput(schema, text, parsed);
  } catch (error) {
    return failed(sampleFields(base, index, sampled, text, turns), 'parse', error);
  }
  return rewarded(settings, control, base, index, sampled, turns, output);
}

/** The sample scored by the run's reward function, or failed at the reward stage. */
function rewarded<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  index: number,
  sampled: Answered,
  turns: Message[],
  output: Output,
): Trajectory<Task, Output, Info> | Promise<Trajectory<Task, Output, Info>> {
  const reward = settings.reward;
  if (reward === undefined) throw new TypeError('collect needs `reward` or `rollout`');
  const sampleValue: Sample<Task, Output> = { task: base.task, text: sampled.completion.text, output, turns };
  const context = rewardContext(control.signal, base, index);
  if (control.rewardLimit !== undefined) {
    return control
      .rewardLimit(async () => {
        // A call not yet started when the run stopped never starts.
        control.signal.throwIfAborted();
        return scoreNow(reward, sampleValue, context, settings.rewardTimeout, control.race);
      })
      .then(
        (result) => scored(base, index, sampled, turns, output, result),
        (error: unknown) => rewardFailed(control, base, index, sampled, turns, error),
      );
  }
  // No closure on this path: a run makes it for every sample. `scoreNow` throws the run's abort
  // reason when it stopped, before the call.
  let result: Checked<Info> | Promise<Checked<Info>>;
  try {
    result = scoreNow(reward, sampleValue, context, settings.rewardTimeout, control.race);
  } catch (error) {
    return rewardFailed(control, base, index, sampled, turns, error);
  }
  if (!(result instanceof Promise)) return scored(base, index, sampled, turns, output, result);
  return result.then(
    (value) => scored(base, index, sampled, turns, output, value),
    (error: unknown) => rewardFailed(control, base, index, sampled, turns, error),
  );
}

/** A sample whose reward failed; the run's abort reason instead when the run stopped. */
function rewardFailed<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  index: number,
  sampled: Answered,
  turns: Message[],
  error: unknown,
): Trajectory<Task, Output, Info> {
  control.signal.throwIfAborted();
  return failed(sampleFields(base, index, sampled, sampled.completion.text, turns), 'reward', error);
}

/** The steps of every single-shot sample: none, one frozen array shared by all. */
const noSteps: readonly Step[] = Object.freeze([]);

/**
 * What every single-shot sample has, whatever became of it: what a failed one is built from (a
 * failure is rare; a scored sample, on every sample's path, is built in one literal by `scored`).
 */
function sampleFields<Task>(base: TaskBase<Task>, index: number, sampled: SampledCompletion, text: string, turns: Message[]) {
  return { ...identity(base, index), turns, text, steps: noSteps, usage: sampled.usage, costUsd: sampled.costUsd, latencyMs: sampled.latencyMs, seed: sampled.seed };
}

/**
 * A scored sample, in one literal: the fields of `identity` and `sampleFields` listed again rather than
 * spread, since a spread per sample cost V8 more than the rest of the loop's own work per sample.
 */
function scored<Task, Output, Info>(
  base: TaskBase<Task>,
  index: number,
  sampled: Answered,
  turns: Message[],
  output: Output,
  result: Checked<Info>,
): Trajectory<Task, Output, Info> {
  return {
    id: sampleId(base, index),
    split: base.split,
    iteration: base.iteration,
    taskIndex: base.taskIndex,
    taskId: base.taskId,
    index,
    task: base.task,
    prompt: base.prompt,
    turns,
    text: sampled.completion.text,
    steps: noSteps,
    usage: sampled.usage,
    costUsd: sampled.costUsd,
    latencyMs: sampled.latencyMs,
    seed: sampled.seed,
    sampledBy: base.sampledBy,
    ok: true,
    output,
    reward: typeof result === 'number' ? result : result.reward,
    info: typeof result === 'number' ? undefined : result.info,
  };
}
