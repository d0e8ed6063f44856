import type { Trajectory } from './trajectory.js';
import type { Usage } from './usage.js';
import { addUsage } from './usage.js';

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

/** Summarises the rewards of some trajectories; failed ones count only in `failed`. */
export function rewardStats(trajectories: readonly Trajectory<unknown, unknown, unknown>[]): RewardStats {
  const rewards = trajectories.flatMap((trajectory) => (trajectory.ok ? [trajectory.reward] : [])).sort((a, b) => a - b);
  const empty = rewards.length === 0;
  return {
    samples: trajectories.length,
    scored: rewards.length,
    failed: trajectories.length - rewards.length,
    mean: empty ? null : rewards.reduce((sum, reward) => sum + reward, 0) / rewards.length,
    median: empty ? null : quantile(rewards, 0.5),
    min: empty ? null : (rewards[0] ?? null),
    max: empty ? null : (rewards[rewards.length - 1] ?? null),
    p10: empty ? null : quantile(rewards, 0.1),
    p90: empty ? null : quantile(rewards, 0.9),
  };
}

/** `rewardStats` plus usage, cost and the given wall time. */
export function splitStats(
  trajectories: readonly Trajectory<unknown, unknown, unknown>[],
  wallTimeMs: number,
): SplitStats {
  return {
    ...rewardStats(trajectories),
    usage: addUsage(...trajectories.map((trajectory) => trajectory.usage)),
    costUsd: sumCost(trajectories.map((trajectory) => trajectory.costUsd)),
    wallTimeMs,
  };
}

/** Sum of costs; `null` as soon as one is unknown. */
export function sumCost(costs: readonly (number | null)[]): number | null {
  let total = 0;
  for (const cost of costs) {
    if (cost === null) return null;
    total += cost;
  }
  return total;
}

/** Quantile of sorted values with linear interpolation (the R-7 / numpy default). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (position - below);
}
