import { ConfigError } from './errors.js';
import type { Usage } from './usage.js';

/** Prices of one model in US dollars per million tokens. */
export interface ModelPrice {
  /** Uncached prompt tokens. */
  readonly input: number;
  /** Prompt tokens read from the prompt cache. */
  readonly cachedInput: number;
  /** Prompt tokens written to the prompt cache (Anthropic charges extra; OpenAI charges `input`). */
  readonly cacheWrite: number;
  /** Completion tokens, reasoning tokens included. */
  readonly output: number;
}

/** Prices by model id. A dated id (`gpt-4o-mini-2024-07-18`) matches its base entry. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** What batch APIs charge relative to the regular price (OpenAI Batch, Anthropic Message Batches). */
export const batchPriceMultiplier = 0.5;

function openaiPrice(input: number, cachedInput: number, output: number): ModelPrice {
  return Object.freeze({ input, cachedInput, cacheWrite: input, output });
}

// Anthropic: cache reads cost 0.1x input, 5-minute cache writes 1.25x input.
function anthropicPrice(input: number, output: number): ModelPrice {
  return Object.freeze({ input, cachedInput: input * 0.1, cacheWrite: input * 1.25, output });
}

/**
 * List prices (USD per million tokens) of common OpenAI and Anthropic models,
 * standard tier. Override or extend them with a provider's `prices` option (e.g. `openai({ model, prices })`).
 */
export const defaultPrices: PriceTable = Object.freeze({
  'gpt-4o': openaiPrice(2.5, 1.25, 10),
  'gpt-4o-2024-05-13': openaiPrice(5, 5, 15),
  'gpt-4o-mini': openaiPrice(0.15, 0.075, 0.6),
  'gpt-4.1': openaiPrice(2, 0.5, 8),
  'gpt-4.1-mini': openaiPrice(0.4, 0.1, 1.6),
  'gpt-4.1-nano': openaiPrice(0.1, 0.025, 0.4),
  'gpt-5': openaiPrice(1.25, 0.125, 10),
  'gpt-5-mini': openaiPrice(0.25, 0.025, 2),
  'gpt-5-nano': openaiPrice(0.05, 0.005, 0.4),
  'gpt-5-pro': openaiPrice(15, 15, 120),
  'gpt-5.1': openaiPrice(1.25, 0.125, 10),
  o1: openaiPrice(15, 7.5, 60),
  'o1-mini': openaiPrice(1.1, 0.55, 4.4),
  o3: openaiPrice(2, 0.5, 8),
  'o3-mini': openaiPrice(1.1, 0.55, 4.4),
  'o3-pro': openaiPrice(20, 20, 80),
  'o4-mini': openaiPrice(1.1, 0.275, 4.4),
  'claude-opus-4': anthropicPrice(15, 75),
  'claude-opus-4-0': anthropicPrice(15, 75),
  'claude-opus-4-1': anthropicPrice(15, 75),
  'claude-opus-4-5': anthropicPrice(5, 25),
  'claude-sonnet-4': anthropicPrice(3, 15),
  'claude-sonnet-4-0': anthropicPrice(3, 15),
  'claude-sonnet-4-5': anthropicPrice(3, 15),
  'claude-3-7-sonnet': anthropicPrice(3, 15),
  'claude-3-5-sonnet': anthropicPrice(3, 15),
  'claude-haiku-4-5': anthropicPrice(1, 5),
  'claude-3-5-haiku': anthropicPrice(0.8, 4),
  'claude-3-haiku': anthropicPrice(0.25, 1.25),
  'claude-3-opus': anthropicPrice(15, 75),
});

/** Options of `costOf`. */
export interface CostOptions {
  /**
   * Prices that extend and override `defaultPrices` for this call.
   * @default {}
   */
  readonly prices?: PriceTable;
  /**
   * Whether the usage came from a batch API (billed at `batchPriceMultiplier`).
   * @default false
   */
  readonly batch?: boolean;
}

// A dated snapshot or alias of a base id: -2024-07-18, -20250514, @20250514, -latest.
const VERSION_SUFFIX = /^(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8})|-latest)$/;

/**
 * The price of `model`: its own entry, or the longest entry of which it is a
 * dated snapshot (`claude-sonnet-4-20250514` → `claude-sonnet-4`). `undefined` when unknown.
 */
export function findPrice(model: string, prices: PriceTable = defaultPrices): ModelPrice | undefined {
  return findModelEntry(model, prices);
}

/**
 * A per-model table's entry for `model`: its own, or the longest entry of which it is a
 * dated snapshot or `-latest` alias. `undefined` when the table has none.
 */
export function findModelEntry<T>(model: string, table: Readonly<Record<string, T>>): T | undefined {
  const exact = Object.hasOwn(table, model) ? table[model] : undefined;
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (model.startsWith(key) && VERSION_SUFFIX.test(model.slice(key.length))) {
      if (best === undefined || key.length > best.length) best = key;
    }
  }
  return best === undefined ? undefined : table[best];
}

/**
 * Cost in US dollars of `usage` on `model`, or `null` when the model has no
 * price (never 0). Cached prompt tokens are billed at the cached rate, cache
 * writes at the write rate, the rest of `inputTokens` at the input rate.
 * @example
 * costOf('gpt-4o-mini', usage); // 0.00042
 * costOf('my-model', usage, { prices: { 'my-model': { input: 1, cachedInput: 0.5, cacheWrite: 1, output: 2 } } });
 */
export function costOf(model: string, usage: Usage, options: CostOptions = {}): number | null {
  const prices = options.prices === undefined ? defaultPrices : mergePrices(options.prices);
  return costIn(prices, model, usage, options.batch === true);
}

/**
 * `costOf` with a table already merged and validated (a provider's `prices`): no validation on
 * the hot path of every response.
 */
export function costIn(prices: PriceTable, model: string, usage: Usage, batch = false): number | null {
  const price = findPrice(model, prices);
  if (price === undefined) return null;
  const uncachedInput = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  const microDollars =
    uncachedInput * price.input +
    usage.cachedInputTokens * price.cachedInput +
    usage.cacheWriteTokens * price.cacheWrite +
    usage.outputTokens * price.output;
  return roundUsd((microDollars / 1_000_000) * (batch ? batchPriceMultiplier : 1));
}

/**
 * `defaultPrices` extended by `prices`, every entry validated.
 * Throws a `ConfigError` naming the entry when a price is not a finite number >= 0.
 */
export function mergePrices(prices: PriceTable, option = 'prices'): PriceTable {
  if (typeof prices !== 'object' || prices === null || Array.isArray(prices)) {
    throw new ConfigError(option, prices, 'an object mapping model ids to prices');
  }
  for (const [model, price] of Object.entries(prices)) {
    if (typeof price !== 'object' || price === null) {
      throw new ConfigError(`${option}.${model}`, price, 'an object { input, cachedInput, cacheWrite, output }');
    }
    for (const field of ['input', 'cachedInput', 'cacheWrite', 'output'] as const) {
      const value: unknown = price[field];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new ConfigError(`${option}.${model}.${field}`, value, 'a finite number of US dollars per million tokens >= 0');
      }
    }
  }
  return { ...defaultPrices, ...prices };
}

/** Sum of costs; `null` as soon as one is unknown. Rounded like `roundUsd`, so sums of shares read as they should. */
export function sumCost(costs: readonly (number | null)[]): number | null {
  let total = 0;
  for (const cost of costs) {
    if (cost === null) return null;
    total += cost;
  }
  return roundUsd(total);
}

/**
 * US dollars rounded to a millionth of a micro-dollar (12 decimals): far below any price, and
 * enough to turn float noise (`0.039999999999999994`) back into the amount (`0.04`).
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}
