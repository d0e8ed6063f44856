import { addCost } from '../core/pricing.js';
import { addToTotal, usageTotal } from '../core/usage.js';
import type { RewardStats, SplitStats } from '../core/results.js';
import type { Trajectory } from '../core/trajectory.js';

/** Summarises the rewards of some trajectories (or journaled samples); failed ones count only in `failed`. */
export function rewardStats(trajectories: readonly { readonly ok: boolean; readonly reward: number | null }[]): RewardStats {
  // Gathered straight into the array that is sorted, as `splitStats` does.
  const rewards = new Float64Array(trajectories.length);
  let scored = 0;
  for (const trajectory of trajectories) if (trajectory.ok && trajectory.reward !== null) rewards[scored++] = trajectory.reward;
  return sortedStats(rewards.subarray(0, scored).sort(), trajectories.length);
}

/**
 * `rewardStats` from the scored rewards alone, in trajectory order, and the number of samples:
 * what a run that does not hold its trajectories computes them from. Sorted as a `Float64Array`
 * (a numeric sort without a comparator call per comparison: a fifth of the time).
 */
export function rewardStatsOf(scoredRewards: readonly number[], samples: number): RewardStats {
  return sortedStats(Float64Array.from(scoredRewards).sort(), samples);
}

/** `rewardStatsOf` from the scored rewards already sorted. */
function sortedStats(rewards: Float64Array, samples: number): RewardStats {
  const empty = rewards.length === 0;
  let sum = 0;
  for (const reward of rewards) sum += reward;
  return {
    samples,
    scored: rewards.length,
    failed: samples - rewards.length,
    mean: empty ? null : sum / rewards.length,
    median: empty ? null : quantile(rewards, 0.5),
    min: empty ? null : (rewards[0] ?? null),
    max: empty ? null : (rewards[rewards.length - 1] ?? null),
    p10: empty ? null : quantile(rewards, 0.1),
    p90: empty ? null : quantile(rewards, 0.9),
  };
}

/** `rewardStats` plus usage, cost and the given wall time, in one pass over the trajectories. */
export function splitStats(
  trajectories: readonly Trajectory<unknown, unknown, unknown>[],
  wallTimeMs: number,
): SplitStats {
  // Gathered straight into the array that is sorted: no list of numbers to copy into one. One pass
  // for rewards, usage and cost, not `rewardStats` and a second loop.
  const rewards = new Float64Array(trajectories.length);
  let scored = 0;
  const usage = usageTotal();
  // Summed as `sumCost` does, in trajectory order.
  let costUsd: number | null = 0;
  for (const trajectory of trajectories) {
    if (trajectory.ok && trajectory.reward !== null) rewards[scored++] = trajectory.reward;
    addToTotal(usage, trajectory.usage);
    costUsd = addCost(costUsd, trajectory.costUsd);
  }
  // Added to the statistics object, not copied field by field into a new literal: V8 deoptimized that
  // copy on a third of its calls (reason "Smi", at the read of a quantile that is a small integer in one
  // split and a fraction in the next) and compiled the function again all run long (--trace-deopt).
  return Object.assign(sortedStats(rewards.subarray(0, scored).sort(), trajectories.length), { usage, costUsd, wallTimeMs });
}

/** Quantile of sorted values with linear interpolation (the R-7 / numpy default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (position - below);
}
