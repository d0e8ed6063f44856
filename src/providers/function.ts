import { ConfigError } from '../core/errors.js';
import type { Completion, Provider, ProviderCapabilities, SampleRequest } from './spec.js';
import type { Usage } from '../core/usage.js';
import { addUsage, zeroUsage } from '../core/usage.js';

/** What a wrapped function may return for one completion. */
export type FunctionResult = string | (Completion & { readonly usage?: Usage; readonly costUsd?: number | null });

/** Options of `fromFunction`. */
export interface FromFunctionOptions {
  /** Provider family reported in results and events. @default 'function' */
  readonly name?: string;
  /** Model name reported in results and events. @default 'function' */
  readonly model?: string;
  /** Cost of one call when the function does not report it. @default null (unknown) */
  readonly costPerCall?: number | null;
}

/** The context a wrapped function receives. */
export interface FunctionContext {
  /** Which of the `n` completions this call produces. */
  readonly index: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Wraps any async function as a provider: one call per completion. Use it for
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
  return {
    name: options.name ?? 'function',
    model: options.model ?? 'function',
    capabilities,
    async sample(request, { n, signal }) {
      const results = await Promise.all(
        Array.from({ length: n }, async (_, index) => {
          signal?.throwIfAborted();
          return generate(request, { index, signal });
        }),
      );
      const completions: Completion[] = [];
      const usages: Usage[] = [];
      let costUsd: number | null = 0;
      for (const result of results) {
        if (typeof result === 'string') {
          completions.push({ text: result });
          usages.push({ ...zeroUsage, requests: 1 });
          costUsd = costUsd === null || costPerCall === null ? null : costUsd + costPerCall;
        } else {
          const { usage, costUsd: cost, ...completion } = result;
          completions.push(completion);
          usages.push(usage ?? { ...zeroUsage, requests: 1 });
          const callCost = cost === undefined ? costPerCall : cost;
          costUsd = costUsd === null || callCost === null ? null : costUsd + callCost;
        }
      }
      return { completions, usage: addUsage(...usages), costUsd };
    },
  };
}
