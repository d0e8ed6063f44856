import { messageOf, RewardError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import type { Split } from '../core/trajectory.js';

/** What a reward function sees of one sample. */
export interface Sample<Task, Output = string> {
  readonly task: Task;
  /** The final assistant text. */
  readonly text: string;
  /** The parsed output (the text itself when there is no schema). */
  readonly output: Output;
  /** The task's own conversation, user and assistant turns. */
  readonly turns: readonly Message[];
}

/** Where a sample stands in the run; handed to reward functions and rollouts. */
export interface RewardContext<Task> {
  readonly task: Task;
  readonly iteration: number;
  /** Sample index within the task. */
  readonly index: number;
  readonly split: Split;
  /** Aborts when the run is aborted; pass it to anything slow. */
  readonly signal: AbortSignal;
}

/** A reward: a finite number, or a score with free-form info kept in the log. */
export type RewardValue<Info = unknown> = number | { readonly score: number; readonly info?: Info };

/** The user's scorer. May be async. */
export type RewardFunction<Task, Output = string, Info = unknown> = (
  sample: Sample<Task, Output>,
  context: RewardContext<Task>,
) => RewardValue<Info> | Promise<RewardValue<Info>>;

/** A normalised reward. */
export interface Score<Info> {
  readonly reward: number;
  readonly info: Info | undefined;
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
): Promise<Score<Info>> {
  let value: RewardValue<Info>;
  try {
    value = await reward(sample, context);
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
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

function describeReward(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && 'score' in value) return `{ score: ${String(value.score)} }`;
  return value === undefined ? 'undefined' : typeof value;
}
