import type { Anthropic } from '@anthropic-ai/sdk';
import type {
  Message as WireResponse,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  Usage as WireUsage,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { ZodType } from 'zod';
import { ConfigError } from '../errors.js';
import { costOf } from '../pricing.js';
import type { Completion, Provider, SampleOptions, SampleRequest, SampleResponse } from '../provider.js';
import { addUsage, zeroUsage, type Usage } from '../usage.js';
import { sdkTimeout } from './openai.js';
import {
  compileSchema,
  estimateTokens,
  malformedResponse,
  missingPackage,
  optionalString,
  parseCompletion,
  partialFailureWarning,
  requireString,
  resolvePrices,
  resolveTransport,
  schemaFor,
  settle,
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
  readonly maxTokens?: number;
  /**
   * Output schema (a zod 4 object), sent as `output_config.format`; each
   * completion is parsed into `Completion.parsed`.
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
  const maxTokens = options.maxTokens ?? 1024;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new ConfigError('maxTokens', options.maxTokens, 'an integer >= 1');
  }
  const { client, secrets } = resolveAnthropicClient(options);
  const transport = resolveTransport(options);
  const schema = compileSchema('schema', options.schema);
  const prices = resolvePrices(options.prices);
  let temperatureWarned = false;

  const compiledSchemas = new WeakMap<object, OutputSchema<unknown> | null>();
  const call = async (
    body: MessageCreateParamsNonStreaming,
    schema: OutputSchema<Output> | undefined,
    estimatedTokens: number,
    signal: AbortSignal | undefined,
  ): Promise<{ completion: Completion<Output>; usage: Usage; model: string }> => {
    const sdk = await client();
    const message = await transport.send(
      (attemptSignal) =>
        sdk.messages
          .create(body, { signal: attemptSignal, maxRetries: 0, timeout: sdkTimeout(transport) })
          .then((response) => validateMessage(name, response)),
      { provider: name, ...(signal === undefined ? {} : { signal }), estimatedTokens, secrets },
    );
    const responseModel = typeof message.model === 'string' ? message.model : model;
    return { completion: await toCompletion(schema, message), usage: usageOf(message.usage), model: responseModel };
  };

  return {
    name,
    model,
    capabilities: Object.freeze({ nativeN: false, temperature: false, seed: false, promptCaching: true, batch: true }),
    async sample(request: SampleRequest, sampleOptions: SampleOptions): Promise<SampleResponse<Output>> {
      validateSampleOptions(sampleOptions);
      const { n, signal } = sampleOptions;
      const priceOptions = prices === undefined ? {} : { prices };
      if (n === 0) return { completions: [], usage: zeroUsage, costUsd: costOf(model, zeroUsage, priceOptions) };
      const requestSchema = schemaFor(schema, request.schema, compiledSchemas) as OutputSchema<Output> | undefined;
      const body = buildBody(model, request, maxTokens, requestSchema);
      const estimatedTokens = estimateTokens(request.messages, body.max_tokens, 1);
      const { values, errors } = await settle(
        Array.from({ length: n }, () => call(body, requestSchema, estimatedTokens, signal)),
      );
      const warnings: string[] = [];
      const failures = partialFailureWarning(errors, n, signal);
      if (failures !== undefined) warnings.push(failures);
      if (request.temperature !== undefined && !temperatureWarned) {
        temperatureWarned = true;
        warnings.push('the Messages API of @anthropic-ai/sdk 1.x has no `temperature`; it was ignored.');
      }
      const usage = addUsage(...values.map((value) => value.usage));
      const costUsd = costOf(model, usage, priceOptions) ?? costOf(values[0]?.model ?? model, usage, priceOptions);
      const completions = values.map((value) => value.completion);
      return warnings.length === 0 ? { completions, usage, costUsd } : { completions, usage, costUsd, warnings };
    },
  };
}

function resolveAnthropicClient(options: AnthropicOptions<unknown>): {
  client: () => Promise<Anthropic>;
  secrets: readonly string[];
} {
  const { client } = options;
  if (client !== undefined) {
    if (typeof client !== 'object' || client === null || typeof client.messages?.create !== 'function') {
      // The value is not echoed: a mistaken object may hold a key.
      throw new ConfigError('client', `a ${typeof client} without messages.create`, 'an Anthropic client (new Anthropic(...))');
    }
    if (options.apiKey !== undefined) throw new ConfigError('apiKey', '[redacted]', 'nothing when `client` is given');
    if (options.baseURL !== undefined) throw new ConfigError('baseURL', options.baseURL, 'nothing when `client` is given');
    const key = typeof client.apiKey === 'string' ? client.apiKey : undefined;
    // Checked above to have messages.create; responses are validated per request.
    const sdk = client as unknown as Anthropic;
    return { client: () => Promise.resolve(sdk), secrets: key === undefined ? [] : [key] };
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
    secrets: [apiKey],
  };
}

/**
 * The wire request: system messages go to the top-level `system`, and the
 * last block of message `cachePrefixLength - 1` gets an ephemeral cache breakpoint.
 */
export function buildBody(
  model: string,
  request: SampleRequest,
  maxTokens: number,
  schema: OutputSchema<unknown> | undefined,
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
  const body: MessageCreateParamsNonStreaming = { model, max_tokens: request.maxTokens ?? maxTokens, messages };
  if (system.length > 0) body.system = system;
  if (schema !== undefined) body.output_config = { format: { type: 'json_schema', schema: schema.jsonSchema } };
  return body;
}

function validateMessage(name: string, message: WireResponse): WireResponse {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    throw malformedResponse(name, 'no `content` array');
  }
  if (typeof message.usage !== 'object' || message.usage === null) throw malformedResponse(name, 'no `usage`');
  return message;
}

async function toCompletion<Output>(
  schema: OutputSchema<Output> | undefined,
  message: WireResponse,
): Promise<Completion<Output>> {
  const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const base = { text, ...(message.stop_reason ? { finishReason: message.stop_reason } : {}) };
  if (message.stop_reason === 'refusal' && text === '') return { ...base, error: 'The model refused to answer.' };
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
