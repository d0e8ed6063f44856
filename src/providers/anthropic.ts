import type { Anthropic } from '@anthropic-ai/sdk';
import type {
  Message as WireResponse,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  Usage as WireUsage,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { ZodType } from 'zod';
import { ConfigError } from '../core/errors.js';
import { costOf, findModelEntry } from '../core/pricing.js';
import type { Completion, Provider, RequestOptions, SampleRequest, SampleResponse } from './spec.js';
import { zeroUsage, type Usage } from '../core/usage.js';
import { contentHash } from '../core/fingerprint.js';
import type { Warning } from '../core/warnings.js';
import { createCacheWarmer } from './cache-warmer.js';
import { sdkTimeout } from './openai.js';
import { createSecrets, recordCredentials, requestCredentials, type Secrets } from './transport/credentials.js';
import {
  compileSchema,
  missingUsageWarning,
  rateLimitTokens,
  malformedResponse,
  missingPackage,
  optionalString,
  parseCompletion,
  requireString,
  resolvePrices,
  resolveTransport,
  schemaFor,
  validateSampleOptions,
  type OutputSchema,
  type ProviderTransportOptions,
} from './shared.js';

/**
 * The part of an `@anthropic-ai/sdk` client the provider uses: `new Anthropic(...)`
 * fits. Declared here so pauper's types never need the SDK installed (it is an optional peer).
 */
export interface AnthropicClient {
  readonly apiKey?: unknown;
  readonly authToken?: unknown;
  readonly messages: {
    create(body: object, options?: object): PromiseLike<unknown>;
  };
}

/** Options of `anthropic`. */
export interface AnthropicOptions<Output = unknown> extends ProviderTransportOptions {
  /** Model id sent to the API, e.g. `claude-sonnet-4-5`. */
  readonly model: string;
  /**
   * An SDK client you built (other auth, proxies). Its own retries are turned
   * off per request; `apiKey` and `baseURL` must then be omitted.
   * @default a client built from `apiKey` and `baseURL`
   */
  readonly client?: AnthropicClient;
  /**
   * API key. Never appears in errors.
   * @default process.env.ANTHROPIC_API_KEY
   */
  readonly apiKey?: string;
  /**
   * API base URL.
   * @default the SDK's default (`ANTHROPIC_BASE_URL` or https://api.anthropic.com)
   */
  readonly baseURL?: string;
  /**
   * Completion-token limit when the request sets none (the Messages API requires one).
   * @default 1024
   */
  readonly maxOutputTokens?: number;
  /**
   * Send the first request with a new cached prefix (folded examples) alone, and the
   * others with that prefix once its response is back, so they read the prompt cache
   * (0.1× input) instead of each writing it (1.25×): Anthropic makes an entry readable
   * only after the response that wrote it has begun. Costs one round trip per new prefix;
   * a prefix shorter than the model can cache (1,024 to 4,096 tokens by model; 4,096 for
   * a model pauper does not know) is never held back, and neither is anything after a
   * first request that failed.
   * @default true
   */
  readonly warmCache?: boolean;
  /**
   * Output schema (a zod 4 object), sent as `output_config.format`; each
   * completion is parsed into `Completion.parsed`. Keywords structured output
   * does not support (`minimum`, `maxLength`, `pattern`, `minItems` above 1, ...)
   * are moved into the field's `description`, as the SDK does; zod still enforces them on parse.
   * @default no schema
   */
  readonly schema?: ZodType<Output>;
}

const EPHEMERAL = Object.freeze({ type: 'ephemeral' as const });

/**
 * Anthropic Messages through the official `@anthropic-ai/sdk` (1.x). N samples
 * are N concurrent requests; a cache breakpoint ends the folded-example prefix.
 * @example
 * const provider = anthropic({ model: 'claude-haiku-4-5' }); // key from ANTHROPIC_API_KEY
 */
export function anthropic<Output = unknown>(options: AnthropicOptions<Output>): Provider<Output> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', options, 'an options object');
  const name = 'anthropic';
  const model = requireString('model', options.model);
  const maxOutputTokens = options.maxOutputTokens ?? 1024;
  if (!Number.isInteger(maxOutputTokens) || maxOutputTokens < 1) {
    throw new ConfigError('maxOutputTokens', options.maxOutputTokens, 'an integer >= 1');
  }
  const { client, secrets } = resolveAnthropicClient(options);
  const transport = resolveTransport(options);
  const schema = compileSchema('schema', options.schema);
  // Each schema is transformed once, not per request.
  const wireSchemas = new WeakMap<OutputSchema<unknown>, Record<string, unknown> | undefined>();
  const wireSchemaOf = (outputSchema: OutputSchema<unknown> | undefined): Record<string, unknown> | undefined => {
    if (outputSchema === undefined) return undefined;
    if (!wireSchemas.has(outputSchema)) wireSchemas.set(outputSchema, toAnthropicSchema(outputSchema.jsonSchema));
    return wireSchemas.get(outputSchema);
  };
  if (schema !== undefined && wireSchemaOf(schema) === undefined) {
    throw new ConfigError(
      'schema',
      options.schema,
      'a zod object schema whose every field has a type (Anthropic structured output cannot express z.any() or z.unknown())',
    );
  }
  const prices = resolvePrices(options.prices);
  const warmCache = options.warmCache ?? true;
  if (typeof warmCache !== 'boolean') throw new ConfigError('warmCache', warmCache, 'true or false');
  const warmer = createCacheWarmer();
  let temperatureWarned = false;

  const compiledSchemas = new WeakMap<object, OutputSchema<unknown> | null>();
  const call = async (
    body: MessageCreateParamsNonStreaming,
    schema: OutputSchema<Output> | undefined,
    estimatedTokens: number,
    signal: AbortSignal | undefined,
  ): Promise<{ completion: Completion<Output>; usage: Usage; usageMissing: boolean; model: string }> => {
    const sdk = await client();
    const sent = requestCredentials();
    const message = await transport.send(
      (attemptSignal) =>
        sdk.messages
          .create(body, {
            signal: attemptSignal,
            maxRetries: 0,
            timeout: sdkTimeout(transport),
            // Records the credentials the request really carried (an `apiKey` function's result
            // lives nowhere else), so an error echoing them can be scrubbed.
            middleware: [recordCredentials(sent.observe)],
          })
          .then((response) => validateMessage(name, response)),
      {
        provider: name,
        ...(signal === undefined ? {} : { signal }),
        estimatedTokens,
        secrets: () => [...secrets(), ...sent.values],
      },
    );
    const responseModel = typeof message.model === 'string' ? message.model : model;
    const usageMissing = typeof message.usage !== 'object' || message.usage === null;
    return {
      completion: await toCompletion(schema, message),
      usage: usageMissing ? { ...zeroUsage, requests: 1 } : usageOf(message.usage),
      usageMissing,
      model: responseModel,
    };
  };

  const capabilities = Object.freeze({ nativeN: false, temperature: false, seed: false, promptCaching: true, batch: true });
  return {
    name,
    model,
    capabilities,
    prices,
    // One request, one completion: N samples are N requests, planned by `sample`.
    async sample(request: SampleRequest, sampleOptions: RequestOptions): Promise<SampleResponse<Output>> {
      validateSampleOptions(sampleOptions, name, capabilities);
      const { n, signal } = sampleOptions;
      const priceOptions = { prices };
      if (n === 0) return { completions: [], usage: zeroUsage, costUsd: costOf(model, zeroUsage, priceOptions) };
      const requestSchema = schemaFor(schema, request.schema, compiledSchemas) as OutputSchema<Output> | undefined;
      const body = buildBody(model, request, maxOutputTokens, wireSchemaOf(requestSchema));
      const estimatedTokens = rateLimitTokens(request.messages, body.max_tokens, 1);
      const prefix = warmCache ? cachedPrefixKey(model, request) : undefined;
      const result = await warmer.send(prefix, signal, () => call(body, requestSchema, estimatedTokens, signal));
      const warnings: Warning[] = [];
      if (request.temperature !== undefined && !temperatureWarned) {
        temperatureWarned = true;
        warnings.push({ code: 'parameter-ignored', message: 'the Messages API of @anthropic-ai/sdk 1.x has no `temperature`; it was ignored.' });
      }
      if (result.usageMissing) warnings.push(missingUsageWarning);
      const costUsd = result.usageMissing
        ? null
        : (costOf(model, result.usage, priceOptions) ?? costOf(result.model, result.usage, priceOptions));
      const completions = [result.completion];
      return warnings.length === 0
        ? { completions, usage: result.usage, costUsd }
        : { completions, usage: result.usage, costUsd, warnings };
    },
  };
}

/**
 * The shortest prefix Anthropic caches, in tokens, by model (dated snapshots match
 * their base id). A model not listed is taken to need the most, so that a prefix
 * too short to be cached is not held back for nothing.
 */
const minimumCachedTokens: Readonly<Record<string, number>> = Object.freeze({
  'claude-opus-4-5': 4096,
  'claude-haiku-4-5': 4096,
  'claude-3-5-haiku': 2048,
  'claude-3-haiku': 2048,
  'claude-opus-4': 1024,
  'claude-opus-4-0': 1024,
  'claude-opus-4-1': 1024,
  'claude-sonnet-4': 1024,
  'claude-sonnet-4-0': 1024,
  'claude-sonnet-4-5': 1024,
  'claude-3-7-sonnet': 1024,
  'claude-3-5-sonnet': 1024,
  'claude-3-opus': 1024,
});
const unknownModelMinimumCachedTokens = 4096;

/**
 * What identifies the request's cached prefix for the warmer, or `undefined` when it has
 * none or one too short to be cached. Tokens are over-estimated (3 characters each), so a
 * prefix the API would cache is never taken for a short one.
 */
function cachedPrefixKey(model: string, request: SampleRequest): string | undefined {
  const length = Math.min(request.cachePrefixLength ?? 0, request.messages.length);
  if (length <= 0) return undefined;
  const prefix = request.messages.slice(0, length);
  const characters = prefix.reduce((sum, message) => sum + message.content.length, 0);
  const minimum = findModelEntry(model, minimumCachedTokens) ?? unknownModelMinimumCachedTokens;
  if (characters / 3 < minimum) return undefined;
  return contentHash([model, prefix]);
}

function resolveAnthropicClient(options: AnthropicOptions<unknown>): {
  client: () => Promise<Anthropic>;
  secrets: Secrets;
} {
  const { client } = options;
  if (client !== undefined) {
    if (typeof client !== 'object' || client === null || typeof client.messages?.create !== 'function') {
      // The value is not echoed: a mistaken object may hold a key.
      throw new ConfigError('client', `a ${typeof client} without messages.create`, 'an Anthropic client (new Anthropic(...))');
    }
    if (options.apiKey !== undefined) throw new ConfigError('apiKey', '[redacted]', 'nothing when `client` is given');
    if (options.baseURL !== undefined) throw new ConfigError('baseURL', options.baseURL, 'nothing when `client` is given');
    // Checked above to have messages.create; responses are validated per request.
    const sdk = client as unknown as Anthropic;
    // `apiKey` and `authToken` are read when an error is built; the middleware records what was sent.
    return { client: () => Promise.resolve(sdk), secrets: createSecrets([], client) };
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new ConfigError('apiKey', typeof options.apiKey === 'string' ? '' : typeof options.apiKey, 'a non-empty string');
  }
  const baseURL = optionalString('baseURL', options.baseURL);
  const environmentKey = process.env.ANTHROPIC_API_KEY;
  const apiKey = options.apiKey ?? (environmentKey === '' ? undefined : environmentKey);
  if (apiKey === undefined) {
    throw new ConfigError('apiKey', undefined, 'an API key: pass `apiKey`, set ANTHROPIC_API_KEY, or pass `client`');
  }
  let pending: Promise<Anthropic> | undefined;
  const build = async (): Promise<Anthropic> => {
    let module: typeof import('@anthropic-ai/sdk');
    try {
      module = await import('@anthropic-ai/sdk');
    } catch (error) {
      throw missingPackage('client', '@anthropic-ai/sdk', error);
    }
    // Our transport retries; SDK retries would multiply the attempts.
    return new module.Anthropic({ apiKey, ...(baseURL === undefined ? {} : { baseURL }), maxRetries: 0 });
  };
  return {
    client: () => {
      pending ??= build().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    secrets: createSecrets([apiKey]),
  };
}

/**
 * The wire request: system messages go to the top-level `system`, the last block
 * of message `cachePrefixLength - 1` gets an ephemeral cache breakpoint, and a
 * schema (already `toAnthropicSchema`'d) goes to `output_config.format`.
 */
export function buildBody(
  model: string,
  request: SampleRequest,
  maxOutputTokens: number,
  wireSchema: Record<string, unknown> | undefined,
): MessageCreateParamsNonStreaming {
  const prefix = request.cachePrefixLength ?? 0;
  if (!Number.isInteger(prefix) || prefix < 0) {
    throw new ConfigError('cachePrefixLength', request.cachePrefixLength, 'an integer >= 0');
  }
  const breakpoint = Math.min(prefix, request.messages.length) - 1;
  const system: TextBlockParam[] = [];
  const messages: MessageParam[] = [];
  request.messages.forEach((message, index) => {
    const cached = index === breakpoint;
    if (message.role === 'system') {
      system.push(cached ? { type: 'text', text: message.content, cache_control: EPHEMERAL } : { type: 'text', text: message.content });
    } else {
      messages.push({
        role: message.role,
        content: cached ? [{ type: 'text', text: message.content, cache_control: EPHEMERAL }] : message.content,
      });
    }
  });
  if (messages.length === 0) {
    throw new ConfigError('messages', request.messages, 'at least one user or assistant message (Anthropic needs one)');
  }
  const body: MessageCreateParamsNonStreaming = { model, max_tokens: request.maxOutputTokens ?? maxOutputTokens, messages };
  if (system.length > 0) body.system = system;
  if (wireSchema !== undefined) body.output_config = { format: { type: 'json_schema', schema: wireSchema } };
  return body;
}

/** String formats Anthropic structured output supports (the SDK's list). */
const SUPPORTED_STRING_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);

/**
 * The JSON Schema subset Anthropic structured output accepts, built as
 * `@anthropic-ai/sdk`'s `transformJSONSchema` does: every object closed
 * (`additionalProperties: false`), `oneOf` sent as `anyOf`, and every keyword
 * it rejects (`minimum`, `maxLength`, `pattern`, `minItems` above 1, an
 * unsupported `format`, ...) moved into the field's `description` as
 * `{minimum: 0, maximum: 23}`, so the model still reads the limit. `undefined`
 * when a field has no type (z.any(), z.unknown()), which the API cannot express.
 */
export function toAnthropicSchema(schema: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  try {
    return transformSchema({ ...schema });
  } catch (error) {
    if (error instanceof UntypedSchemaError) return undefined;
    throw error;
  }
}

class UntypedSchemaError extends Error {}

/** Transforms one node; `rest` is a shallow copy whose handled keywords are deleted as they are read. */
function transformSchema(rest: Record<string, unknown>): Record<string, unknown> {
  const take = (keyword: string): unknown => {
    const value = rest[keyword];
    delete rest[keyword];
    return value;
  };
  const child = (value: unknown): Record<string, unknown> =>
    transformSchema(typeof value === 'object' && value !== null ? { ...(value as Record<string, unknown>) } : {});
  const result: Record<string, unknown> = {};
  const definitions = take('$defs');
  if (typeof definitions === 'object' && definitions !== null) {
    result.$defs = Object.fromEntries(Object.entries(definitions).map(([key, value]) => [key, child(value)]));
  }
  const reference = take('$ref');
  if (reference !== undefined) return { ...result, $ref: reference };
  const isPrimitive = (value: unknown): boolean => value === null || typeof value !== 'object';
  if (Array.isArray(rest.enum) && rest.enum.length > 0 && rest.enum.every(isPrimitive)) result.enum = take('enum');
  if (rest.const !== undefined && isPrimitive(rest.const)) result.const = take('const');
  const literal = 'enum' in result || 'const' in result;
  const declaredType = take('type');
  const type = literal ? undefined : declaredType;
  const anyOf = take('anyOf');
  const oneOf = take('oneOf');
  const allOf = take('allOf');
  take('$schema');
  if (Array.isArray(anyOf)) result.anyOf = anyOf.map(child);
  else if (Array.isArray(oneOf)) result.anyOf = oneOf.map(child);
  else if (Array.isArray(allOf)) result.allOf = allOf.map(child);
  else if (!literal) {
    if (type === undefined) throw new UntypedSchemaError();
    result.type = type;
  }
  const description = take('description');
  if (description !== undefined) result.description = description;
  const title = take('title');
  if (title !== undefined) result.title = title;
  if (type === 'object') {
    const properties = take('properties');
    result.properties = Object.fromEntries(
      Object.entries(typeof properties === 'object' && properties !== null ? properties : {}).map(([key, value]) => [key, child(value)]),
    );
    take('additionalProperties');
    result.additionalProperties = false;
    const required = take('required');
    if (required !== undefined) result.required = required;
  } else if (type === 'string') {
    if (typeof rest.format === 'string' && SUPPORTED_STRING_FORMATS.has(rest.format)) result.format = take('format');
  } else if (type === 'array') {
    const items = take('items');
    if (items !== undefined) result.items = child(items);
    if (rest.minItems === 0 || rest.minItems === 1) result.minItems = take('minItems');
  }
  const dropped = Object.entries(rest);
  if (dropped.length > 0) {
    const limits = `{${dropped.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')}}`;
    const described = typeof result.description === 'string' && result.description !== '';
    result.description = described ? `${String(result.description)}\n\n${limits}` : limits;
  }
  return result;
}

function validateMessage(name: string, message: WireResponse): WireResponse {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    throw malformedResponse(name, 'no `content` array');
  }
  return message;
}

async function toCompletion<Output>(
  schema: OutputSchema<Output> | undefined,
  message: WireResponse,
): Promise<Completion<Output>> {
  const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const base = { text, ...(message.stop_reason ? { finishReason: message.stop_reason } : {}) };
  // A refusal is a failed sample even when it carries partial text; the text stays for the journal.
  if (message.stop_reason === 'refusal') return { ...base, error: 'The model refused to answer (stop_reason: refusal).' };
  return { ...base, ...(await parseCompletion(schema, text)) };
}

/**
 * Usage of one Messages response. Anthropic's `input_tokens` excludes cache
 * reads and writes; they are added so `inputTokens` counts every prompt token.
 */
export function usageOf(usage: WireUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return {
    requests: 1,
    inputTokens: (usage.input_tokens ?? 0) + cacheRead + cacheWrite,
    cachedInputTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: usage.output_tokens ?? 0,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens ?? 0,
  };
}
