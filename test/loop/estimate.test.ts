import { describe, expect, it } from 'vitest';
import { ConfigError, costOf, estimate, iterate, openai, scripted, zeroUsage } from 'pauper';

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

describe('estimate with fineTune', () => {
  const trainTasks = Array.from({ length: 6 }, (_, index) => `maze ${index}: collect the coins`);
  const student = () => openai({ model: 'gpt-4.1-mini', apiKey: 'sk-estimate' });
  const options = { tasks: trainTasks, reward: () => 1, samples: 2, keep: 12, outputTokens: 10, maxOutputTokens: 40 };

  it('counts a job after every `every`-th iteration but the last, and prices training apart at the training rate', () => {
    const every2 = estimate({ ...options, provider: student(), iterations: 4, fineTune: { every: 2, hyperparameters: { n_epochs: 2 } } });
    expect(every2.fineTune?.jobs).toBe(2);
    const every1 = estimate({ ...options, provider: student(), iterations: 4, fineTune: { hyperparameters: { n_epochs: 2 } } });
    expect(every1.fineTune?.jobs).toBe(4);
    // gpt-4.1-mini trains at $5 per million tokens: the kept set's tokens × epochs × jobs.
    const { trainedTokens, trainingCostUsd } = every1.fineTune!;
    expect(trainedTokens.high).toBeGreaterThan(trainedTokens.low);
    expect(trainingCostUsd?.low).toBeCloseTo((trainedTokens.low * 5) / 1e6, 12);
    expect(trainingCostUsd?.high).toBeCloseTo((trainedTokens.high * 5) / 1e6, 12);
    expect(trainedTokens.low % (4 * 12 * 2)).toBe(0);
    // No `fineTune`, no figure.
    expect(estimate({ ...options, provider: student(), iterations: 4 }).fineTune).toBeUndefined();
  });

  it("assumes OpenAI's epochs for n_epochs 'auto': raised on a small kept set", () => {
    const auto = estimate({ ...options, provider: student(), iterations: 1, fineTune: {} });
    const one = estimate({ ...options, provider: student(), iterations: 1, fineTune: { hyperparameters: { n_epochs: 1 } } });
    // 12 examples × 3 epochs is under 100: OpenAI trains floor(100 / 12) = 8 epochs.
    expect(auto.fineTune!.trainedTokens.low).toBe(8 * one.fineTune!.trainedTokens.low);
    expect(auto.assumptions.join('\n')).toMatch(/1 fine-tuning job\(s\), each on 12 kept examples × 8 epoch\(s\) \(n_epochs 'auto'/);
  });

  it("prices the iterations after the first job at the fine-tuned model's rate, with zero-shot prompts", () => {
    const tuned = estimate({ ...options, provider: student(), iterations: 2, fineTune: { hyperparameters: { n_epochs: 1 } } });
    // One round, zero-shot: what each of the three rounds sends.
    const round = estimate({ ...options, provider: student(), iterations: 0 });
    expect(tuned.inputTokens).toEqual({ low: 3 * round.inputTokens.low, high: 3 * round.inputTokens.high });
    const usage = (input: number, output: number) => ({ ...zeroUsage, inputTokens: input, outputTokens: output });
    const at = (model: string, end: 'low' | 'high') => costOf(model, usage(round.inputTokens[end], round.outputTokens[end]))!;
    // Round 0 samples the base model; rounds 1 and 2 the model the first job made ($0.80 / $3.20 against $0.40 / $1.60).
    for (const end of ['low', 'high'] as const) {
      expect(tuned.costUsd?.[end]).toBeCloseTo(at('gpt-4.1-mini', end) + 2 * at('ft:gpt-4.1-mini:org::job', end), 12);
    }
    expect(tuned.assumptions.join('\n')).toMatch(/iterations 1 to 2 sample the fine-tuned model/);
  });

  it('counts training toward budget.maxCostUsd', () => {
    const planned = estimate({ ...options, provider: student(), iterations: 2, fineTune: { hyperparameters: { n_epochs: 3 } } });
    const between = planned.costUsd!.high + planned.fineTune!.trainingCostUsd!.high / 2;
    const capped = estimate({ ...options, provider: student(), iterations: 2, fineTune: { hyperparameters: { n_epochs: 3 } }, budget: { maxCostUsd: between } });
    expect(capped.overBudget).toEqual(['maxCostUsd']);
  });
});
