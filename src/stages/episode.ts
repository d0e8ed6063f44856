import type { Rng } from '../core/random.js';
import type { RewardContext, RewardValue } from './score.js';

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
