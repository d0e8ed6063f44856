import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { batchPriceMultiplier, costOf, defaultPrices, findPrice, mergePrices, sumCost, trainingCostIn, type ModelPrice } from '../../src/core/pricing.js';
import { zeroUsage, type Usage } from '../../src/core/usage.js';

function usage(fields: Partial<Usage>): Usage {
  return { ...zeroUsage, requests: 1, ...fields };
}

describe('costOf', () => {
  test('bills input and output at the model rates', () => {
    const cost = costOf('gpt-4o-mini', usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }));
    expect(cost).toBeCloseTo(0.15 + 0.6, 12);
  });

  test('cached prompt tokens are part of inputTokens and billed at the cached rate only', () => {
    const cost = costOf('gpt-4o', usage({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 500 }));
    expect(cost).toBeCloseTo((600 * 2.5 + 400 * 1.25 + 500 * 10) / 1e6, 12);
  });

  test('Anthropic cache writes are billed at the write rate, reads at the read rate', () => {
    const cost = costOf(
      'claude-sonnet-4-5',
      usage({ inputTokens: 1000, cachedInputTokens: 200, cacheWriteTokens: 300, outputTokens: 100 }),
    );
    expect(cost).toBeCloseTo((500 * 3 + 200 * 0.3 + 300 * 3.75 + 100 * 15) / 1e6, 12);
  });

  test('reasoning tokens are billed once, as part of outputTokens', () => {
    const withReasoning = costOf('o4-mini', usage({ inputTokens: 10, outputTokens: 100, reasoningTokens: 80 }));
    const without = costOf('o4-mini', usage({ inputTokens: 10, outputTokens: 100 }));
    expect(withReasoning).toBe(without);
  });

  test('an unknown model costs null, never 0', () => {
    expect(costOf('llama-3.1-8b-instruct', usage({ inputTokens: 100, outputTokens: 100 }))).toBeNull();
    expect(costOf('llama-3.1-8b-instruct', zeroUsage)).toBeNull();
    expect(costOf('gpt-4o', zeroUsage)).toBe(0);
  });

  test('batch usage costs the batch multiplier times the regular price', () => {
    const regular = costOf('claude-haiku-4-5', usage({ inputTokens: 5000, cacheWriteTokens: 1000, outputTokens: 700 }));
    const batch = costOf('claude-haiku-4-5', usage({ inputTokens: 5000, cacheWriteTokens: 1000, outputTokens: 700 }), {
      batch: true,
    });
    expect(batchPriceMultiplier).toBe(0.5);
    expect(batch).toBeCloseTo((regular ?? Number.NaN) * 0.5, 15);
  });

  test('prices given per run override and extend the table, dated ids included', () => {
    const custom: ModelPrice = { input: 1, cachedInput: 0.5, cacheWrite: 1, output: 2 };
    const prices = { 'gpt-4o': custom, 'my-model': custom };
    const tokens = usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
    expect(costOf('gpt-4o-2024-08-06', tokens, { prices })).toBeCloseTo(3, 12);
    expect(costOf('my-model', tokens, { prices })).toBeCloseTo(3, 12);
    expect(costOf('gpt-4o-mini', tokens, { prices })).toBeCloseTo(0.75, 12);
    expect(costOf('my-model', tokens)).toBeNull();
  });

  test('an invalid price is a ConfigError naming the entry', () => {
    const prices = { 'my-model': { input: 1, cachedInput: 1, cacheWrite: 1, output: -2 } };
    expect(() => costOf('my-model', zeroUsage, { prices })).toThrow(ConfigError);
    expect(() => costOf('my-model', zeroUsage, { prices })).toThrow(/`prices\.my-model\.output`/);
  });
});

describe('findPrice', () => {
  test('dated snapshots match their base id, the longest base winning', () => {
    expect(findPrice('gpt-4o-mini-2024-07-18')).toBe(defaultPrices['gpt-4o-mini']);
    expect(findPrice('gpt-4o-2024-08-06')).toBe(defaultPrices['gpt-4o']);
    expect(findPrice('gpt-4.1-nano-2025-04-14')).toBe(defaultPrices['gpt-4.1-nano']);
    expect(findPrice('claude-sonnet-4-20250514')).toBe(defaultPrices['claude-sonnet-4']);
    expect(findPrice('claude-opus-4-1-20250805')).toBe(defaultPrices['claude-opus-4-1']);
    expect(findPrice('claude-3-5-haiku-20241022')).toBe(defaultPrices['claude-3-5-haiku']);
    expect(findPrice('claude-3-5-haiku-latest')).toBe(defaultPrices['claude-3-5-haiku']);
  });

  test('an exact entry beats its base (gpt-4o-2024-05-13 has its own price)', () => {
    expect(findPrice('gpt-4o-2024-05-13')?.input).toBe(5);
    expect(findPrice('gpt-4o-2024-11-20')?.input).toBe(2.5);
  });

  test('a different model sharing a prefix does not borrow its price', () => {
    expect(findPrice('claude-opus-4-5-20251101')?.input).toBe(5);
    expect(findPrice('claude-opus-4-20250514')?.input).toBe(15);
    expect(findPrice('gpt-5-codex')).toBeUndefined();
    expect(findPrice('gpt-4o-audio-preview')).toBeUndefined();
  });

  test('every listed model has prices in the expected order', () => {
    const required = [
      'gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o3', 'o4-mini', 'gpt-5', 'gpt-5-mini',
      'gpt-5-nano', 'claude-opus-4', 'claude-opus-4-1', 'claude-sonnet-4', 'claude-sonnet-4-5', 'claude-3-5-haiku',
      'claude-haiku-4-5',
    ];
    for (const model of required) {
      const price = findPrice(model);
      expect(price, model).toBeDefined();
      expect(price?.cachedInput, model).toBeLessThanOrEqual(price?.input ?? 0);
      expect(price?.cacheWrite, model).toBeGreaterThanOrEqual(price?.input ?? Number.POSITIVE_INFINITY);
      expect(price?.output, model).toBeGreaterThan(price?.input ?? Number.POSITIVE_INFINITY);
    }
  });
});

describe('costs without float noise', () => {
  test('sums of shares read as the amount they are', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumCost([0.1, 0.2])).toBe(0.3);
    expect(sumCost(Array.from({ length: 10 }, () => 0.004))).toBe(0.04);
    expect(sumCost([0.1, null])).toBeNull();
  });
});

describe('fine-tuned models and training', () => {
  test("an ft: name has its base model's fine-tuned price, dated or not", () => {
    expect(findPrice('ft:gpt-4.1-mini-2025-04-14:acme:maze:AbC123')).toMatchObject({ input: 0.8, cachedInput: 0.2, output: 3.2 });
    expect(findPrice('ft:gpt-4.1-nano-2025-04-14:acme::x1')).toMatchObject({ input: 0.2, output: 0.8 });
    expect(findPrice('ft:gpt-4o-mini-2024-07-18:acme:maze:id')).toMatchObject({ input: 0.3, output: 1.2 });
    expect(findPrice('ft:gpt-4o-2024-08-06:acme:maze:id')).toMatchObject({ input: 3.75, output: 15 });
    expect(findPrice('ft:gpt-4.1:acme:maze:id')).toMatchObject({ input: 3, output: 12 });
    expect(costOf('ft:gpt-4.1-mini-2025-04-14:acme:maze:AbC123', usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }))).toBe(4);
  });

  test('an ft: name whose base has no fine-tuned price is unpriced; its own entry wins', () => {
    expect(findPrice('ft:gpt-5:acme::id')).toBeUndefined();
    expect(findPrice('ft:')).toBeUndefined();
    const own = { 'ft:gpt-4.1-mini:acme::id': { input: 1, output: 2 } };
    expect(costOf('ft:gpt-4.1-mini:acme::id', usage({ inputTokens: 1_000_000 }), { prices: own })).toBe(1);
  });

  test("training costs trained tokens × the base model's training price", () => {
    expect(trainingCostIn(defaultPrices, 'gpt-4.1-mini', 1_000_000)).toBe(5);
    expect(trainingCostIn(defaultPrices, 'gpt-4.1-mini-2025-04-14', 200_000)).toBe(1);
    expect(trainingCostIn(defaultPrices, 'gpt-4.1-nano', 1_000_000)).toBe(1.5);
    expect(trainingCostIn(defaultPrices, 'gpt-4o', 1_000_000)).toBe(25);
    expect(trainingCostIn(defaultPrices, 'gpt-4o-mini', 1_000_000)).toBe(3);
    expect(trainingCostIn(defaultPrices, 'gpt-4.1', 1_000_000)).toBe(25);
    // Training a fine-tuned model further is billed at its base's price.
    expect(trainingCostIn(defaultPrices, 'ft:gpt-4.1-mini-2025-04-14:acme::id', 1_000_000)).toBe(5);
    expect(trainingCostIn(defaultPrices, 'claude-haiku-4-5', 1_000_000)).toBeNull();
  });

  test('a custom training price is validated and used', () => {
    const prices = mergePrices({ 'my-model': { input: 1, output: 2, training: 7 } });
    expect(trainingCostIn(prices, 'my-model', 1_000_000)).toBe(7);
    expect(() => mergePrices({ 'my-model': { input: 1, output: 2, training: -1 } })).toThrow(/prices\.my-model\.training/);
  });
});
