import { describe, expect, it } from 'vitest';
import { bootstrapMean, pairedDifference } from '../../src/report/stats.js';

describe('bootstrap statistics', () => {
  it('gives a zero-width interval when every value is the same, and nothing for no values', () => {
    expect(bootstrapMean([2, 2, 2])).toEqual({ mean: 2, low: 2, high: 2 });
    expect(bootstrapMean([])).toBeUndefined();
  });

  it('matches the interval computed by hand for two values: resampled means are 0, ½ and 1 with odds ¼, ½, ¼', () => {
    // P(mean = 0) = ¼ > 2.5%, so the 2.5% quantile is 0 and the 97.5% quantile is 1.
    expect(bootstrapMean([0, 1], { resamples: 4000 })).toEqual({ mean: 0.5, low: 0, high: 1 });
  });

  it('agrees with the normal approximation, mean ± 1.96 s/√n, on 400 values', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 20) / 19); // uniform on 20 levels
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const sd = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1));
    const half = (1.96 * sd) / Math.sqrt(values.length);
    const interval = bootstrapMean(values, { resamples: 4000 })!;
    expect(interval.mean).toBeCloseTo(0.5, 12);
    expect(interval.low).toBeCloseTo(mean - half, 2);
    expect(interval.high).toBeCloseTo(mean + half, 2);
  });

  it('is reproducible for a seed and moves with another seed', () => {
    const values = [0.1, 0.4, 0.35, 0.8, 0.9, 0.05, 0.6];
    expect(bootstrapMean(values, { seed: 7 })).toEqual(bootstrapMean(values, { seed: 7 }));
    expect(bootstrapMean(values, { seed: 7 })).not.toEqual(bootstrapMean(values, { seed: 8 }));
  });

  it('pairs by unit: a constant improvement is significant however spread the units are, and units in one run only are left out', () => {
    const a = new Map([[0, 0], [1, 10], [2, 20], [3, 30]]);
    const b = new Map([[0, 1], [1, 11], [2, 21], [3, 31], [9, 100]]);
    expect(pairedDifference(a, b)).toEqual({ mean: 1, low: 1, high: 1, pairs: 4, significant: true });
    // Unpaired, these runs' means (15 vs 16) would be hard to tell apart.
    expect(bootstrapMean([...b.values()].slice(0, 4))!.low).toBeLessThan(15);
  });

  it('calls a difference that could be noise not significant, and has nothing to say without shared units', () => {
    const a = new Map([[0, 0], [1, 1], [2, 0], [3, 1]]);
    const b = new Map([[0, 1], [1, 0], [2, 1], [3, 0]]);
    const difference = pairedDifference(a, b)!;
    expect(difference.mean).toBe(0);
    expect(difference.significant).toBe(false);
    expect(difference.low).toBeLessThan(0);
    expect(difference.high).toBeGreaterThan(0);
    expect(pairedDifference(new Map([[0, 1]]), new Map([[1, 1]]))).toBeUndefined();
  });
});
