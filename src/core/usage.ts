/**
 * Token usage normalised across providers. `inputTokens` counts every prompt
 * token, including the cached and cache-write ones, so the fields never need
 * to be added up by the reader.
 */
export interface Usage {
  /** Requests sent to the provider (a native `n` request counts once). */
  readonly requests: number;
  /** All prompt tokens, cached or not. */
  readonly inputTokens: number;
  /** Prompt tokens read from the provider's prompt cache. */
  readonly cachedInputTokens: number;
  /** Prompt tokens written to the provider's prompt cache (Anthropic). */
  readonly cacheWriteTokens: number;
  /** Completion tokens, reasoning tokens included. */
  readonly outputTokens: number;
  /** Completion tokens spent on hidden reasoning. */
  readonly reasoningTokens: number;
}

/** Usage of nothing. */
export const zeroUsage: Usage = Object.freeze({
  requests: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

/** Field-wise sum of usages. */
export function addUsage(...usages: readonly Usage[]): Usage {
  return sumUsage(usages);
}

/**
 * Field-wise sum of any number of usages. Takes an iterable, never a spread: an iteration of
 * 120,000 samples spread into a call's arguments overflows the stack.
 */
export function sumUsage(usages: Iterable<Usage>): Usage {
  const total = usageTotal();
  for (const usage of usages) addToTotal(total, usage);
  return total;
}

/** A running field-wise sum of usages, added to in place (see `addToTotal`): no object per addition. */
export type UsageTotal = { -readonly [Field in keyof Usage]: Usage[Field] };

/** A running sum at zero. */
export function usageTotal(): UsageTotal {
  return { requests: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 };
}

/** Adds `usage` to a running sum, in place. */
export function addToTotal(total: UsageTotal, usage: Usage): void {
  total.requests += usage.requests;
  total.inputTokens += usage.inputTokens;
  total.cachedInputTokens += usage.cachedInputTokens;
  total.cacheWriteTokens += usage.cacheWriteTokens;
  total.outputTokens += usage.outputTokens;
  total.reasoningTokens += usage.reasoningTokens;
}
