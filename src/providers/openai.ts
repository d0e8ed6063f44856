import type { OpenAI } from 'openai';
import type { ZodType } from 'zod';
import { ConfigError } from '../core/errors.js';
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import { createChatCompletionsProvider } from './chat-completions.js';
import { openaiFineTuning } from './openai-fine-tuning.js';
import { openaiBatch } from './openai-batch.js';
import {
  compileSchema,
  loadedOnce,
  optionalString,
  requireString,
  resolvePrices,
  resolveTransport,
  validateBoolean,
  type ProviderTransportOptions,
} from './shared.js';
import { importOpenAI } from './sdk-modules.js';
import type { Provider } from './spec.js';
import { createSecrets, missingKey, recordingCopy, type RequestTag, type Secrets } from './transport/credentials.js';
import type { Pacing } from './transport/pacing.js';
import { pacedFetch } from './transport/response-headers.js';

/**
 * The part of an `openai` SDK client the provider uses: `new OpenAI(...)` and
 * `new AzureOpenAI(...)` fit. Declared here so pauper's types never need the
 * `openai` package installed (it is an optional peer).
 */
export interface OpenAIClient {
  readonly apiKey?: unknown;
  readonly chat: {
    readonly completions: {
      create(body: object, options?: object): PromiseLike<unknown>;
    };
  };
}

/** Options of `openai`. */
export interface OpenAIOptions<Output = unknown> extends ProviderTransportOptions {
  /** Model id sent to the API, e.g. `gpt-4.1-mini`. */
  readonly model: string;
  /**
   * An SDK client you built (Azure, proxies, custom fetch). Its own retries are
   * turned off per request; `apiKey` and `baseURL` must then be omitted.
   * @default a client built from `apiKey` and `baseURL`
   */
  readonly client?: OpenAIClient;
  /**
   * API key. Never appears in errors.
   * @default process.env.OPENAI_API_KEY
   */
  readonly apiKey?: string;
  /**
   * API base URL.
   * @default the SDK's default (`OPENAI_BASE_URL` or https://api.openai.com/v1)
   */
  readonly baseURL?: string;
  /**
   * Request token log-probabilities; their mean goes to `Completion.logprob`.
   * @default false
   */
  readonly logprobs?: boolean;
  /**
   * Output schema (a zod 4 object): sent as a `json_schema` response format
   * (strict when the schema allows it); each completion is parsed into `Completion.parsed`.
   * @default no schema
   */
  readonly schema?: ZodType<Output>;
  /**
   * Name of the schema in the response format.
   * @default 'output'
   */
  readonly schemaName?: string;
  /**
   * Batch mode: a run's requests go out through the Batch API (half price, its own quota, results
   * within 24 hours), all of an iteration at once, bodies keeping native `n`; `sample` stays live.
   * `true`, or `BatchOptions` for polling and failed entries. See docs/batch.md.
   * @default false
   */
  readonly batch?: boolean | BatchOptions;
}

/**
 * OpenAI Chat Completions through the official `openai` SDK: native `n` (one
 * request, prompt billed once), temperature, seed, logprobs and structured output;
 * supervised fine-tuning for `iterate({ fineTune })`, and `withModel` to sample the result.
 * @example
 * const provider = openai({ model: 'gpt-4.1-mini' }); // key from OPENAI_API_KEY
 * const { completions } = await provider.sample({ messages: [user('Hi')] }, { n: 8 });
 */
export function openai<Output = unknown>(options: OpenAIOptions<Output>): Provider<Output> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', options, 'an options object');
  const model = requireString('model', options.model);
  const batchSettings = resolveBatchOptions(options.batch);
  const given = options.client as { files?: { create?: unknown }; batches?: { create?: unknown } } | undefined;
  if (batchSettings !== undefined && given !== undefined && (typeof given.files?.create !== 'function' || typeof given.batches?.create !== 'function')) {
    throw new ConfigError('batch', options.batch, 'no batch mode with a `client` that has no `files.create` and `batches.create` (an OpenAI SDK client has both)');
  }
  const transport = resolveTransport(options);
  const clientSetup = resolveOpenAIClient(
    options,
    { envKey: 'OPENAI_API_KEY', requireKey: true, defaultKey: undefined },
    transport.pacing,
  );
  return createChatCompletionsProvider<Output>({
    name: 'openai',
    model,
    ...clientSetup,
    transport,
    fineTuning: openaiFineTuning({ name: 'openai', client: clientSetup.client, transport, secrets: clientSetup.secrets }),
    logprobs: validateBoolean('logprobs', options.logprobs, false),
    schema: compileSchema('schema', options.schema),
    schemaName: optionalString('schemaName', options.schemaName) ?? 'output',
    prices: resolvePrices(options.prices),
    maxTokensField: 'max_completion_tokens',
    promptCacheKey: true,
    capabilities: Object.freeze({ nativeN: true, temperature: true, seed: true, promptCaching: true, batch: true }),
    batch: batchSettings === undefined ? undefined : (wire) => openaiBatch(wire, batchSettings),
  });
}

/** Settings that pick or build the SDK client. */
export interface OpenAIClientSettings {
  /** Environment variable holding the key, if any. */
  readonly envKey: string | undefined;
  readonly requireKey: boolean;
  readonly defaultKey: string | undefined;
}

/**
 * The client factory and the secrets to scrub; the client hands response headers to `pacing`
 * (the transport's) when given. Options are validated at creation; a missing
 * key is a `ConfigError` at the first request, before anything is sent, so a provider built
 * without one still serves `estimate()` and a run fails with that error, not a network error.
 */
export function resolveOpenAIClient(
  options: Pick<OpenAIOptions, 'client' | 'apiKey' | 'baseURL' | 'timeout'>,
  settings: OpenAIClientSettings,
  pacing: Pacing | undefined,
): { client: () => Promise<OpenAI>; secrets: Secrets; tagRequest?: () => RequestTag } {
  const { client } = options;
  if (client !== undefined) {
    if (typeof client !== 'object' || client === null || typeof client.chat?.completions?.create !== 'function') {
      // The value is not echoed: a mistaken object may hold a key.
      throw new ConfigError('client', `a ${typeof client} without chat.completions.create`, 'an OpenAI client (new OpenAI(...))');
    }
    if (options.apiKey !== undefined) throw new ConfigError('apiKey', '[redacted]', 'nothing when `client` is given');
    if (options.baseURL !== undefined) throw new ConfigError('baseURL', options.baseURL, 'nothing when `client` is given');
    // The key is read when an error is built: an `apiKey` function or Azure token provider sets it per request.
    const secrets = createSecrets([], client);
    const recording = recordingCopy(client, pacing);
    if (recording !== undefined) return { client: () => Promise.resolve(recording.sdk), secrets, tagRequest: recording.tag };
    // Checked above to have chat.completions.create; responses are validated per request.
    const sdk = client as unknown as OpenAI;
    return { client: () => Promise.resolve(sdk), secrets };
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new ConfigError('apiKey', typeof options.apiKey === 'string' ? '' : typeof options.apiKey, 'a non-empty string');
  }
  const baseURL = optionalString('baseURL', options.baseURL);
  const givenKey = options.apiKey ?? (settings.envKey === undefined ? undefined : nonEmpty(process.env[settings.envKey]));
  const apiKey = givenKey ?? settings.defaultKey;
  const build = async (): Promise<OpenAI> => {
    if (apiKey === undefined && settings.requireKey) throw missingKey(settings.envKey);
    const module = await importOpenAI();
    return new module.OpenAI({
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(baseURL === undefined ? {} : { baseURL }),
      // Our transport retries; SDK retries would multiply the attempts.
      maxRetries: 0,
      // The transport paces by the rate-limit headers of every response.
      ...(pacing === undefined ? {} : { fetch: pacedFetch(pacing) }),
    });
  };
  return {
    client: loadedOnce(build),
    secrets: createSecrets([givenKey]),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
