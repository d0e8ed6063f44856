import type { OpenAI } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { ProviderError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import { costIn, type PriceTable } from '../core/pricing.js';
import { hash32 } from '../core/random.js';
import { zeroUsage, type Usage } from '../core/usage.js';
import type { Warning } from '../core/warnings.js';
import {
  isStrictCompatible,
  malformedResponse,
  missingUsageWarning,
  parseCompletion,
  rateLimitTokens,
  requireString,
  schemaFor,
  sdkTimeout,
  validateSampleOptions,
  type OutputSchema,
} from './shared.js';
import type { BatchCarrier, Completion, FineTuning, Provider, ProviderCapabilities, RequestOptions, SampleRequest, SampleResponse } from './spec.js';
import { prefixMemo } from './prompt-prefix.js';
import type { RequestTag, Secrets } from './transport/credentials.js';
import type { Transport } from './transport/transport.js';

// The Chat Completions wire, shared by `openai` and `openaiCompatible`: one request for `n` choices.

/** Which field carries the completion-token limit: newer OpenAI models need `max_completion_tokens`. */
type MaxTokensField = 'max_completion_tokens' | 'max_tokens';

/** Internal configuration shared by `openai` and `openaiCompatible`. */
export interface ChatCompletionsConfig<Output> {
  readonly name: string;
  readonly model: string;
  readonly client: () => Promise<OpenAI>;
  readonly secrets: Secrets;
  /** Starts recording the credentials one request carries, for a user's client that can do it. */
  readonly tagRequest?: (() => RequestTag) | undefined;
  readonly transport: Transport;
  readonly logprobs: boolean;
  readonly schema: OutputSchema<Output> | undefined;
  readonly schemaName: string;
  readonly prices: PriceTable;
  readonly maxTokensField: MaxTokensField;
  /** Send a `prompt_cache_key` derived from the cached prefix (OpenAI routes equal keys to warm caches). */
  readonly promptCacheKey: boolean;
  readonly capabilities: ProviderCapabilities;
  /** The platform's fine-tuning API (`openai` has one). @default none */
  readonly fineTuning?: FineTuning | undefined;
  /** Batch mode: builds the carrier from the wire. @default live only */
  readonly batch?: ((wire: ChatCompletionsWire) => BatchCarrier) | undefined;
}

/** What a batch carrier needs of the Chat Completions wire: request bodies, and responses read the way live ones are. */
export interface ChatCompletionsWire {
  readonly name: string;
  readonly model: string;
  readonly client: () => Promise<OpenAI>;
  readonly transport: Transport;
  readonly secrets: Secrets;
  /** The body of a request for `n` completions, as `sample` sends it. */
  body(request: SampleRequest, n: number): ChatCompletionCreateParamsNonStreaming;
  /** A response body read as `sample` reads it; priced at batch prices with `batch`. */
  read(completion: ChatCompletion, request: SampleRequest, n: number, batch: boolean): Promise<SampleResponse>;
}

/** The provider behind `openai` and `openaiCompatible`. */
export function createChatCompletionsProvider<Output>(config: ChatCompletionsConfig<Output>): Provider<Output> {
  const { name, model, transport, secrets } = config;
  const compiledSchemas = new WeakMap<object, OutputSchema<unknown> | null>();
  const cacheKeys = prefixMemo(promptCacheKey);

  const priced = (usage: Usage, usageMissing: boolean, responseModel: string, warnings: Warning[], batch = false): number | null => {
    if (usageMissing) {
      warnings.push(missingUsageWarning);
      return null;
    }
    return costIn(config.prices, model, usage, batch) ?? costIn(config.prices, responseModel, usage, batch);
  };

  /** A Chat Completions response as pauper's, priced at batch prices for a batch's entry. */
  const readResponse = async (completion: ChatCompletion, n: number, schema: OutputSchema<Output> | undefined, batch: boolean): Promise<SampleResponse<Output>> => {
    const warnings: Warning[] = [];
    const usageMissing = typeof completion.usage !== 'object' || completion.usage === null;
    // Some compatible servers omit `model`; the configured one then prices the usage.
    const responseModel = typeof completion.model === 'string' ? completion.model : model;
    const usage = usageOf(completion);
    const costUsd = priced(usage, usageMissing, responseModel, warnings, batch);
    if (!Array.isArray(completion.choices) || completion.choices.length === 0) {
      // Not a short answer to top up: asking again would likely pay for the same nothing.
      throw new ProviderError(
        `${name} answered with no choices (\`choices: []\`). Check that the model is served and that the request is one it accepts; not retried.`,
        { provider: name, isRetryable: false, paid: { usage, costUsd } },
      );
    }
    // A live response says when the provider's rate limits hold requests back; a batch's has no say.
    const paced = batch ? undefined : transport.pacing?.warning();
    if (paced !== undefined) warnings.push(paced);
    const choices = inIndexOrder(completion.choices).slice(0, n);
    // Without a schema nothing is parsed: no promise per choice.
    const completions =
      schema === undefined
        ? choices.map((choice) => toCompletion<Output>(choice))
        : await Promise.all(choices.map(async (choice) => parsed(schema, toCompletion<Output>(choice))));
    return response(completions, usage, costUsd, warnings);
  };

  const wire: ChatCompletionsWire = {
    name,
    model,
    client: config.client,
    transport,
    secrets,
    body: (request, n) => buildBody(config, schemaFor(config.schema, request.schema, compiledSchemas) as OutputSchema<Output> | undefined, request, n, cacheKeys),
    read: (completion, request, n, batch) => {
      const schema = schemaFor(config.schema, request.schema, compiledSchemas) as OutputSchema<Output> | undefined;
      return readResponse(validateCompletion(name, completion), n, schema, batch);
    },
  };
  const batch = config.batch?.(wire);
  return {
    name,
    model,
    capabilities: config.capabilities,
    ...(batch === undefined ? {} : { batch }),
    prices: config.prices,
    ...(config.fineTuning === undefined ? {} : { fineTuning: config.fineTuning }),
    withModel: (next: string) => createChatCompletionsProvider({ ...config, model: requireString('model', next) }),
    // One request for `n` choices. A short response is returned as it is: the request planner
    // tops it up, and a server that answers `n > 1` with one choice is fanned out from then on.
    async sample(request: SampleRequest, options: RequestOptions): Promise<SampleResponse<Output>> {
      validateSampleOptions(options, name, config.capabilities);
      const { n, signal } = options;
      const warnings: Warning[] = [];
      if (n === 0) return { completions: [], usage: zeroUsage, costUsd: priced(zeroUsage, false, model, warnings) };
      const client = await config.client();
      const schema = schemaFor(config.schema, request.schema, compiledSchemas) as OutputSchema<Output> | undefined;
      const body = buildBody(config, schema, request, n, cacheKeys);
      const tag = config.tagRequest?.();
      let completion: ChatCompletion;
      try {
        completion = await transport.send(
          (attemptSignal) =>
            client.chat.completions
              .create(body, {
                signal: attemptSignal,
                maxRetries: 0,
                timeout: sdkTimeout(transport),
                ...(tag === undefined ? {} : { headers: tag.headers }),
              })
              .then((created) => validateCompletion(name, created)),
          {
            provider: name,
            ...(signal === undefined ? {} : { signal }),
            estimatedTokens: rateLimitTokens(request.messages, request.maxOutputTokens, n),
            estimatedOutputTokens: (request.maxOutputTokens ?? 0) * n,
            secrets: tag === undefined ? secrets : () => [...secrets(), ...tag.values],
          },
        );
      } finally {
        tag?.end();
      }
      return readResponse(completion, n, schema, false);
    },
  };
}

function response<Output>(
  completions: Completion<Output>[],
  usage: Usage,
  costUsd: number | null,
  warnings: readonly Warning[],
): SampleResponse<Output> {
  return warnings.length === 0 ? { completions, usage, costUsd } : { completions, usage, costUsd, warnings };
}

/** The `prompt_cache_key` of a prompt's cached prefix: OpenAI routes requests with equal keys to the same warm cache. */
function promptCacheKey(prefix: readonly Message[]): string {
  return `pauper-${hash32(JSON.stringify(prefix)).toString(16).padStart(8, '0')}`;
}

function buildBody<Output>(
  config: ChatCompletionsConfig<Output>,
  schema: OutputSchema<Output> | undefined,
  request: SampleRequest,
  n: number,
  cacheKeys: (messages: readonly Message[], length: number) => string,
): ChatCompletionCreateParamsNonStreaming {
  const body: ChatCompletionCreateParamsNonStreaming = {
    model: config.model,
    messages: request.messages.map(toWireMessage),
  };
  if (n !== 1) body.n = n;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.maxOutputTokens !== undefined) body[config.maxTokensField] = request.maxOutputTokens;
  if (config.logprobs) body.logprobs = true;
  if (schema !== undefined) {
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: config.schemaName,
        schema: schema.jsonSchema,
        strict: isStrictCompatible(schema.jsonSchema),
      },
    };
  }
  const prefix = request.cachePrefixLength ?? 0;
  if (config.promptCacheKey && prefix > 0) body.prompt_cache_key = cacheKeys(request.messages, prefix);
  return body;
}

function toWireMessage(message: Message): ChatCompletionMessageParam {
  return { role: message.role, content: message.content };
}

/** The choices by `index`; servers send them in order, so they are copied and sorted only when they are not. */
function inIndexOrder(choices: readonly ChatCompletion.Choice[]): readonly ChatCompletion.Choice[] {
  for (let i = 1; i < choices.length; i++) {
    if ((choices[i - 1] as ChatCompletion.Choice).index > (choices[i] as ChatCompletion.Choice).index) {
      return [...choices].sort((a, b) => a.index - b.index);
    }
  }
  return choices;
}

function validateCompletion(name: string, completion: ChatCompletion): ChatCompletion {
  if (typeof completion !== 'object' || completion === null || !Array.isArray(completion.choices)) {
    throw malformedResponse(name, 'no `choices` array');
  }
  return completion;
}

/** One choice as a completion, before any schema: built field by field (spreads here cost a few µs a choice). */
function toCompletion<Output>(choice: ChatCompletion.Choice): Completion<Output> {
  const completion: { -readonly [K in keyof Completion<Output>]: Completion<Output>[K] } = { text: choice.message?.content ?? '' };
  if (choice.finish_reason) completion.finishReason = choice.finish_reason;
  const logprob = meanLogprob(choice.logprobs?.content ?? null);
  if (logprob !== undefined) completion.logprob = logprob;
  const refusal = choice.message?.refusal;
  // A refusal is a failed sample even when it carries partial text; the text stays for the journal.
  if (typeof refusal === 'string' && refusal !== '') completion.error = `The model refused: ${refusal}`;
  return completion;
}

/** A completion decoded against the schema; a refusal is left as it is. */
async function parsed<Output>(schema: OutputSchema<Output>, completion: Completion<Output>): Promise<Completion<Output>> {
  if (completion.error !== undefined) return completion;
  return { ...completion, ...(await parseCompletion(schema, completion.text)) };
}

function meanLogprob(tokens: readonly { logprob: number }[] | null): number | undefined {
  if (tokens === null || tokens.length === 0) return undefined;
  return tokens.reduce((sum, token) => sum + token.logprob, 0) / tokens.length;
}

/**
 * Usage of one Chat Completions response; `prompt_tokens` already includes cached
 * tokens. A response without `usage` counts one request and no tokens.
 */
export function usageOf(completion: Pick<ChatCompletion, 'usage'>): Usage {
  const usage = completion.usage;
  if (usage === undefined || usage === null) return { ...zeroUsage, requests: 1 };
  return {
    requests: 1,
    inputTokens: usage.prompt_tokens ?? 0,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
