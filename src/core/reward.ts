import type { Message } from './messages.js';
import type { Rng } from './random.js';
import type { Split } from './trajectory.js';

// The user's callbacks: a reward function scores one sample, a rollout plays one episode.

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

/** What a rollout function gets: the task, a way to talk to the model, a seeded RNG and the run's signal. */
export interface RolloutContext<Task> extends RewardContext<Task> {
  /**
   * Sends one user turn and resolves with the model's reply; the conversation
   * accumulates. `info` is recorded with the step (e.g. the environment's state).
   */
  act(message: string, info?: unknown): Promise<string>;
  /** Seeded per episode: use it for any randomness in the environment. */
  readonly rng: Rng;
}

/**
 * Plays one multi-turn episode and returns its reward. The whole conversation
 * becomes the trajectory, and can be folded into later prompts as an example.
 */
export type RolloutFunction<Task, Info = unknown> = (
  context: RolloutContext<Task>,
) => RewardValue<Info> | Promise<RewardValue<Info>>;
