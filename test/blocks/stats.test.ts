import { describe, expect, it } from 'vitest';
import { rewardStats } from 'pauper';
import { quantile } from '../../src/blocks/stats.js';
import { example } from '../helpers.js';

describe('rewardStats', () => {
  it('summarises scored rewards and counts failures apart', () => {
    const scored = [3, 1, 4, 1, 5].map((reward, index) => example({ reward, index }));
    const failure = { ...example({ reward: 0 }), ok: false as const, reward: null, failure: { stage: 'request' as const, message: 'x', error: null } };
    const stats = rewardStats([...scored, failure]);
    expect(stats).toMatchObject({ samples: 6, scored: 5, failed: 1, mean: 2.8, median: 3, min: 1, max: 5 });
    expect(stats.p10).toBeCloseTo(1);
    expect(stats.p90).toBeCloseTo(4.6);
  });

  it('reports null rewards when nothing was scored', () => {
    expect(rewardStats([])).toMatchObject({ samples: 0, mean: null, median: null, p10: null });
  });

  it('interpolates quantiles like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.9)).toBe(10);
  });
});
