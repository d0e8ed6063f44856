import type { Message } from './messages.js';
import type { Usage } from './usage.js';

/** Whether a trajectory came from the training tasks or the held-out ones. */
export type Split = 'train' | 'eval';

/** One exchange of a multi-turn episode. */
export interface Step {
  /** The user turn the rollout sent. */
  readonly message: string;
  /** The model's reply. */
  readonly reply: string;
  /** What the rollout attached to this step (e.g. the environment's state). */
  readonly info?: unknown;
}

/** Why a sample failed. */
export interface Failure {
  /** Where it failed: the model request, output parsing, the reward function, or the rollout. */
  readonly stage: 'request' | 'parse' | 'reward' | 'rollout';
  /** The error's message; never contains an API key. */
  readonly message: string;
  /** The error itself. */
  readonly error: unknown;
}

/** Which of a run's providers made a sample: the student (the `provider` option) or the `teacher`. */
export interface SampledBy {
  /** `teacher` when the run's `teacher` made it; `student` when its `provider` did. */
  readonly role: 'student' | 'teacher';
  /** The provider's `name` (e.g. `openai`). */
  readonly provider: string;
  /** The provider's `model`. */
  readonly model: string;
}

/** What every trajectory records, scored or failed. */
export interface TrajectoryBase<Task> {
  /** Unique within a run: `<split>/<iteration>/<taskIndex>/<index>`. */
  readonly id: string;
  readonly split: Split;
  readonly iteration: number;
  /** Position of the task in `tasks` (or `evalTasks`). */
  readonly taskIndex: number;
  /** The task's id (see the `taskId` option). */
  readonly taskId: string;
  /** Sample index within the task, 0 to `samples - 1`. */
  readonly index: number;
  readonly task: Task;
  /** The full first request: system prompt, folded examples and the task's turns. */
  readonly prompt: readonly Message[];
  /** The task's own conversation (user and assistant turns, no examples): what folding shows as an example. */
  readonly turns: readonly Message[];
  /** The final assistant text ('' when the request failed). */
  readonly text: string;
  /** Steps of a multi-turn episode; empty for a single-shot sample. */
  readonly steps: readonly Step[];
  /** This sample's share of the usage of the requests that produced it. */
  readonly usage: Usage;
  /** This sample's share of the cost, or `null` when the price is unknown. */
  readonly costUsd: number | null;
  /** Wall time of the requests that produced it, in milliseconds. */
  readonly latencyMs: number;
  /** Seed sent with the request. */
  readonly seed: number;
  /** The provider that made it; absent only on trajectories built by hand. */
  readonly sampledBy?: SampledBy;
}

/** A sample that was scored. Only scored trajectories can become examples. */
export interface ScoredTrajectory<Task, Output = string, Info = unknown> extends TrajectoryBase<Task> {
  readonly ok: true;
  /** The parsed output (the text itself when there is no schema). */
  readonly output: Output;
  readonly reward: number;
  /** What the reward function returned beside the score. */
  readonly info: Info | undefined;
}

/** A sample whose request, parsing, reward or rollout failed; recorded, never dropped. */
export interface FailedTrajectory<Task> extends TrajectoryBase<Task> {
  readonly ok: false;
  readonly reward: null;
  readonly failure: Failure;
}

/** One sample, from the prompt to its reward or its failure. */
export type Trajectory<Task, Output = string, Info = unknown> =
  | ScoredTrajectory<Task, Output, Info>
  | FailedTrajectory<Task>;

/** A kept trajectory that feeds later prompts. */
export type Example<Task, Output = string, Info = unknown> = ScoredTrajectory<Task, Output, Info>;

/** Keeps the scored trajectories. */
export function scoredOnly<Task, Output, Info>(
  trajectories: readonly Trajectory<Task, Output, Info>[],
): ScoredTrajectory<Task, Output, Info>[] {
  return trajectories.filter((trajectory): trajectory is ScoredTrajectory<Task, Output, Info> => trajectory.ok);
}
