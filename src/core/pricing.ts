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
  /** Supervised fine-tuning, per million trained tokens (the training file's tokens × epochs); absent when unknown. */
  readonly training?: number;
}

/** Prices by model id. A dated id (`gpt-4o-mini-2024-07-18`) matches its base entry. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * A price as you give it (a provider's or `costOf`'s `prices`), in US dollars per million tokens:
 * `input` and `output` are enough; missing cache rates are filled by the provider family's rule
 * (see `anthropicCacheRates` and `listCacheRates`).
 */
export interface CustomPrice {
  readonly input: number;
  readonly output: number;
  /** @default by the provider family: `input` (OpenAI and others), 0.1 × `input` (Anthropic) */
  readonly cachedInput?: number;
  /** @default by the provider family: `input` (OpenAI and others), 1.25 × `input` (Anthropic) */
  readonly cacheWrite?: number;
  /** Supervised fine-tuning, per million trained tokens. @default unknown: a training cost is then `null` */
  readonly training?: number;
}

/** Custom prices by model id, as a provider's `prices` option takes them. */
export type CustomPrices = Readonly<Record<string, CustomPrice>>;

/** How a custom price's missing cache rates follow from its input price. */
export type CacheRates = (input: number) => { readonly cachedInput: number; readonly cacheWrite: number };

/**
 * Anthropic's published multipliers: cache reads 0.1 × input, 5-minute cache writes 1.25 × input.
 * Used by `anthropic()`, whose models all follow them.
 */
export const anthropicCacheRates: CacheRates = (input) => ({ cachedInput: input * 0.1, cacheWrite: input * 1.25 });

/**
 * Every other provider's rule, and `costOf`'s: cache reads and writes at the input price. OpenAI's
 * cached-input discount differs by model (50 % to 90 %), so none is assumed: a cost is never
 * undercounted, and a budget never overspent; give `cachedInput` for the real one. OpenAI charges
 * nothing extra for cache writes.
 */
export const listCacheRates: CacheRates = (input) => ({ cachedInput: input, cacheWrite: input });

/** The shape of a price, for error messages: what to pass, with the units. */
export function priceShape(model: string): string {
  return `\`prices: { '${model}': { input: 0.15, output: 0.6 } }\` (US dollars per million tokens; \`cachedInput\` and \`cacheWrite\` optional)`;
}

/** What batch APIs charge relative to the regular price (OpenAI Batch, Anthropic Message Batches). */
export const batchPriceMultiplier = 0.5;

function openaiPrice(input: number, cachedInput: number, output: number, training?: number): ModelPrice {
  return Object.freeze({ ...listCacheRates(input), input, cachedInput, output, ...(training === undefined ? {} : { training }) });
}

function anthropicPrice(input: number, output: number): ModelPrice {
  return Object.freeze({ ...anthropicCacheRates(input), input, output });
}

/**
 * List prices (USD per million tokens) of common OpenAI and Anthropic models,
 * standard tier; for the OpenAI models that can be fine-tuned, the supervised training price
 * (`training`) and, under `ft:<base>`, the price of sampling a model fine-tuned from it (any
 * `ft:<base>:<org>:<suffix>:<id>` name finds it; see `findPrice`). Override or extend them with
 * a provider's `prices` option (e.g. `openai({ model, prices })`).
 */
export const defaultPrices: PriceTable = Object.freeze({
  'gpt-4o': openaiPrice(2.5, 1.25, 10, 25),
  'gpt-4o-2024-05-13': openaiPrice(5, 5, 15),
  'gpt-4o-mini': openaiPrice(0.15, 0.075, 0.6, 3),
  'gpt-4.1': openaiPrice(2, 0.5, 8, 25),
  'gpt-4.1-mini': openaiPrice(0.4, 0.1, 1.6, 5),
  'gpt-4.1-nano': openaiPrice(0.1, 0.025, 0.4, 1.5),
  'ft:gpt-4o': openaiPrice(3.75, 1.875, 15),
  'ft:gpt-4o-mini': openaiPrice(0.3, 0.15, 1.2),
  'ft:gpt-4.1': openaiPrice(3, 0.75, 12),
  'ft:gpt-4.1-mini': openaiPrice(0.8, 0.2, 3.2),
  'ft:gpt-4.1-nano': openaiPrice(0.2, 0.05, 0.8),
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
  // Embedding models bill the text read, as input; they write no output.
  'text-embedding-3-small': openaiPrice(0.02, 0.02, 0),
  'text-embedding-3-large': openaiPrice(0.13, 0.13, 0),
  'text-embedding-ada-002': openaiPrice(0.1, 0.1, 0),
});

/** Options of `costOf`. */
export interface CostOptions {
  /**
   * Prices that extend and override `defaultPrices` for this call; missing cache rates follow `listCacheRates`.
   * @default {}
   */
  readonly prices?: CustomPrices;
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
 * dated snapshot (`claude-sonnet-4-20250514` → `claude-sonnet-4`). A fine-tuned model
 * (`ft:gpt-4.1-mini-2025-04-14:org:maze:AbC123`) without an entry of its own has the
 * fine-tuned price of its base, the entry `ft:<base>` (`ft:gpt-4.1-mini`). `undefined` when unknown.
 */
export function findPrice(model: string, prices: PriceTable = defaultPrices): ModelPrice | undefined {
  const own = findModelEntry(model, prices);
  if (own !== undefined || !model.startsWith('ft:')) return own;
  const base = fineTunedBase(model);
  return base === undefined ? undefined : findModelEntry(`ft:${base}`, prices);
}

/** The base model of a fine-tuned model's name (`ft:gpt-4.1-mini-2025-04-14:org::id` → `gpt-4.1-mini-2025-04-14`); `undefined` for any other name. */
export function fineTunedBase(model: string): string | undefined {
  if (!model.startsWith('ft:')) return undefined;
  const base = model.split(':')[1];
  return base === undefined || base === '' ? undefined : base;
}

/**
 * US dollars of fine-tuning `model` on `trainedTokens` tokens (the file's tokens × epochs), at
 * its `training` price; `null` when the table has none. A fine-tuned model trains at its base's price.
 */
export function trainingCostIn(prices: PriceTable, model: string, trainedTokens: number): number | null {
  const training = findModelEntry(fineTunedBase(model) ?? model, prices)?.training;
  return training === undefined ? null : roundUsd((trainedTokens * training) / 1_000_000);
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
 * costOf('my-model', usage, { prices: { 'my-model': { input: 1, output: 2 } } });
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
 * `defaultPrices` extended by `prices`, every entry validated and its missing cache rates filled
 * by `cacheRates`. A ConfigError names the entry and shows the shape to pass.
 */
export function mergePrices(prices: CustomPrices, cacheRates: CacheRates = listCacheRates, option = 'prices'): PriceTable {
  if (typeof prices !== 'object' || prices === null || Array.isArray(prices)) {
    throw new ConfigError(option, prices, `an object mapping model ids to prices, e.g. ${priceShape('my-model')}`);
  }
  const merged: Record<string, ModelPrice> = { ...defaultPrices };
  for (const [model, price] of Object.entries(prices)) merged[model] = completePrice(price, cacheRates, `${option}.${model}`, model);
  return merged;
}

/** One custom price checked and completed; `option` names it in errors. */
function completePrice(price: CustomPrice, cacheRates: CacheRates, option: string, model: string): ModelPrice {
  if (typeof price !== 'object' || price === null || Array.isArray(price)) {
    throw new ConfigError(option, price, `a price object, as in ${priceShape(model)}`);
  }
  const dollars = (field: keyof CustomPrice): number => {
    const value: unknown = price[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(`${option}.${field}`, value, `a finite number >= 0 of US dollars per million tokens, as in ${priceShape(model)}`);
    }
    return value;
  };
  const input = dollars('input');
  const rates = cacheRates(input);
  return Object.freeze({
    input,
    output: dollars('output'),
    cachedInput: price.cachedInput === undefined ? rates.cachedInput : dollars('cachedInput'),
    cacheWrite: price.cacheWrite === undefined ? rates.cacheWrite : dollars('cacheWrite'),
    ...(price.training === undefined ? {} : { training: dollars('training') }),
  });
}

/**
 * Sum of costs; `null` as soon as one is unknown. Rounded like `roundUsd` at every step, so a sum is
 * the same in any order or grouping: a run's cost and its budget's running figure agree exactly.
 */
export function sumCost(costs: readonly (number | null)[]): number | null {
  let total: number | null = 0;
  for (const cost of costs) {
    total = addCost(total, cost);
    if (total === null) return null;
  }
  return total;
}

/** One step of `sumCost`: a running total plus a cost, rounded; `null` once either is unknown. */
export function addCost(total: number | null, cost: number | null): number | null {
  return total === null || cost === null ? null : roundUsd(total + cost);
}

/** `costUsd` split into `parts` shares rounded like `roundUsd` whose sum is the whole (remainders go to the first shares). */
export function splitCost(costUsd: number, parts: number): number[] {
  const picodollars = Math.round(costUsd * 1e12);
  // One share is the whole: a request per sample needs no split.
  if (parts === 1) return [picodollars / 1e12];
  const share = Math.floor(picodollars / parts);
  const remainder = picodollars - share * parts;
  const shares: number[] = [];
  for (let i = 0; i < parts; i++) shares.push((share + (i < remainder ? 1 : 0)) / 1e12);
  return shares;
}

/**
 * US dollars rounded to a millionth of a micro-dollar (12 decimals): far below any price, and
 * enough to turn float noise (`0.039999999999999994`) back into the amount (`0.04`).
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}
