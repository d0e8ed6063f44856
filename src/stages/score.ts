import { messageOf, RewardError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import { raceAbort, within, type AbortRacer } from '../core/wait.js';
import { parseOutput } from '../core/schema.js';
import type { RewardContext, RewardFunction, RewardValue, Sample, Score } from '../core/reward.js';
import type { Step, Trajectory } from '../core/trajectory.js';
import type { SampledCompletion } from '../providers/spec.js';
import type { RunControl } from '../run/control.js';
import type { CollectSettings, TaskBase } from './task.js';
import { failed, rewardContext, sampleId } from './task.js';

/**
 * Runs a reward function on one sample and validates what it returns.
 * Throws `RewardError` when it throws or returns anything but a finite number
 * (or `{ score, info }` with a finite score).
 */
export async function score<Task, Output, Info>(
  reward: RewardFunction<Task, Output, Info>,
  sample: Sample<Task, Output>,
  context: RewardContext<Task>,
  options: {
    /** Milliseconds the call may take. @default no limit */
    readonly timeout?: number | undefined;
    /** Races the call against the run's signal (one listener per run). @default a race of its own against `context.signal` */
    readonly race?: AbortRacer | undefined;
  } = {},
): Promise<Score<Info>> {
  let value: RewardValue<Info>;
  let timedOut: RewardError | undefined;
  try {
    // Raced against the signal: a reward that never settles cannot hold up an aborted run.
    const race = options.race ?? ((run) => raceAbort(run, context.signal));
    value = await within(() => Promise.resolve(reward(sample, context)), race, options.timeout, () => {
      timedOut = new RewardError(`The reward function did not settle within ${options.timeout} ms (\`rewardTimeout\`); it was abandoned.`, sample.text);
      return timedOut;
    });
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    if (error === timedOut) throw error;
    throw new RewardError(`The reward function threw: ${messageOf(error)}`, sample.text, { cause: error });
  }
  return checkRewardValue(value, sample.text);
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
 */
export async function scoreCompletion<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  sampled: SampledCompletion,
  index: number,
): Promise<Trajectory<Task, Output, Info>> {
  const text = sampled.ok ? sampled.completion.text : '';
  // `concat`, not a spread: a spread leaves 19 slots of room behind two turns (168 bytes a trajectory holds).
  const turns: Message[] = sampled.ok ? base.taskTurns.concat({ role: 'assistant', content: text }) : base.taskTurns.slice();
  const common = sampleFields(base, index, sampled, text, turns);
  if (!sampled.ok) return failed(common, 'request', sampled.error);
  if (sampled.completion.error !== undefined) return failed(common, 'parse', new Error(sampled.completion.error));

  let output: Output;
  try {
    output = settings.schema === undefined ? (text as Output) : await parseOutput(settings.schema, text, sampled.completion.parsed);
  } catch (error) {
    return failed(common, 'parse', error);
  }
  const reward = settings.reward;
  if (reward === undefined) throw new TypeError('collect needs `reward` or `rollout`');
  let result: Score<Info>;
  try {
    const sampleValue: Sample<Task, Output> = { task: base.task, text, output, turns };
    result = await control.rewardLimit(() =>
      score(reward, sampleValue, rewardContext(control.signal, base, index), { timeout: settings.rewardTimeout, race: control.race }),
    );
  } catch (error) {
    control.signal.throwIfAborted();
    return failed(common, 'reward', error);
  }
  return scored(common, output, result);
}

/** The steps of every single-shot sample: none, one frozen array shared by all. */
const noSteps: readonly Step[] = Object.freeze([]);

type SampleFields<Task> = ReturnType<typeof sampleFields<Task>>;

/**
 * What every single-shot sample has, whatever became of it. Built as one plain literal, as is
 * `scored`: object spreads here cost V8 about 17 µs a sample, more than the rest of the loop's
 * own work per sample.
 */
function sampleFields<Task>(base: TaskBase<Task>, index: number, sampled: SampledCompletion, text: string, turns: Message[]) {
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
    text,
    steps: noSteps,
    usage: sampled.usage,
    costUsd: sampled.costUsd,
    latencyMs: sampled.latencyMs,
    seed: sampled.seed,
    sampledBy: base.sampledBy,
  };
}

/** A scored sample: the fields of `sampleFields` listed again rather than spread (see there). */
function scored<Task, Output, Info>(fields: SampleFields<Task>, output: Output, result: Score<Info>): Trajectory<Task, Output, Info> {
  return {
    id: fields.id,
    split: fields.split,
    iteration: fields.iteration,
    taskIndex: fields.taskIndex,
    taskId: fields.taskId,
    index: fields.index,
    task: fields.task,
    prompt: fields.prompt,
    turns: fields.turns,
    text: fields.text,
    steps: fields.steps,
    usage: fields.usage,
    costUsd: fields.costUsd,
    latencyMs: fields.latencyMs,
    seed: fields.seed,
    sampledBy: fields.sampledBy,
    ok: true,
    output,
    reward: result.reward,
    info: result.info,
  };
}
