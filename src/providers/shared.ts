import { toJSONSchema, type ZodType } from 'zod';
import { ConfigError, ProviderError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import { defaultPrices, listCacheRates, mergePrices, type CacheRates, type CustomPrices, type PriceTable } from '../core/pricing.js';
import type { Warning } from '../core/warnings.js';
import type { ProviderCapabilities, RequestOptions } from './spec.js';
import { parseOutput } from '../core/schema.js';
import { createTransport, type Transport, type TransportOptions } from './transport/transport.js';

/** Call mechanics every SDK-backed provider accepts. */
export interface ProviderTransportOptions {
  /**
   * Retries after the first attempt of a request (our transport retries; the
   * SDK's own retries are always turned off so they never multiply).
   * @default 3
   */
  readonly maxRetries?: number;
  /**
   * Milliseconds one attempt may take before it is aborted and retried.
   * @default 600_000
   */
  readonly timeout?: number;
  /**
   * Requests per minute this provider starts, spaced evenly.
   * @default no limit
   */
  readonly requestsPerMinute?: number;
  /**
   * Estimated tokens per minute (prompt characters / 4 plus `maxOutputTokens` per completion).
   * @default no limit
   */
  readonly tokensPerMinute?: number;
  /**
   * Pace by the provider's own rate-limit headers (see `TransportOptions.pacing`): leave
   * `concurrency` high and the requests in flight follow what the account allows.
   * @default true
   */
  readonly pacing?: boolean;
  /**
   * A transport to share with other providers (one quota, one 429 pause, one pacing).
   * Exclusive with `maxRetries`, `timeout`, `requestsPerMinute`, `tokensPerMinute` and `pacing`.
   * @default a transport built from those options
   */
  readonly transport?: Transport;
  /**
   * Prices (USD per million tokens) that extend and override `defaultPrices`: this provider's
   * cost, and the bound budgets put on it. `{ input, output }` is enough: `anthropic` fills the
   * cache rates with Anthropic's multipliers (reads 0.1 × input, writes 1.25 ×), the others
   * with the input price (no discount assumed). @default defaultPrices
   */
  readonly prices?: CustomPrices;
}

/** The transport a provider uses: the given one, or one built from its options over the provider's `defaults`. */
export function resolveTransport(options: ProviderTransportOptions, defaults: TransportOptions = {}): Transport {
  const transportFields = ['maxRetries', 'timeout', 'requestsPerMinute', 'tokensPerMinute', 'pacing'] as const;
  if (options.transport !== undefined) {
    if (typeof options.transport !== 'object' || options.transport === null || typeof options.transport.send !== 'function') {
      throw new ConfigError('transport', options.transport, 'a Transport from createTransport()');
    }
    const clash = transportFields.find((field) => options[field] !== undefined);
    if (clash !== undefined) {
      throw new ConfigError(clash, options[clash], `nothing when \`transport\` is given (set \`${clash}\` on the transport)`);
    }
    return options.transport;
  }
  const given = Object.fromEntries(transportFields.filter((field) => options[field] !== undefined).map((field) => [field, options[field]]));
  return createTransport({ ...defaults, ...given });
}

/** Prices validated once at creation, missing cache rates filled by the provider family's `cacheRates`. */
export function resolvePrices(prices: CustomPrices | undefined, cacheRates: CacheRates = listCacheRates): PriceTable {
  return prices === undefined ? defaultPrices : mergePrices(prices, cacheRates);
}

/** The warning for a response without `usage` (some proxies and compatible servers omit it). */
export const missingUsageWarning: Warning = {
  code: 'usage-missing',
  message: 'a response had no `usage`: its tokens count as 0 and the cost is null (unknown); budgets on cost and tokens cannot see it.',
};

/** Validates a required non-empty string option. */
export function requireString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(option, value, 'a non-empty string');
  return value;
}

/** Validates an optional non-empty string option. */
export function optionalString(option: string, value: unknown): string | undefined {
  return value === undefined ? undefined : requireString(option, value);
}

/** Validates an optional boolean option. */
export function validateBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(option, value, 'true or false');
  return value;
}

/**
 * Validates `n` and the signal of one request. A provider without native `n` makes one
 * completion per request; N of them are the request planner's job (`sample`).
 */
export function validateSampleOptions(options: RequestOptions, provider: string, capabilities: ProviderCapabilities): void {
  if (!Number.isInteger(options.n) || options.n < 0) throw new ConfigError('n', options.n, 'an integer >= 0');
  if (options.n > 1 && !capabilities.nativeN) {
    throw new ConfigError(
      'n',
      options.n,
      `at most 1: ${provider} makes one completion per request (capabilities.nativeN is false); ` +
        `call sample(provider, request, { n: ${options.n} }) to get ${options.n}`,
    );
  }
  options.signal?.throwIfAborted();
}

/** Tokens a request is expected to use, for `tokensPerMinute`: prompt characters / 4 plus `maxOutputTokens` per completion. */
export function rateLimitTokens(messages: readonly Message[], maxOutputTokens: number | undefined, n: number): number {
  const characters = messages.reduce((sum, message) => sum + message.content.length, 0);
  return Math.ceil(characters / 4) + (maxOutputTokens ?? 0) * n;
}

/** A zod schema compiled once for structured output. */
export interface OutputSchema<Output> {
  readonly schema: ZodType<Output>;
  /** JSON Schema of the output (root object, no `$schema` key). */
  readonly jsonSchema: Record<string, unknown>;
}

/** Compiles a zod schema to JSON Schema; its root must be an object, as the APIs require. */
export function compileSchema<Output>(option: string, schema: ZodType<Output> | undefined): OutputSchema<Output> | undefined {
  if (schema === undefined) return undefined;
  if (typeof schema !== 'object' || schema === null || !('~standard' in schema)) {
    throw new ConfigError(option, schema, 'a zod 4 schema');
  }
  let jsonSchema: Record<string, unknown>;
  try {
    const { $schema: _ignored, ...rest } = toJSONSchema(schema) as Record<string, unknown>;
    jsonSchema = rest;
  } catch (error) {
    throw new ConfigError(option, schema, `a zod schema convertible to JSON Schema (${(error as Error).message})`);
  }
  if (jsonSchema.type !== 'object') {
    throw new ConfigError(option, schema, 'a z.object(...) schema at the root; wrap other types in an object');
  }
  return { schema, jsonSchema };
}

/**
 * The schema a request is decoded against: the provider's own, else the run's
 * (`request.schema`) when it is a zod object schema; compiled once per schema.
 */
export function schemaFor<Output>(
  own: OutputSchema<Output> | undefined,
  requested: unknown,
  compiled: WeakMap<object, OutputSchema<unknown> | null>,
): OutputSchema<Output> | OutputSchema<unknown> | undefined {
  if (own !== undefined || typeof requested !== 'object' || requested === null) return own;
  if (!compiled.has(requested)) {
    let schema: OutputSchema<unknown> | null = null;
    const vendor = (requested as { '~standard'?: { vendor?: unknown } })['~standard']?.vendor;
    if (vendor === 'zod') {
      try {
        schema = compileSchema('schema', requested as ZodType<unknown>) ?? null;
      } catch {
        // Not an object schema, or not convertible: the loop still validates every output.
      }
    }
    compiled.set(requested, schema);
  }
  return compiled.get(requested) ?? undefined;
}

/** The schema fields of a completion: `parsed` on success, `error` with the validator's message on failure. */
export async function parseCompletion<Output>(
  schema: OutputSchema<Output> | undefined,
  text: string,
): Promise<{ parsed: Output } | { error: string } | Record<string, never>> {
  if (schema === undefined) return {};
  try {
    return { parsed: await parseOutput(schema.schema, text) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether a JSON Schema is accepted by OpenAI's strict mode: every object closed, every property required. */
export function isStrictCompatible(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(isStrictCompatible);
  if (typeof schema !== 'object' || schema === null) return true;
  const record = schema as Record<string, unknown>;
  if (record.type === 'object' || record.properties !== undefined) {
    const properties = Object.keys((record.properties as Record<string, unknown> | undefined) ?? {});
    const required = Array.isArray(record.required) ? (record.required as unknown[]) : [];
    if (record.additionalProperties !== false) return false;
    if (!properties.every((property) => required.includes(property))) return false;
  }
  return Object.values(record).every(isStrictCompatible);
}

/** A retryable error for a response the SDK accepted but that lacks what we need. */
export function malformedResponse(provider: string, detail: string): ProviderError {
  return new ProviderError(`${provider} sent a malformed response: ${detail}; retryable.`, {
    provider,
    isRetryable: true,
  });
}

/** Error for an optional peer SDK that is not installed. */
export function missingPackage(option: string, packageName: string, cause: unknown): ConfigError {
  return new ConfigError(option, undefined, `a client, or the \`${packageName}\` package installed (npm install ${packageName})`, { cause });
}

/**
 * `load` called once and its promise shared by every caller, until it rejects: a failure (a
 * missing key or package) is not remembered, so the next call tries again.
 */
export function loadedOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** SDK timeout a little above ours, so our timeout (with its clearer message) fires first. */
export function sdkTimeout(transport: Transport): number {
  return transport.timeout + 1_000;
}
