import { ConfigError } from '../core/errors.js';
import { mergePrices, type CustomPrices } from '../core/pricing.js';
import type { Provider, ProviderCapabilities, SampleRequest } from './spec.js';
import { estimateTokens } from '../core/tokens.js';
import { wait } from '../core/wait.js';

/** One recorded call to a scripted provider. */
export interface ScriptedCall {
  readonly request: SampleRequest;
  readonly n: number;
}

/** What the respond function is told about the completion it produces. */
export interface ScriptedContext {
  /** Position of this call among all calls so far (0-based). */
  readonly call: number;
  /** Which of the call's `n` completions this is. */
  readonly index: number;
  /** Completions produced before this one, across all calls. */
  readonly produced: number;
}

/** Options of `scripted`. */
export interface ScriptedOptions {
  /** Capabilities to declare. @default native `n`, temperature and seed; no caching, no batch */
  readonly capabilities?: Partial<ProviderCapabilities>;
  /** Model name. @default 'scripted' */
  readonly model?: string;
  /** Milliseconds to wait per call before answering (abortable). @default 0 */
  readonly delayMs?: number;
  /** The price table budgets and `estimate` bound its model's cost with (its own replies cost 0); cache rates default to `input`. @default defaultPrices */
  readonly prices?: CustomPrices;
}

/** A deterministic provider that records every call: the test double. */
export interface ScriptedProvider extends Provider {
  /** Every call so far, in order. */
  readonly calls: readonly ScriptedCall[];
}

/**
 * A deterministic test double. Give a list of replies (handed out in order,
 * cycling) or a function of the request. A reply that is an `Error` is thrown
 * by that call.
 *
 * @example
 * const provider = scripted(['RRD', 'DDR']);
 */
export function scripted(
  replies: readonly (string | Error)[] | ((request: SampleRequest, context: ScriptedContext) => string | Error),
  options: ScriptedOptions = {},
): ScriptedProvider {
  if (Array.isArray(replies) && replies.length === 0) {
    throw new ConfigError('scripted(replies)', replies, 'at least one reply');
  }
  if (!Array.isArray(replies) && typeof replies !== 'function') {
    throw new ConfigError('scripted(replies)', replies, 'an array of replies or a function');
  }
  const respond =
    typeof replies === 'function'
      ? replies
      : (_request: SampleRequest, context: ScriptedContext) =>
          (replies as readonly (string | Error)[])[context.produced % replies.length] as string | Error;
  const calls: ScriptedCall[] = [];
  const delayMs = options.delayMs ?? 0;
  let produced = 0;
  return {
    name: 'scripted',
    model: options.model ?? 'scripted',
    ...(options.prices === undefined ? {} : { prices: mergePrices(options.prices) }),
    capabilities: { nativeN: true, temperature: true, seed: true, promptCaching: false, batch: false, ...options.capabilities },
    calls,
    async sample(request, { n, signal }) {
      signal?.throwIfAborted();
      const call = calls.length;
      calls.push({ request, n });
      const texts: string[] = [];
      for (let index = 0; index < n; index++) {
        const reply = respond(request, { call, index, produced: produced++ });
        if (reply instanceof Error) throw reply;
        texts.push(reply);
      }
      if (delayMs > 0) await wait(delayMs, signal);
      const inputTokens = request.messages.reduce((sum, message) => sum + estimateTokens(message.content), 0);
      const outputTokens = texts.reduce((sum, text) => sum + estimateTokens(text), 0);
      return {
        completions: texts.map((text) => ({ text })),
        usage: { requests: 1, inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens, reasoningTokens: 0 },
        costUsd: 0,
      };
    },
  };
}
