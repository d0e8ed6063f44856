import type { Example, Trajectory } from './trajectory.js';
import type { Usage } from './usage.js';

// The shapes a run reports. They live here, at the bottom, so that errors, events and
// the journal can name them without importing the loop that produces them.

/** Which budget stopped a run (see `Budget`). */
export type BudgetName = 'maxCostUsd' | 'maxSamples' | 'maxTokens';

/** Reward statistics of a set of trajectories. Reward fields are `null` when nothing was scored. */
export interface RewardStats {
  /** Trajectories counted, scored or failed. */
  readonly samples: number;
  readonly scored: number;
  readonly failed: number;
  readonly mean: number | null;
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** 10th percentile (linear interpolation between order statistics). */
  readonly p10: number | null;
  /** 90th percentile. */
  readonly p90: number | null;
}

/** Reward statistics plus what producing the trajectories cost. */
export interface SplitStats extends RewardStats {
  readonly usage: Usage;
  /** `null` when any sample's price was unknown. */
  readonly costUsd: number | null;
  /** Wall time from the first request to the last reward, in milliseconds. */
  readonly wallTimeMs: number;
}

/** What one of a run's providers used and cost: the student, the `teacher`, or the embedder of a `nearest` folder. */
export interface ProviderSpend {
  /** `student` (the `provider` option), `teacher`, or `embedder`. */
  readonly role: 'student' | 'teacher' | 'embedder';
  /** The provider's (or embedder's) `name`. */
  readonly provider: string;
  readonly model: string;
  /** Samples it made (texts it embedded, for an embedder). */
  readonly samples: number;
  readonly usage: Usage;
  /** `null` when a price was unknown. */
  readonly costUsd: number | null;
}

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

/** Why a run ended before its last iteration. */
export interface StopReason {
  /** The budget that would have been exceeded, or the early-stop rule that fired. */
  readonly reason: BudgetName | 'targetReward' | 'patience';
  /** The last iteration of the run (a budget stop may leave it with fewer samples than planned). */
  readonly iteration: number;
  /** What happened, in words. */
  readonly message: string;
}

/** What one iteration produced. */
export interface IterationResult<Task, Output = string, Info = undefined> {
  /** 0 is the zero-shot baseline. */
  readonly iteration: number;
  /** The examples this iteration's prompts were built with (none at iteration 0). */
  readonly examples: readonly Example<Task, Output, Info>[];
  /** The kept set chosen after this iteration: the next iteration's examples. */
  readonly kept: readonly Example<Task, Output, Info>[];
  readonly train: SplitStats;
  /** Held-out statistics; `undefined` without `evalTasks`. */
  readonly eval: SplitStats | undefined;
  /** This iteration's trajectories, training then held-out, each ordered by task and sample index. */
  readonly trajectories: readonly Trajectory<Task, Output, Info>[];
  readonly usage: Usage;
  /** `null` when any sample's price was unknown. */
  readonly costUsd: number | null;
  /** `usage` and `costUsd` split by the provider that spent them (student and `teacher`), students first. */
  readonly byProvider: readonly ProviderSpend[];
  readonly wallTimeMs: number;
  /** The fine-tuned model this iteration sampled; absent when it sampled the provider's own model. */
  readonly fineTunedModel?: string;
  /** The fine-tuning job trained on the kept set after this iteration, if one ran (`iterate({ fineTune })`). */
  readonly fineTune?: FineTuneResult;
}

/** A fine-tuning job the loop ran between two iterations. */
export interface FineTuneResult {
  /** The iteration whose kept set it trained on; the next iterations sample `model`. */
  readonly iteration: number;
  /** The model trained: the provider's own, or the previous fine-tuned one. */
  readonly baseModel: string;
  /** The uploaded training file. */
  readonly fileId: string;
  readonly jobId: string;
  /** The fine-tuned model's name (`ft:<base>:<org>:<suffix>:<id>`). */
  readonly model: string;
  /** Ids of the kept trajectories it trained on, in the file's order. */
  readonly examples: readonly string[];
  /** Tokens trained on, as the provider reported them; `undefined` when it did not. */
  readonly trainedTokens: number | undefined;
  /** Trained tokens × the base model's training price; `null` when either is unknown. Not part of any `costUsd`. */
  readonly costUsd: number | null;
}

/** What a whole run produced. */
export interface RunResult<Task, Output = string, Info = undefined> {
  readonly iterations: readonly IterationResult<Task, Output, Info>[];
  /** The highest-reward training trajectory of the run (the earliest among equals); `undefined` when nothing was scored. */
  readonly best: Example<Task, Output, Info> | undefined;
  /** The final kept set: fold it into prompts to use what the run learned. */
  readonly examples: readonly Example<Task, Output, Info>[];
  /** Every trajectory of every iteration, training and held-out, failed ones included. */
  readonly trajectories: readonly Trajectory<Task, Output, Info>[];
  /** Every sample's usage, and the embedder's when a `nearest` folder embedded tasks. */
  readonly usage: Usage;
  /** What sampling cost; `null` when any sample's price was unknown. Training is `trainingCostUsd`. */
  readonly costUsd: number | null;
  /** What fine-tuning cost, apart from sampling; absent without `fineTune`, `null` when a job's price was unknown. */
  readonly trainingCostUsd?: number | null;
  /** The fine-tuning jobs the run trained, in order; absent without `fineTune`. */
  readonly fineTunes?: readonly FineTuneResult[];
  /** `usage` and `costUsd` split by provider: the student, the `teacher`, the embedder of a `nearest` folder. */
  readonly byProvider: readonly ProviderSpend[];
  readonly wallTimeMs: number;
  readonly seed: number;
  /** Why the run ended early; `undefined` when it ran every iteration. */
  readonly stopped: StopReason | undefined;
  /** What resuming from the journal restored; `undefined` unless the run resumed a journal. */
  readonly resumed: Readonly<ResumeCounts> | undefined;
}
