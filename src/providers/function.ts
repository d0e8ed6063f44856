import { ConfigError } from '../core/errors.js';
import type { Completion, Provider, ProviderCapabilities, SampleRequest } from './spec.js';
import type { Usage } from '../core/usage.js';
import { zeroUsage } from '../core/usage.js';
import { validateSampleOptions } from './shared.js';

/** What a wrapped function may return for one completion. */
export type FunctionResult = string | (Completion & { readonly usage?: Usage; readonly costUsd?: number | null });

/** Options of `fromFunction`. */
export interface FromFunctionOptions {
  /** Provider family reported in results and events. @default 'function' */
  readonly name?: string;
  /** Model name reported in results and events. @default 'function' */
  readonly model?: string;
  /**
   * US dollars one call costs when the function does not report it. It counts toward `budget.maxCostUsd`,
   * which bounds every call with it (so it is also the most a call reporting its own cost should cost),
   * and `estimate()` prices with it. @default null (unknown)
   */
  readonly costPerCall?: number | null;
}

/** The context a wrapped function receives. */
export interface FunctionContext {
  readonly signal: AbortSignal | undefined;
}

/**
 * Wraps any async function as a provider: one call per completion (N samples are N calls,
 * planned by `sample`, and so by `iterate`). Use it for
 * a local model, another SDK, or a program standing in for a model.
 *
 * @example
 * const provider = fromFunction(async (request) => myModel.generate(request.messages));
 */
export function fromFunction(
  generate: (request: SampleRequest, context: FunctionContext) => FunctionResult | Promise<FunctionResult>,
  options: FromFunctionOptions = {},
): Provider {
  if (typeof generate !== 'function') throw new ConfigError('fromFunction(generate)', generate, 'a function');
  const capabilities: ProviderCapabilities = {
    nativeN: false,
    temperature: true,
    seed: true,
    promptCaching: false,
    batch: false,
  };
  const costPerCall = options.costPerCall ?? null;
  if (costPerCall !== null && (typeof costPerCall !== 'number' || !Number.isFinite(costPerCall) || costPerCall < 0)) {
    throw new ConfigError('costPerCall', costPerCall, 'a finite number >= 0 of US dollars per call, or null when unknown');
  }
  const name = options.name ?? 'function';
  return {
    name,
    model: options.model ?? 'function',
    capabilities,
    ...(costPerCall === null ? {} : { costPerCall }),
    async sample(request, options) {
      validateSampleOptions(options, name, capabilities);
      const { n, signal } = options;
      if (n === 0) return { completions: [], usage: zeroUsage, costUsd: 0 };
      signal?.throwIfAborted();
      const result = await generate(request, { signal });
      if (typeof result === 'string') return { completions: [{ text: result }], usage: { ...zeroUsage, requests: 1 }, costUsd: costPerCall };
      const { usage, costUsd, ...completion } = result;
      return { completions: [completion], usage: usage ?? { ...zeroUsage, requests: 1 }, costUsd: costUsd === undefined ? costPerCall : costUsd };
    },
  };
}
