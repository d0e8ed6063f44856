import { BudgetExceededError, ProviderError } from '../core/errors.js';
import type { Provider, SampledCompletion, SampleRequest, SampleResponse } from '../providers/spec.js';
import type { RequestGate } from '../run/budget.js';
import type { SamplerState } from '../run/control.js';
import { createSamplerState } from '../run/control.js';
import type { Limiter } from '../run/limit.js';
import { deriveSeed } from '../core/random.js';
import type { Usage } from '../core/usage.js';
import { zeroUsage } from '../core/usage.js';

/** `count` entries failed with `error`: a request that was refused or failed stands for each completion it should have made. */
function failedShares(count: number, error: unknown, latencyMs: number, seed: number): SampledCompletion[] {
  return Array.from({ length: count }, () => ({ ok: false as const, error, usage: zeroUsage, costUsd: 0, latencyMs, seed }));
}

/** Options of `sample`. */
export interface SampleCallOptions {
  /** Completions wanted. */
  readonly n: number;
  /** Base seed: a native-`n` request and the first fan-out request get it, the other fan-out requests seeds derived from it (`fanOutSeed`). @default 0 */
  readonly seed?: number;
  readonly signal?: AbortSignal | undefined;
  /** Shared concurrency limit. @default no limit */
  readonly limit?: Limiter;
  /** Run-scoped memory (see `SamplerState`). @default a fresh state */
  readonly state?: SamplerState;
  /** Called once per distinct warning (a provider ignoring `n`, a parameter dropped). */
  readonly onWarning?: (message: string) => void;
  /** Called as soon as a request fails, with the number of completions it should have produced. */
  readonly onRequestError?: (error: unknown, completions: number) => void;
  /**
   * Called with each completion and its index as soon as its request returns, before
   * the other requests of the call finish: the moment to journal what was paid for.
   */
  readonly onCompletion?: (index: number, completion: SampledCompletion & { readonly ok: true }) => void;
  /**
   * Completion indices already at hand (restored from a journal or a cache): they get no
   * request, and the result holds only the others, in index order. When some are at hand,
   * the rest are fetched one request each, with the seeds fan-out gives them. @default none
   */
  readonly skip?: ReadonlySet<number> | undefined;
  /** Admits each request before it is sent (budgets); a refused request yields entries failed with `BudgetExceededError`. @default every request admitted */
  readonly gate?: RequestGate | undefined;
}

/**
 * Gets exactly `n` completions for one request. Uses one native-`n` request
 * where the provider supports it, one request per completion otherwise, and
 * fetches the missing ones when a provider returns fewer than asked. A failed
 * request yields failed entries (never fewer than `n`); an abort rejects with
 * the signal's reason and starts no new request.
 */
export async function sample(
  provider: Provider,
  request: SampleRequest,
  options: SampleCallOptions,
): Promise<SampledCompletion[]> {
  const { n, signal } = options;
  const seed = options.seed ?? 0;
  const limit = options.limit ?? ((work) => work());
  const state = options.state ?? createSamplerState();
  const warn = (message: string): void => {
    if (state.warned.has(message)) return;
    state.warned.add(message);
    options.onWarning?.(message);
  };
  const nativeN = (): boolean => provider.capabilities.nativeN && !state.fanOut;
  // `topUp`: missing completions are fetched later by the caller instead of being failures.
  // Resolves to 'fan-out' without a request when, by the time a slot is free, native `n` is
  // known not to work (another request found out while this one waited).
  const call = (count: number, firstIndex: number, requestSeed: number, topUp = false): Promise<SampledCompletion[] | 'fan-out'> =>
    limit(async () => {
      signal?.throwIfAborted();
      if (count > 1 && !nativeN()) return 'fan-out';
      const ticket = options.gate?.admit(request, count);
      if (options.gate !== undefined && ticket === undefined) {
        return failedShares(count, new BudgetExceededError('budget', 'The run budget does not admit this request.'), 0, requestSeed);
      }
      const started = performance.now();
      let response: SampleResponse;
      try {
        response = await provider.sample(
          { ...request, seed: requestSeed },
          signal === undefined ? { n: count } : { n: count, signal },
        );
        // A short response's missing completions are charged when the top-up requests them.
        ticket?.settle(response.usage, response.costUsd, topUp ? Math.min(count, response.completions.length) : count);
      } catch (error) {
        ticket?.settle(zeroUsage, 0, count);
        signal?.throwIfAborted();
        options.onRequestError?.(error, count);
        return failedShares(count, error, performance.now() - started, requestSeed);
      }
      for (const warning of response.warnings ?? []) warn(`${provider.name}: ${warning}`);
      const latencyMs = performance.now() - started;
      const shares = share(response, count, latencyMs, requestSeed);
      shares.forEach((completion, i) => options.onCompletion?.(firstIndex + i, completion));
      if (topUp || shares.length === count) return shares;
      const missing = new ProviderError(
        `${provider.name} returned ${response.completions.length} of ${count} completions.`,
        { provider: provider.name, isRetryable: false },
      );
      options.onRequestError?.(missing, count - shares.length);
      return [...shares, ...failedShares(count - shares.length, missing, latencyMs, requestSeed)];
    });

  const single = async (index: number, requestSeed: number): Promise<SampledCompletion[]> => {
    const result = await call(1, index, requestSeed);
    return result === 'fan-out' ? [] : result;
  };
  const fanOut = async (count: number, offset: number): Promise<SampledCompletion[]> =>
    (await Promise.all(Array.from({ length: count }, (_, i) => single(offset + i, fanOutSeed(seed, offset + i))))).flat();

  if (n === 0) return [];
  if (options.skip !== undefined && options.skip.size > 0) {
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !options.skip?.has(i));
    return (await Promise.all(missing.map((i) => single(i, fanOutSeed(seed, i))))).flat();
  }
  if (n === 1) return single(0, seed);
  if (!nativeN()) return fanOut(n, 0);
  const first = await call(n, 0, seed, true);
  if (first === 'fan-out') return fanOut(n, 0);
  if (first.length >= n) return first.slice(0, n);
  if (first.length === 1) {
    // One choice for n > 1: the server ignores `n` (Ollama). Asking again would bill the prompt for nothing.
    state.fanOut = true;
    warn(
      `${provider.name} returned 1 of ${n} completions for one request (it ignores \`n\`); ` +
        'fetching the rest one request at a time for the rest of this run.',
    );
  } else {
    // A one-off short response: top up this request and stay on native `n`.
    warn(`${provider.name} returned ${first.length} of ${n} completions for one request; fetched the rest one request each.`);
  }
  return [...first, ...(await fanOut(n - first.length, first.length))];
}

/**
 * The seed of completion `index` when it has a request of its own. The first gets the
 * seed itself, so a native-`n` request answered with one choice (a server ignoring `n`)
 * made the same completion fan-out would have: how many requests went native before a
 * run learned that never changes its samples, and a resumed run matches the original.
 */
export function fanOutSeed(seed: number, index: number): number {
  return index === 0 ? seed : deriveSeed(seed, index);
}

/** Splits a response's usage and cost over its completions, so sums stay exact. */
function share(response: SampleResponse, count: number, latencyMs: number, seed: number): (SampledCompletion & { readonly ok: true })[] {
  const parts = Math.max(1, response.completions.length);
  const requestCompletions = Math.min(count, response.completions.length);
  const usages = splitUsage(response.usage, parts);
  const costUsd = response.costUsd === null ? null : response.costUsd / parts;
  return response.completions.slice(0, count).map((completion, i) => ({
    ok: true as const,
    completion,
    usage: usages[i] ?? zeroUsage,
    costUsd,
    latencyMs,
    seed,
    requestAsked: count,
    requestCompletions,
  }));
}

/** Splits usage into `parts` shares whose sum is the whole (remainders go to the first shares). */
export function splitUsage(usage: Usage, parts: number): Usage[] {
  const split = (total: number, i: number): number => Math.floor(total / parts) + (i < total % parts ? 1 : 0);
  return Array.from({ length: parts }, (_, i) => ({
    requests: split(usage.requests, i),
    inputTokens: split(usage.inputTokens, i),
    cachedInputTokens: split(usage.cachedInputTokens, i),
    cacheWriteTokens: split(usage.cacheWriteTokens, i),
    outputTokens: split(usage.outputTokens, i),
    reasoningTokens: split(usage.reasoningTokens, i),
  }));
}
