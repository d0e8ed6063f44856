import type { ZodType } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { Provider } from './spec.js';
import { batchFiles, resolveBatchFiles, type BatchFilesOptions } from './batch-files.js';
import { createChatCompletionsProvider } from './chat-completions.js';
import { resolveOpenAIClient } from './openai.js';
import {
  compileSchema,
  optionalString,
  requireString,
  resolvePrices,
  resolveTransport,
  validateBoolean,
  type ProviderTransportOptions,
} from './shared.js';

/** Options of `openaiCompatible`. */
export interface OpenAICompatibleOptions<Output = unknown> extends ProviderTransportOptions {
  /** Base URL of the server's OpenAI API, e.g. `http://localhost:8000/v1` (vLLM) or `http://localhost:11434/v1` (Ollama). */
  readonly baseURL: string;
  /** Model name as the server knows it. */
  readonly model: string;
  /**
   * API key, for servers started with one (vLLM `--api-key`). Never appears in errors.
   * @default 'not-needed'
   */
  readonly apiKey?: string;
  /**
   * Provider family reported in errors and events, e.g. `vllm` or `ollama`.
   * @default 'openai-compatible'
   */
  readonly name?: string;
  /**
   * Whether one request may ask for `n` completions (`capabilities.nativeN`). With `true`,
   * a server that answers `n > 1` with one choice is detected by the request planner
   * (`sample`, and so `iterate`), which fetches the rest one request each and fans out for
   * the rest of the run. `false` fans out from the start.
   * @default true
   */
  readonly nativeN?: boolean;
  /**
   * Field for the completion-token limit; older servers only know `max_tokens`.
   * @default 'max_tokens'
   */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /**
   * Request token log-probabilities; their mean goes to `Completion.logprob`.
   * @default false
   */
  readonly logprobs?: boolean;
  /**
   * Output schema (a zod 4 object), sent as a `json_schema` response format
   * (guided decoding on vLLM/SGLang); each completion is parsed into `Completion.parsed`.
   * @default no schema
   */
  readonly schema?: ZodType<Output>;
  /**
   * Name of the schema in the response format.
   * @default 'output'
   */
  readonly schemaName?: string;
  /**
   * Batch files for a cluster: each iteration's requests are written to `directory` as an OpenAI
   * batch input JSONL and the run stops with `BatchPendingError`; run the file (`vllm run-batch`),
   * put its output beside it (`<name>.output.jsonl`), and resume the run to read it. See docs/batch.md.
   * @default none (live requests to `baseURL`)
   */
  readonly batch?: BatchFilesOptions;
}

/**
 * An OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama) through
 * the `openai` SDK. Native `n` where the server honours it, one completion per request where not (`sample()` plans the requests).
 * @example
 * const provider = openaiCompatible({ baseURL: 'http://localhost:8000/v1', model: 'Qwen/Qwen3-8B' });
 */
export function openaiCompatible<Output = unknown>(options: OpenAICompatibleOptions<Output>): Provider<Output> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', options, 'an options object');
  const baseURL = requireString('baseURL', options.baseURL);
  if (!URL.canParse(baseURL) || !/^https?:$/.test(new URL(baseURL).protocol)) {
    throw new ConfigError('baseURL', baseURL, 'an absolute http(s) URL such as http://localhost:8000/v1');
  }
  const model = requireString('model', options.model);
  const name = optionalString('name', options.name) ?? 'openai-compatible';
  const maxTokensField = options.maxTokensField ?? 'max_tokens';
  if (maxTokensField !== 'max_tokens' && maxTokensField !== 'max_completion_tokens') {
    throw new ConfigError('maxTokensField', maxTokensField, "'max_tokens' or 'max_completion_tokens'");
  }
  const nativeN = validateBoolean('nativeN', options.nativeN, true);
  const files = resolveBatchFiles(options.batch);
  // Many servers send no rate-limit headers: no probe, so such a server is driven as hard as before.
  const transport = resolveTransport(options, { startConcurrency: Number.POSITIVE_INFINITY });
  const clientSetup = resolveOpenAIClient(
    { baseURL, ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) },
    { envKey: undefined, requireKey: false, defaultKey: 'not-needed' },
    transport.pacing,
  );
  const provider = createChatCompletionsProvider<Output>({
    name,
    model,
    ...clientSetup,
    transport,
    logprobs: validateBoolean('logprobs', options.logprobs, false),
    schema: compileSchema('schema', options.schema),
    schemaName: optionalString('schemaName', options.schemaName) ?? 'output',
    prices: resolvePrices(options.prices),
    maxTokensField,
    promptCacheKey: false,
    capabilities: Object.freeze({ nativeN, temperature: true, seed: true, promptCaching: true, batch: files !== undefined }),
    batch: files === undefined ? undefined : (wire) => batchFiles(wire, files),
  });
  if (options.prices !== undefined) return provider;
  // A self-hosted model has no list price: without `prices` its cost is unknown by design, not a
  // price the user forgot, so the provider declares no table (and the run does not warn about it).
  const { prices: _listPrices, ...unpriced } = provider;
  return unpriced;
}
