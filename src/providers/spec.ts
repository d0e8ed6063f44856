import type { StandardSchemaV1 } from '../core/schema.js';
import type { Message } from '../core/messages.js';
import type { PriceTable } from '../core/pricing.js';
import type { Usage } from '../core/usage.js';
import type { Warning } from '../core/warnings.js';

/** What a provider can do natively. The loop plans requests around it. */
export interface ProviderCapabilities {
  /** One request returns N completions (prompt tokens billed once). */
  readonly nativeN: boolean;
  /** The request's `temperature` is honoured. */
  readonly temperature: boolean;
  /** The request's `seed` is honoured (best effort on hosted APIs). */
  readonly seed: boolean;
  /** The provider caches a stable prompt prefix (see `SampleRequest.cachePrefixLength`). */
  readonly promptCaching: boolean;
  /** A batch API exists for this provider. */
  readonly batch: boolean;
}

/** One model call: the conversation so far and the sampling parameters. */
export interface SampleRequest {
  readonly messages: readonly Message[];
  /** Sampling temperature; omitted means the provider's default. */
  readonly temperature?: number;
  /** Seed for providers that honour one. */
  readonly seed?: number;
  /** Upper bound on completion tokens. */
  readonly maxOutputTokens?: number;
  /**
   * How many leading messages form the stable prefix (system prompt and folded
   * examples). Providers with prompt caching put a cache breakpoint after it.
   */
  readonly cachePrefixLength?: number;
  /**
   * The run's output schema. Providers with structured output constrain decoding to it
   * when it is a zod object schema and they were given no schema of their own.
   */
  readonly schema?: StandardSchemaV1;
}

/** Call mechanics for one `Provider.sample` call. */
export interface RequestOptions {
  /** Number of completions wanted. */
  readonly n: number;
  readonly signal?: AbortSignal;
}

/** One completion. `Parsed` is the type a structured-output provider parses `text` into. */
export interface Completion<Parsed = unknown> {
  readonly text: string;
  /** The value a structured-output provider parsed from `text`, if any. */
  readonly parsed?: Parsed;
  /**
   * Why generation stopped, in the provider's own words (not normalised across providers):
   * - `openai`, `openaiCompatible`: `stop`, `length` (hit `maxOutputTokens`), `content_filter`,
   *   `tool_calls`, `function_call`; a compatible server may send others (vLLM: `abort`).
   * - `anthropic`: `end_turn`, `max_tokens` (hit `maxOutputTokens`), `stop_sequence`, `refusal`,
   *   `tool_use`, `pause_turn`, `model_context_window_exceeded`.
   * - `inContextLearner`: always `stop`; `fromFunction` and `scripted`: whatever the function returns.
   * Absent when the response carried none.
   */
  readonly finishReason?: string;
  /** Mean token log-probability, when the provider returned logprobs. */
  readonly logprob?: number;
  /**
   * Set when the completion must not be scored: the model refused (Anthropic
   * `stop_reason: 'refusal'`, OpenAI `message.refusal`; `text` keeps any partial
   * output), or the text does not match the provider's schema. The sample fails at the parse stage.
   */
  readonly error?: string;
}

/** What `Provider.sample` returns. */
export interface SampleResponse<Parsed = unknown> {
  /** Up to `n` completions; fewer when the provider returned fewer (the loop fetches the rest). */
  readonly completions: readonly Completion<Parsed>[];
  /** Usage of every request this call made. */
  readonly usage: Usage;
  /** Cost in US dollars, or `null` when the model's price is unknown or a response carried no `usage` (a warning says so). */
  readonly costUsd: number | null;
  /** Parameters the provider ignored or changed, and responses it could not fully read. */
  readonly warnings?: readonly Warning[];
}

/**
 * The model interface. Implementations are factory functions (`openai`,
 * `anthropic`, `fromFunction`, ...); the loop only ever calls `sample`.
 */
export interface Provider<Parsed = unknown> {
  /** Provider family, e.g. `openai`, `anthropic`, `function`. */
  readonly name: string;
  /** Model name as sent to the API. */
  readonly model: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * The prices (USD per million tokens, by model) this provider computes `costUsd` with. Budgets
   * and `estimate` bound costs with the same table, so custom prices are given once, here.
   * @default defaultPrices
   */
  readonly prices?: PriceTable;
  /**
   * US dollars one completion costs, for a provider billed per call rather than per token
   * (`fromFunction({ costPerCall })`). Budgets bound a request with it instead of a price table,
   * and `estimate` prices with it. @default none (priced by `prices`)
   */
  readonly costPerCall?: number;
  /**
   * Batch mode, when the provider was created with it (`openai({ model, batch: true })`): the run
   * then carries out its planned requests as batches through this carrier; `sample` stays live
   * (failed entries retried live, direct calls). @default none (live sampling)
   */
  readonly batch?: BatchCarrier;
  sample(request: SampleRequest, options: RequestOptions): Promise<SampleResponse<Parsed>>;
  /**
   * This provider sampling another model (a fine-tuned one) with the same client, transport,
   * prices and options: how the loop samples the model a fine-tuning job made. @default absent: the model cannot be switched
   */
  withModel?(model: string): Provider<Parsed>;
  /** The provider's fine-tuning API, for `iterate({ fineTune })`. @default absent: the provider cannot fine-tune */
  readonly fineTuning?: FineTuning;
}

/** A fine-tuning job as the provider reports it. */
export interface FineTuningJob {
  readonly id: string;
  /** `validating_files`, `queued` and `running` are on the way; `succeeded`, `failed` and `cancelled` are final. */
  readonly status: 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** The model's name once the job succeeded (`ft:<base>:<org>:<suffix>:<id>`). */
  readonly fineTunedModel: string | undefined;
  /** Tokens trained on (the file's tokens × epochs), once known: what the job is billed for. */
  readonly trainedTokens: number | undefined;
  /** Why a failed job failed, in the provider's words. */
  readonly error: string | undefined;
}

/** What a fine-tuning job is created from. */
export interface FineTuningJobRequest {
  /** The model to fine-tune: a base model, or a fine-tuned one to train further. */
  readonly model: string;
  /** The uploaded training file's id. */
  readonly trainingFile: string;
  /** Passed through as the supervised method's hyperparameters (`n_epochs`, `batch_size`, `learning_rate_multiplier`). */
  readonly hyperparameters: Readonly<Record<string, number | 'auto'>>;
  readonly suffix: string | undefined;
  readonly seed: number;
  /** Tags the job, so a resumed run finds a job whose id it did not journal (see `FineTuning.find`). */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * A provider's supervised fine-tuning API: upload a chat JSONL training file, create a job,
 * follow it. Each method makes one request (retried by the provider's transport).
 */
export interface FineTuning {
  /** Fewest training examples a job accepts (OpenAI: 10). */
  readonly minExamples: number;
  /** Uploads a training file (chat JSONL, one `{"messages": [...]}` per line); resolves with its file id. */
  upload(jsonl: string, filename: string, signal?: AbortSignal): Promise<string>;
  /** Creates a supervised job; resolves with it as created. */
  create(request: FineTuningJobRequest, signal?: AbortSignal): Promise<FineTuningJob>;
  /** The job as it stands now. */
  retrieve(jobId: string, signal?: AbortSignal): Promise<FineTuningJob>;
  /** The most recent job trained on `trainingFile` with this `metadata`, if any: a job created just before a crash. */
  find(trainingFile: string, metadata: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<FineTuningJob | undefined>;
}

/** One planned request as a batch entry: its `custom_id`, the request and the completions it asks for. */
export interface BatchEntry {
  readonly customId: string;
  readonly request: SampleRequest;
  readonly n: number;
}

/** Where a submitted batch stands, read by `BatchCarrier.poll`. */
export interface BatchStatus {
  readonly batchId: string;
  /** The provider's own word for it: `validating`, `in_progress`, `finalizing`, `completed`, `ended`, ... */
  readonly status: string;
  /** `waiting` (poll again), `ended` (results ready, some entries may have failed), `failed` (the whole batch failed). */
  readonly state: 'waiting' | 'ended' | 'failed';
  /** Entries in all, succeeded and failed (errored, expired, cancelled) so far. */
  readonly counts: { readonly total: number; readonly succeeded: number; readonly failed: number };
  /** Why a failed batch failed, or what a batch that waits on the user needs. */
  readonly message?: string;
  /** Where its results are (output and error file ids), for `results`. */
  readonly outputs?: readonly string[];
}

/** One entry's result: the response, or why the engine did not produce one. */
export type BatchResult =
  | { readonly customId: string; readonly ok: true; readonly response: SampleResponse }
  | { readonly customId: string; readonly ok: false; readonly reason: 'errored' | 'expired' | 'cancelled'; readonly message: string };

/** How a run waits for batches and treats failed entries (the provider's `batch` option, resolved). */
export interface BatchSettings {
  /** Milliseconds before the first poll; each later wait is 1.5 times longer, up to `maxPollInterval`. */
  readonly pollInterval: number;
  readonly maxPollInterval: number;
  /** What becomes of an errored, expired or cancelled entry: requested live, or recorded as a failed sample with the reason. */
  readonly failedEntries: 'live' | 'record';
}

/**
 * A provider's batch engine. Implementations live beside their provider; the run only plans
 * entries, journals the ids this returns as soon as they exist, polls, and reads results.
 */
export interface BatchCarrier {
  readonly settings: BatchSettings;
  /** Whether results are charged at batch prices (`batchPriceMultiplier` of the price table): hosted batch APIs are; files run on your own cluster are priced as given. */
  readonly batchPrices: boolean;
  /** Most entries and bytes of input one batch may hold. */
  readonly limits: { readonly requests: number; readonly bytes: number };
  /** Bytes one entry takes in a batch's input. */
  size(entry: BatchEntry): number;
  /** Uploads the input file of one batch, for engines that take one (OpenAI); its file id. */
  upload?(entries: readonly BatchEntry[], signal: AbortSignal): Promise<string>;
  /** Creates a batch of `entries` (from `fileId`, when `upload` made one); its batch id. */
  create(entries: readonly BatchEntry[], fileId: string | undefined, signal: AbortSignal): Promise<string>;
  /** Where the batch stands. An engine that runs outside the run (files for a cluster) throws `BatchPendingError` while it has no results. */
  poll(batchId: string, signal: AbortSignal): Promise<BatchStatus>;
  /** The results of an ended batch, for the entries given (by `custom_id`); others are skipped. */
  results(status: BatchStatus, entries: ReadonlyMap<string, BatchEntry>, signal: AbortSignal): AsyncIterable<BatchResult>;
}

/** One completion with its share of the usage, or the failure of the request that should have produced it. */
export type SampledCompletion =
  | (SampleShare & {
      readonly ok: true;
      readonly completion: Completion;
      /** How many completions the request that made this one asked for (0 from a cache). */
      readonly requestAsked: number;
      /** How many completions that request returned (0 from a cache). */
      readonly requestCompletions: number;
    })
  | (SampleShare & { readonly ok: false; readonly error: unknown });

interface SampleShare {
  readonly usage: Usage;
  readonly costUsd: number | null;
  readonly latencyMs: number;
  /** The seed sent with the request. */
  readonly seed: number;
}
