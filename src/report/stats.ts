import { createRng } from '../core/random.js';
import { quantile } from '../blocks/stats.js';

/** A mean with its bootstrap confidence interval. */
export interface MeanInterval {
  readonly mean: number;
  /** Lower end of the interval (the `(1 - confidence) / 2` quantile of the resampled means). */
  readonly low: number;
  /** Upper end of the interval. */
  readonly high: number;
}

/** A paired difference `b − a` with its bootstrap interval. */
export interface PairedDifference extends MeanInterval {
  /** Pairs compared (units present in both). */
  readonly pairs: number;
  /** Whether the interval excludes 0: the difference is unlikely to be resampling noise. */
  readonly significant: boolean;
}

/** How a bootstrap resamples. Fixed defaults, so a report built twice shows the same numbers. */
export interface BootstrapOptions {
  /** Resamples drawn. @default 2000 */
  readonly resamples?: number;
  /** Coverage of the interval. @default 0.95 */
  readonly confidence?: number;
  /** Seed of the resampling. @default 0 */
  readonly seed?: number;
}

const defaults = { resamples: 2000, confidence: 0.95, seed: 0 } as const;

/**
 * The mean of `values` with a percentile bootstrap interval: resample the values with
 * replacement, take each resample's mean, and read the interval off their quantiles.
 * Over tasks (one value per task, its mean reward) it says how far the mean could move
 * with another draw of tasks. `undefined` for no values; one value gives a zero-width interval.
 * @example
 * bootstrapMean([0.2, 0.5, 0.9]); // { mean: 0.533…, low: …, high: … }
 */
export function bootstrapMean(values: readonly number[], options: BootstrapOptions = {}): MeanInterval | undefined {
  if (values.length === 0) return undefined;
  const { resamples, confidence, seed } = { ...defaults, ...options };
  const rng = createRng(seed);
  const means = new Float64Array(resamples);
  for (let draw = 0; draw < resamples; draw++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(rng() * values.length)] ?? 0;
    means[draw] = sum / values.length;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return { mean: meanOf(values), low: quantile(means, tail), high: quantile(means, 1 - tail) };
}

/**
 * The mean difference `b − a` over the units both have (tasks, by index), with a paired
 * bootstrap interval: pairs are resampled together, so what the units share (an easy task
 * is easy for both runs) cancels out. `undefined` when no unit is in both.
 */
export function pairedDifference(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  options: BootstrapOptions = {},
): PairedDifference | undefined {
  const differences = [...a].flatMap(([unit, value]) => {
    const other = b.get(unit);
    return other === undefined ? [] : [other - value];
  });
  const interval = bootstrapMean(differences, options);
  if (interval === undefined) return undefined;
  return { ...interval, pairs: differences.length, significant: interval.low > 0 || interval.high < 0 };
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
