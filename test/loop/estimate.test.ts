import { describe, expect, it } from 'vitest';
import { ConfigError, estimate, iterate, scripted } from 'pauper';

const tasks = ['first task text', 'second task, a little longer', 'third'];

describe('estimate', () => {
  it('counts requests and samples exactly, and calls no model', async () => {
    const provider = scripted(['x'.repeat(40)], { model: 'gpt-4.1-mini' });
    const options = { provider, tasks, evalTasks: ['held'], reward: () => 1, samples: 4, iterations: 2, maxOutputTokens: 20 };
    const result = estimate(options);
    expect(provider.calls).toHaveLength(0);
    expect(result.requests).toBe((3 + 1) * 3);
    expect(result.samples).toBe((3 + 1) * 4 * 3);

    const run = await iterate(options);
    expect(run.usage.requests).toBe(result.requests);
    expect(run.trajectories).toHaveLength(result.samples);
    // Replies of 10 tokens fall between a quarter of maxOutputTokens (5) and maxOutputTokens (20) per completion.
    expect(run.usage.outputTokens).toBeGreaterThanOrEqual(result.outputTokens.low);
    expect(run.usage.outputTokens).toBeLessThanOrEqual(result.outputTokens.high);
    expect(run.usage.inputTokens).toBeLessThanOrEqual(result.inputTokens.high);
    expect(result.inputTokens.low).toBeLessThan(result.inputTokens.high);
  });

  it('counts one request per sample for a provider without native n', () => {
    const provider = scripted(['x'], { capabilities: { nativeN: false } });
    const result = estimate({ provider, tasks, reward: () => 1, samples: 4, iterations: 1 });
    expect(result.requests).toBe(3 * 4 * 2);
  });

  it('prices the range with the price table, and says when the model has no price', () => {
    const priced = estimate({ provider: scripted(['x'], { model: 'gpt-4.1-mini' }), tasks, reward: () => 1, maxOutputTokens: 100 });
    expect(priced.costUsd).not.toBeNull();
    expect(priced.costUsd!.low).toBeGreaterThan(0);
    expect(priced.costUsd!.high).toBeGreaterThan(priced.costUsd!.low);
    // gpt-4.1-mini: $0.40 in, $1.60 out per million tokens.
    expect(priced.costUsd!.high).toBeCloseTo((priced.inputTokens.high * 0.4 + priced.outputTokens.high * 1.6) / 1e6, 12);

    const unknown = estimate({ provider: scripted(['x'], { model: 'my-model' }), tasks, reward: () => 1 });
    expect(unknown.costUsd).toBeNull();
    const custom = estimate({
      provider: scripted(['x'], { model: 'my-model', prices: { 'my-model': { input: 1, cachedInput: 1, cacheWrite: 1, output: 1 } } }),
      tasks,
      reward: () => 1,
    });
    expect(custom.costUsd?.high).toBeCloseTo((custom.inputTokens.high + custom.outputTokens.high) / 1e6, 12);
    expect(custom.assumptions.join(' ')).toMatch(/no maxOutputTokens/);
  });

  it('counts episode turns with rollout, and validates its own options', () => {
    const provider = scripted(['x']);
    const result = estimate({ provider, tasks, rollout: () => 1, samples: 2, iterations: 0, turnsPerEpisode: 5 });
    expect(result.requests).toBe(3 * 2 * 5);
    expect(result.samples).toBe(3 * 2);
    expect(() => estimate({ provider, tasks, reward: () => 1, turnsPerEpisode: 3 })).toThrow(ConfigError);
    expect(() => estimate({ provider, tasks, reward: () => 1, outputTokens: 0 })).toThrow(/outputTokens/);
    expect(() => estimate({ provider, tasks: [], reward: () => 1 })).toThrow(/tasks/);
  });
});

describe('estimate under a budget', () => {
  it('names the budgets the planned run would cross, and only those', () => {
    const provider = scripted(['x'], { model: 'gpt-4.1-mini' });
    const options = { provider, tasks, reward: () => 1, samples: 4, iterations: 1, maxOutputTokens: 20 };
    const planned = estimate(options);
    expect(planned.overBudget).toEqual([]);
    const capped = estimate({ ...options, budget: { maxSamples: planned.samples - 1, maxTokens: 10 * (planned.inputTokens.high + planned.outputTokens.high) } });
    expect(capped.overBudget).toEqual(['maxSamples']);
    expect(capped.assumptions.join('\n')).toMatch(/budget\.maxSamples \(23\) is below the completions planned at the high end \(24\)/);
  });
});
