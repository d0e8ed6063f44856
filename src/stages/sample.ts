import { BudgetExceededError, ProviderError } from '../core/errors.js';
import type { Usage } from '../core/usage.js';
import { flatten } from '../core/flatten.js';
import { nearestName } from '../core/names.js';
import { priceShape, splitCost, type PriceTable } from '../core/pricing.js';
import type { Warning } from '../core/warnings.js';
import { zeroUsage } from '../core/usage.js';
import type { Provider, SampledCompletion, SampleRequest, SampleResponse } from '../providers/spec.js';
import type { RequestGate } from '../run/budget.js';
import type { SamplerState } from '../run/control.js';
import { createSamplerState } from '../run/control.js';
import type { Limiter } from '../run/limit.js';
import type { PlannedRequest } from './plan.js';
import { oneEach, planRequests, topUp } from './plan.js';

/** Options of `sample`. */
export interface SampleOptions {
  /** Completions wanted. */
  readonly n: number;
  /** The task's seed; each request's seed follows from it (see `requestSeed`). @default 0 */
  readonly seed?: number;
  readonly signal?: AbortSignal | undefined;
  /** Called once per distinct warning (a provider ignoring `n`, a parameter dropped). */
  readonly onWarning?: (warning: Warning) => void;
  /** Called as soon as a request fails, with the number of completions it should have produced. */
  readonly onRequestError?: (error: unknown, completions: number) => void;
  /**
   * Called with each completion and its index as soon as its request returns, before
   * the other requests of the call finish: the moment to journal what was paid for. The
   * request keeps its concurrency slot until what this returns settles (its record is on
   * disk), so no more requests are in flight unjournaled than the concurrency allows.
   */
  readonly onCompletion?: (index: number, completion: SampledCompletion & { readonly ok: true }) => void | Promise<void>;
  /**
   * Completion indices already at hand (restored from a journal or a cache): they get no
   * request, and the result holds only the others, in index order. When some are at hand,
   * the rest are fetched one request each. @default none
   */
  readonly skip?: ReadonlySet<number> | undefined;
}

/** What a run adds to `sample`'s options: its shared limit, memory and budget gate. */
export interface RunSampleOptions extends SampleOptions {
  /** Shared concurrency limit. @default no limit */
  readonly limit?: Limiter;
  /** Run-scoped memory: whether the provider turned out to ignore `n`, the warnings given. @default a fresh state */
  readonly state?: SamplerState;
  /** Admits each request before it is sent (budgets); a refused request yields entries failed with `BudgetExceededError`. @default every request admitted */
  readonly gate?: RequestGate | undefined;
}

/**
 * Gets exactly `n` completions for one prompt from any provider: carries out the
 * request planner's plan (one native-`n` request where the provider has native `n`,
 * one request per completion otherwise) and its top-up when a provider returns fewer
 * than asked. A failed request yields failed entries (never fewer than `n`); an abort
 * rejects with the signal's reason and starts no new request.
 * @example
 * const completions = await sample(anthropic({ model: 'claude-haiku-4-5' }), { messages: [user('Hi')] }, { n: 4 });
 */
export function sample(provider: Provider, request: SampleRequest, options: SampleOptions): Promise<SampledCompletion[]> {
  return sampleInRun(provider, request, options);
}

/** `sample` under a run's limit, memory and budget: what `iterate`, `evaluate` and `bestOfN` call. */
export async function sampleInRun(provider: Provider, request: SampleRequest, options: RunSampleOptions): Promise<SampledCompletion[]> {
  const seed = options.seed ?? 0;
  const sampler = createSampler(provider, request, options);
  const plan = planRequests({ n: options.n, seed, nativeN: sampler.nativeN(), skip: options.skip });
  // One request (native `n`, or a single sample) is its own result: no `Promise.all` and no copy.
  if (plan.length === 1) return sampler.carryOut(plan[0]!);
  return flatten(await Promise.all(plan.map(sampler.carryOut)));
}

/** Carries out planned requests of one prompt under the run's limit, gate and memory. */
function createSampler(provider: Provider, request: SampleRequest, options: RunSampleOptions) {
  const { signal } = options;
  const seed = options.seed ?? 0;
  const limit = options.limit ?? ((work) => work());
  const state = options.state ?? createSamplerState();
  const warn = (warning: Warning): void => {
    const key = `${warning.code}: ${warning.message}`;
    if (state.warned.has(key)) return;
    state.warned.add(key);
    options.onWarning?.(warning);
  };
  const nativeN = (): boolean => provider.capabilities.nativeN && !state.fanOut;
  // Once per run, and looked up (a nearest-name search over the price table) only the first time.
  const unpricedKey = `price-unknown: ${provider.model}`;
  const warnUnpriced = (response: SampleResponse): void => {
    // Only a provider that prices by a table can be given a price; `fromFunction` says its cost itself.
    if (provider.prices === undefined || state.warned.has(unpricedKey)) return;
    if ((response.warnings ?? []).some((warning) => warning.code === 'usage-missing')) return;
    state.warned.add(unpricedKey);
    warn(priceUnknown(provider, provider.prices));
  };

  /** One request: its completions, `'short'` with them when a request for several returned fewer, or `'fan-out'` unsent. */
  const send = (planned: PlannedRequest) =>
    limit(async (): Promise<SampledCompletion[] | { readonly short: SampledCompletion[] } | 'fan-out'> => {
      signal?.throwIfAborted();
      const count = planned.indices.length;
      // Native `n` turned out not to work while this request waited for a slot.
      if (count > 1 && !nativeN()) return 'fan-out';
      const admitted = options.gate?.admitLive(request, count, { model: provider.model });
      // Waits (holding its slot) only while the requests in flight hold the budget it needs.
      const ticket = admitted instanceof Promise ? await admitted : admitted;
      if (options.gate !== undefined && ticket === undefined) {
        return failedShares(count, new BudgetExceededError('budget', 'The run budget does not admit this request.'), 0, planned.seed);
      }
      const started = performance.now();
      let response: SampleResponse;
      try {
        response = await provider.sample({ ...request, seed: planned.seed }, signal === undefined ? { n: count } : { n: count, signal });
        // A short response's missing completions are charged when the top-up requests them.
        ticket?.settle(response.usage, response.costUsd, count > 1 ? Math.min(count, response.completions.length) : count);
      } catch (error) {
        // A response that came back unusable may still have been billed: charge it, on its failed entries.
        const paid = error instanceof ProviderError ? error.paid : undefined;
        ticket?.settle(paid?.usage ?? zeroUsage, paid?.costUsd ?? 0, count);
        signal?.throwIfAborted();
        options.onRequestError?.(error, count);
        return failedShares(count, error, performance.now() - started, planned.seed, paid);
      }
      const latencyMs = performance.now() - started;
      for (const warning of response.warnings ?? []) warn({ code: warning.code, message: `${provider.name}: ${warning.message}` });
      if (response.costUsd === null) warnUnpriced(response);
      const shares = share(response, count, latencyMs, planned.seed);
      if (options.onCompletion !== undefined) await arrivedAll(shares, planned.indices, options.onCompletion);
      if (shares.length === count) return shares;
      if (count > 1) return { short: shares };
      const missing = new ProviderError(`${provider.name} returned ${response.completions.length} of ${count} completions.`, {
        provider: provider.name,
        isRetryable: false,
      });
      options.onRequestError?.(missing, count - shares.length);
      return [...shares, ...failedShares(count - shares.length, missing, latencyMs, planned.seed)];
    });

  const carryOut = async (planned: PlannedRequest): Promise<SampledCompletion[]> => {
    const result = await send(planned);
    if (result === 'fan-out') return flatten(await Promise.all(oneEach(planned.indices, seed).map(carryOut)));
    if (Array.isArray(result)) return result;
    const next = topUp(planned, result.short.length, seed, provider.name);
    if (next.ignoresN) state.fanOut = true;
    warn(next.warning);
    return flatten([result.short, ...(await Promise.all(next.requests.map(carryOut)))]);
  };

  return { nativeN, carryOut };
}

/** `count` entries failed with `error`: a request that was refused or failed stands for each completion it should have made. */
export function failedShares(
  count: number,
  error: unknown,
  latencyMs: number,
  seed: number,
  paid?: { readonly usage: Usage; readonly costUsd: number | null },
): SampledCompletion[] {
  const usages = paid === undefined ? undefined : splitUsage(paid.usage, count);
  const costs = paid?.costUsd === undefined || paid.costUsd === null ? undefined : splitCost(paid.costUsd, count);
  return Array.from({ length: count }, (_, i) => ({
    ok: false as const,
    error,
    usage: usages?.[i] ?? zeroUsage,
    costUsd: paid === undefined ? 0 : paid.costUsd === null ? null : (costs?.[i] ?? 0),
    latencyMs,
    seed,
  }));
}

/**
 * Splits a response's usage and cost over the completions kept (at most `count`), so sums stay
 * exact and a response with more completions than asked is paid in full by the ones kept.
 */
export function share(response: SampleResponse, count: number, latencyMs: number, seed: number): (SampledCompletion & { readonly ok: true })[] {
  const requestCompletions = Math.min(count, response.completions.length);
  const parts = Math.max(1, requestCompletions);
  const usages = splitUsage(response.usage, parts);
  const costs = response.costUsd === null ? undefined : splitCost(response.costUsd, parts);
  return response.completions.slice(0, count).map((completion, i) => ({
    ok: true as const,
    completion,
    usage: usages[i] ?? zeroUsage,
    costUsd: costs === undefined ? null : (costs[i] ?? 0),
    latencyMs,
    seed,
    requestAsked: count,
    requestCompletions,
  }));
}

/**
 * Splits usage into `parts` shares whose sum is the whole (remainders go to the first shares).
 * Shares that are equal are one object: share `i` differs from share `i - 1` only where a field's
 * remainder runs out at `i`, so a native-`n` request of 64 completions makes at most seven usage
 * objects (one when its token counts divide evenly), not 64, and its samples hold those.
 */
export function splitUsage(usage: Usage, parts: number): Usage[] {
  // One share is the whole: a request per sample needs no split.
  if (parts === 1) return [usage];
  const { requests, inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens, reasoningTokens } = usage;
  const floor: Usage = {
    requests: Math.floor(requests / parts),
    inputTokens: Math.floor(inputTokens / parts),
    cachedInputTokens: Math.floor(cachedInputTokens / parts),
    cacheWriteTokens: Math.floor(cacheWriteTokens / parts),
    outputTokens: Math.floor(outputTokens / parts),
    reasoningTokens: Math.floor(reasoningTokens / parts),
  };
  const requestsLeft = requests % parts;
  const inputLeft = inputTokens % parts;
  const cachedLeft = cachedInputTokens % parts;
  const writeLeft = cacheWriteTokens % parts;
  const outputLeft = outputTokens % parts;
  const reasoningLeft = reasoningTokens % parts;
  const uneven = Math.min(parts, Math.max(requestsLeft, inputLeft, cachedLeft, writeLeft, outputLeft, reasoningLeft));
  const shares = new Array<Usage>(parts);
  let share = floor;
  for (let i = 0; i < uneven; i++) {
    if (i === 0 || i === requestsLeft || i === inputLeft || i === cachedLeft || i === writeLeft || i === outputLeft || i === reasoningLeft) {
      share = {
        requests: floor.requests + (i < requestsLeft ? 1 : 0),
        inputTokens: floor.inputTokens + (i < inputLeft ? 1 : 0),
        cachedInputTokens: floor.cachedInputTokens + (i < cachedLeft ? 1 : 0),
        cacheWriteTokens: floor.cacheWriteTokens + (i < writeLeft ? 1 : 0),
        outputTokens: floor.outputTokens + (i < outputLeft ? 1 : 0),
        reasoningTokens: floor.reasoningTokens + (i < reasoningLeft ? 1 : 0),
      };
    }
    shares[i] = share;
  }
  for (let i = uneven; i < parts; i++) shares[i] = floor;
  return shares;
}

/**
 * Hands each completion to `onCompletion` and waits for what it returns, if anything: without a
 * journal or a cache nothing is returned, and no promise is made per completion.
 */
async function arrivedAll(
  shares: readonly (SampledCompletion & { readonly ok: true })[],
  indices: readonly number[],
  onCompletion: NonNullable<SampleOptions['onCompletion']>,
): Promise<void> {
  let pending: Promise<void>[] | undefined;
  for (let i = 0; i < shares.length; i++) {
    const returned = onCompletion(indices[i] ?? i, shares[i]!);
    if (returned !== undefined) (pending ??= []).push(Promise.resolve(returned));
  }
  if (pending !== undefined) await Promise.all(pending);
}

/** A response priced `null` because the model has no price: said once per run, with the nearest priced model. */
function priceUnknown(provider: Provider, prices: PriceTable): Warning {
  const nearest = nearestName(provider.model, Object.keys(prices));
  return {
    code: 'price-unknown',
    message:
      `${provider.name}: no price for model "${provider.model}"${nearest === undefined ? '' : ` (the nearest priced model is "${nearest}")`}, ` +
      `so costs are null and \`budget.maxCostUsd\` cannot be used; give the provider ${priceShape(provider.model)}.`,
  };
}
