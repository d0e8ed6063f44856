import { describe, expect, it } from 'vitest';
import type { Provider } from 'pauper';
import { anthropic, ConfigError, costOf, iterate, openai, openaiCompatible, scripted } from 'pauper';
import { zeroUsage } from '../../src/core/usage.js';

// `prices: { model: { input, output } }` is enough: the cache rates follow the provider family.

const KEY = 'sk-prices-0123456789abcdef';
const custom = { 'my-model': { input: 2, output: 8 } };
const builders: [string, (prices: never) => Provider, { cachedInput: number; cacheWrite: number }][] = [
  ['openai', (prices) => openai({ model: 'my-model', apiKey: KEY, prices }), { cachedInput: 2, cacheWrite: 2 }],
  ['openaiCompatible', (prices) => openaiCompatible({ model: 'my-model', baseURL: 'http://127.0.0.1:9/v1', prices }), { cachedInput: 2, cacheWrite: 2 }],
  ['scripted', (prices) => scripted(['x'], { model: 'my-model', prices }), { cachedInput: 2, cacheWrite: 2 }],
  // Anthropic's published multipliers: reads 0.1 × input, 5-minute writes 1.25 × input.
  ['anthropic', (prices) => anthropic({ model: 'my-model', apiKey: KEY, prices }), { cachedInput: 0.2, cacheWrite: 2.5 }],
];

describe.each(builders)('%s with a price of only { input, output }', (_name, build, cacheRates) => {
  it('fills the cache rates by the provider family', () => {
    const provider = build(custom as never);
    expect(provider.prices?.['my-model']).toEqual({ input: 2, output: 8, ...cacheRates });
  });

  it('keeps cache rates that are given', () => {
    const provider = build({ 'my-model': { input: 2, output: 8, cachedInput: 0.5, cacheWrite: 3 } } as never);
    expect(provider.prices?.['my-model']).toEqual({ input: 2, output: 8, cachedInput: 0.5, cacheWrite: 3 });
  });

  it.each([
    ['output', { input: 2 }],
    ['input', { input: -1, output: 8 }],
    ['output', { input: 2, output: '8' }],
    ['cachedInput', { input: 2, output: 8, cachedInput: Number.NaN }],
  ])('a price with a bad %s is a ConfigError showing the shape to pass', (field, price) => {
    const attempt = () => build({ 'my-model': price } as never);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`\`prices.my-model.${field}\``);
    expect(attempt).toThrow(/\{ input: 0\.15, output: 0\.6 \}.*US dollars per million tokens/);
  });
});

describe('a price of only { input, output }', () => {
  it('prices usage with costOf, cache reads and writes at the input price', () => {
    const usage = { ...zeroUsage, inputTokens: 1000, cachedInputTokens: 300, cacheWriteTokens: 200, outputTokens: 100 };
    expect(costOf('my-model', usage, { prices: custom })).toBe((1000 * 2 + 100 * 8) / 1e6);
  });

  it('bounds a budget in US dollars', async () => {
    const inner = scripted(['x'.repeat(40)], { model: 'my-model', prices: custom });
    // Scripted replies cost 0: this one charges its usage at the custom price, as a real provider would.
    const provider: Provider = {
      ...inner,
      sample: async (request, options) => {
        const response = await inner.sample(request, options);
        return { ...response, costUsd: costOf('my-model', response.usage, { prices: custom }) };
      },
    };
    const run = await iterate({ provider, tasks: ['a', 'b'], reward: () => 1, samples: 2, iterations: 50, maxOutputTokens: 20, budget: { maxCostUsd: 0.001 } });
    expect(run.stopped?.reason).toBe('maxCostUsd');
    expect(run.costUsd).toBeGreaterThan(0);
    expect(run.costUsd!).toBeLessThanOrEqual(0.001);
  });

  it('an entry that is not an object is a ConfigError showing the shape', () => {
    expect(() => scripted(['x'], { prices: { 'my-model': 0.5 } as never })).toThrow(/`prices\.my-model`.*\{ input: 0\.15, output: 0\.6 \}/);
  });
});
