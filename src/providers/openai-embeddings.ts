import type { Embedder } from '../core/embedding.js';
import { ConfigError } from '../core/errors.js';
import { costIn } from '../core/pricing.js';
import { zeroUsage } from '../core/usage.js';
import { resolveOpenAIClient, type OpenAIOptions } from './openai.js';
import { malformedResponse, requireString, resolvePrices, resolveTransport, sdkTimeout } from './shared.js';

/** Options of `openaiEmbeddings`: the `openai` provider's client, key, transport and prices options. */
export interface OpenAIEmbeddingsOptions extends Pick<OpenAIOptions, 'client' | 'apiKey' | 'baseURL' | 'prices' | 'maxRetries' | 'timeout' | 'requestsPerMinute' | 'tokensPerMinute' | 'transport'> {
  /** Embedding model. @default 'text-embedding-3-small' */
  readonly model?: string;
  /** Length of the vectors, for models that can shorten them (`text-embedding-3-*`). @default the model's own */
  readonly dimensions?: number;
  /** Most texts per request (the API takes up to 2,048). @default 256 */
  readonly batchSize?: number;
}

/** The embeddings response fields read; the rest is ignored. */
interface EmbeddingsResponse {
  readonly data?: readonly { readonly index?: number; readonly embedding?: unknown }[];
  readonly model?: string;
  readonly usage?: { readonly prompt_tokens?: number };
}

/**
 * OpenAI's embeddings endpoint (`/v1/embeddings`) through the official SDK, the key, retries and
 * prices of the `openai` provider: each call's tokens are priced at the model's input price
 * (`text-embedding-3-small`: $0.02 a million) and reported as the run's embedder spend.
 * @example
 * const fold = nearest(4, { embed: openaiEmbeddings({ model: 'text-embedding-3-small' }) });
 */
export function openaiEmbeddings(options: OpenAIEmbeddingsOptions = {}): Embedder {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', options, 'an options object');
  const model = requireString('model', options.model ?? 'text-embedding-3-small');
  const { dimensions, batchSize = 256 } = options;
  if (dimensions !== undefined && (!Number.isInteger(dimensions) || dimensions < 1)) throw new ConfigError('dimensions', dimensions, 'an integer of at least 1');
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2048) throw new ConfigError('batchSize', batchSize, 'an integer from 1 to 2048');
  const transport = resolveTransport(options);
  const { client, secrets } = resolveOpenAIClient(options, { envKey: 'OPENAI_API_KEY', requireKey: true, defaultKey: undefined }, transport.pacing);
  const prices = resolvePrices(options.prices);
  return {
    name: 'openai',
    model,
    batchSize,
    async embed(texts, { signal }) {
      const sdk = await client();
      const body = { model, input: [...texts], encoding_format: 'float' as const, ...(dimensions === undefined ? {} : { dimensions }) };
      const response = await transport.send(
        (attemptSignal) => sdk.embeddings.create(body, { signal: attemptSignal, maxRetries: 0, timeout: sdkTimeout(transport) }) as Promise<EmbeddingsResponse>,
        { provider: 'openai', signal, estimatedTokens: texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0), secrets },
      );
      const data = [...(response.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length !== texts.length || !data.every((item) => Array.isArray(item.embedding))) {
        throw malformedResponse('openai', `the embeddings response has ${data.length} vectors for ${texts.length} texts`);
      }
      const usage = { ...zeroUsage, requests: 1, inputTokens: response.usage?.prompt_tokens ?? 0 };
      return { vectors: data.map((item) => item.embedding as number[]), usage, costUsd: costIn(prices, model, usage) };
    },
  };
}
