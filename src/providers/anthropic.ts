import type { Anthropic, Middleware } from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages/messages';
import type { ZodType } from 'zod';
import { ConfigError } from '../core/errors.js';
import { anthropicCacheRates, costIn } from '../core/pricing.js';
import type { Completion, Provider, RequestOptions, SampleRequest, SampleResponse } from './spec.js';
import { zeroUsage, type Usage } from '../core/usage.js';
import type { Warning } from '../core/warnings.js';
import { buildBody, cachedPrefixKey, toCompletion, usageOf, validateMessage } from './anthropic-messages.js';
import { toAnthropicSchema } from './anthropic-schema.js';
import { anthropicBatch } from './anthropic-batch.js';
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import { createCacheWarmer } from './cache-warmer.js';
import { prefixMemo } from './prompt-prefix.js';
import { importAnthropic } from './sdk-modules.js';
import type { Transport } from './transport/transport.js';
import { createSecrets, missingKey, recordCredentials, requestCredentials, type Secrets } from './transport/credentials.js';
import { pacingMiddleware } from './transport/response-headers.js';
import {
  compileSchema,
  loadedOnce,
  missingUsageWarning,
  rateLimitTokens,
  optionalString,
  requireString,
  resolvePrices,
  resolveTransport,
  sdkTimeout,
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
  /**
   * Batch mode: a run's requests go out as Message Batches (half price, its own quota, results
   * within 24 hours), all of an iteration at once, each keeping the cache breakpoint on the example
   * prefix; `sample` stays live. `true`, or `BatchOptions` for polling and failed entries. See docs/batch.md.
   * @default false
   */
  readonly batch?: boolean | BatchOptions;
}


/** What sending one Messages request needs. */
interface MessagesWire {
  readonly name: string;
  readonly model: string;
  readonly client: () => Promise<Anthropic>;
  readonly secrets: Secrets;
  readonly transport: Transport;
  /** Hands each response's headers to the transport's pacing. */
  readonly paced: Middleware | undefined;
}

/** Sends one Messages request through the transport and reads its completion and usage. */
async function createMessage<Output>(
  wire: MessagesWire,
  body: MessageCreateParamsNonStreaming,
  schema: OutputSchema<Output> | undefined,
  estimatedTokens: number,
  signal: AbortSignal | undefined,
): Promise<{ completion: Completion<Output>; usage: Usage; usageMissing: boolean; model: string }> {
  const { name, transport } = wire;
  const sdk = await wire.client();
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
          middleware: wire.paced === undefined ? [recordCredentials(sent.observe)] : [recordCredentials(sent.observe), wire.paced],
        })
        .then((response) => validateMessage(name, response)),
    {
      provider: name,
      ...(signal === undefined ? {} : { signal }),
      estimatedTokens,
      estimatedOutputTokens: body.max_tokens,
      secrets: () => [...wire.secrets(), ...sent.values],
    },
  );
  const usageMissing = typeof message.usage !== 'object' || message.usage === null;
  return {
    completion: await toCompletion(schema, message),
    usage: usageMissing ? { ...zeroUsage, requests: 1 } : usageOf(message.usage),
    usageMissing,
    model: typeof message.model === 'string' ? message.model : wire.model,
  };
}

/** Each output schema transformed for the wire once, not per request. */
function wireSchemas(): (schema: OutputSchema<unknown> | undefined) => Record<string, unknown> | undefined {
  const transformed = new WeakMap<OutputSchema<unknown>, Record<string, unknown> | undefined>();
  return (schema) => {
    if (schema === undefined) return undefined;
    if (!transformed.has(schema)) transformed.set(schema, toAnthropicSchema(schema.jsonSchema));
    return transformed.get(schema);
  };
}

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
  const renamed = (options as { maxTokens?: unknown }).maxTokens;
  if (renamed !== undefined) throw new ConfigError('maxTokens', renamed, 'no `maxTokens`: the output cap is `maxOutputTokens`');
  const maxOutputTokens = options.maxOutputTokens ?? 1024;
  if (!Number.isInteger(maxOutputTokens) || maxOutputTokens < 1) {
    throw new ConfigError('maxOutputTokens', options.maxOutputTokens, 'an integer >= 1');
  }
  const { client, secrets } = resolveAnthropicClient(options);
  const transport = resolveTransport(options);
  const schema = compileSchema('schema', options.schema);
  const wireSchemaOf = wireSchemas();
  // Hashed once per prefix, not once per request: the requests of an iteration share it.
  const prefixKey = prefixMemo((prefix) => cachedPrefixKey(model, prefix));
  if (schema !== undefined && wireSchemaOf(schema) === undefined) {
    throw new ConfigError(
      'schema',
      options.schema,
      'a zod object schema whose every field has a type (Anthropic structured output cannot express z.any() or z.unknown())',
    );
  }
  const prices = resolvePrices(options.prices, anthropicCacheRates);
  const warmCache = options.warmCache ?? true;
  if (typeof warmCache !== 'boolean') throw new ConfigError('warmCache', warmCache, 'true or false');
  const warmer = createCacheWarmer();
  let temperatureWarned = false;
  const compiledSchemas = new WeakMap<object, OutputSchema<unknown> | null>();
  const wire: MessagesWire = {
    name,
    model,
    client,
    secrets,
    transport,
    paced: transport.pacing === undefined ? undefined : pacingMiddleware(transport.pacing),
  };

  const capabilities = Object.freeze({ nativeN: false, temperature: false, seed: false, promptCaching: true, batch: true });
  const schemaOf = (request: SampleRequest) => schemaFor(schema, request.schema, compiledSchemas) as OutputSchema<Output> | undefined;
  const batchSettings = resolveBatchOptions(options.batch);
  const batch =
    batchSettings === undefined
      ? undefined
      : anthropicBatch(
          {
            name,
            client,
            transport,
            secrets,
            body: (request) => buildBody(model, request, maxOutputTokens, wireSchemaOf(schemaOf(request))),
            read: async (message, request) => {
              const checked = validateMessage(name, message);
              const usageMissing = typeof checked.usage !== 'object' || checked.usage === null;
              const usage = usageMissing ? { ...zeroUsage, requests: 1 } : usageOf(checked.usage);
              const responseModel = typeof checked.model === 'string' ? checked.model : model;
              const costUsd = usageMissing ? null : (costIn(prices, model, usage, true) ?? costIn(prices, responseModel, usage, true));
              const completions = [await toCompletion(schemaOf(request), checked)];
              return usageMissing ? { completions, usage, costUsd, warnings: [missingUsageWarning] } : { completions, usage, costUsd };
            },
          },
          batchSettings,
        );
  return {
    name,
    model,
    capabilities,
    prices,
    ...(batch === undefined ? {} : { batch }),
    // One request, one completion: N samples are N requests, planned by `sample`.
    async sample(request: SampleRequest, sampleOptions: RequestOptions): Promise<SampleResponse<Output>> {
      validateSampleOptions(sampleOptions, name, capabilities);
      const { n, signal } = sampleOptions;
      if (n === 0) return { completions: [], usage: zeroUsage, costUsd: costIn(prices, model, zeroUsage) };
      const requestSchema = schemaFor(schema, request.schema, compiledSchemas) as OutputSchema<Output> | undefined;
      const body = buildBody(model, request, maxOutputTokens, wireSchemaOf(requestSchema));
      const estimatedTokens = rateLimitTokens(request.messages, body.max_tokens, 1);
      const prefix = warmCache ? prefixKey(request.messages, request.cachePrefixLength ?? 0) : undefined;
      const result = await warmer.send(prefix, signal, () => createMessage(wire, body, requestSchema, estimatedTokens, signal));
      const warnings: Warning[] = [];
      if (request.temperature !== undefined && !temperatureWarned) {
        temperatureWarned = true;
        warnings.push({ code: 'parameter-ignored', message: 'the Messages API of @anthropic-ai/sdk 1.x has no `temperature`; it was ignored.' });
      }
      if (result.usageMissing) warnings.push(missingUsageWarning);
      const paced = transport.pacing?.warning();
      if (paced !== undefined) warnings.push(paced);
      const costUsd = result.usageMissing
        ? null
        : (costIn(prices, model, result.usage) ?? costIn(prices, result.model, result.usage));
      const completions = [result.completion];
      return warnings.length === 0
        ? { completions, usage: result.usage, costUsd }
        : { completions, usage: result.usage, costUsd, warnings };
    },
  };
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
  const build = async (): Promise<Anthropic> => {
    // Checked at the first request, before anything is sent: a provider without a key still serves `estimate()`.
    if (apiKey === undefined) throw missingKey('ANTHROPIC_API_KEY');
    const module = await importAnthropic();
    // Our transport retries; SDK retries would multiply the attempts.
    return new module.Anthropic({ apiKey, ...(baseURL === undefined ? {} : { baseURL }), maxRetries: 0 });
  };
  return {
    client: loadedOnce(build),
    secrets: createSecrets([apiKey]),
  };
}

