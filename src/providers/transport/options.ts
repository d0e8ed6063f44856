import { ConfigError, type ProviderError } from '../../core/errors.js';
import { createRng, type Rng } from '../../core/random.js';

/** Options of `createTransport`: retries, timeout and rate limits shared by every request sent through it. */
export interface TransportOptions {
  /**
   * Retries after the first attempt of one request (408, 409, 429, 5xx, 529,
   * timeouts and connection errors; never 400, 401, 403, 404 or 422). A
   * response's `x-should-retry: true` or `false` header overrides its status, as in the SDKs.
   * @default 3
   */
  readonly maxRetries?: number;
  /**
   * Milliseconds one attempt may take before it is aborted and retried.
   * @default 600_000
   */
  readonly timeout?: number;
  /**
   * Backoff before the first retry in milliseconds; it doubles with every
   * retry and is jittered down by up to half.
   * @default 500
   */
  readonly retryDelay?: number;
  /**
   * Upper bound in milliseconds on any wait between attempts, backoff or a
   * server's `retry-after` alike.
   * @default 60_000
   */
  readonly maxRetryDelay?: number;
  /**
   * Attempts started per minute through this transport; attempts are spaced
   * evenly, one every `60_000 / requestsPerMinute` ms.
   * @default no limit
   */
  readonly requestsPerMinute?: number;
  /**
   * Estimated tokens per minute through this transport; an attempt of `t`
   * estimated tokens delays the next by `t * 60_000 / tokensPerMinute` ms.
   * @default no limit
   */
  readonly tokensPerMinute?: number;
  /**
   * Attempts in flight at once through this transport.
   * @default Infinity
   */
  readonly concurrency?: number;
  /**
   * Pace by the provider's own rate-limit headers (OpenAI's `x-ratelimit-*`, Anthropic's
   * `anthropic-ratelimit-*`): the attempts in flight grow by one while the remaining budgets are
   * comfortable and halve on a 429 or when they run low, and starts are spread so the remaining
   * budget lasts until its reset. A server that sends no such headers is not paced.
   * @default true
   */
  readonly pacing?: boolean;
  /**
   * With `pacing`, the attempts in flight before the first response's headers are read (a probe,
   * so a high `concurrency` does not open with a burst of 429s); a response without rate-limit
   * headers lifts it.
   * @default 8
   */
  readonly startConcurrency?: number;
  /**
   * Source of the backoff jitter. Pass a seeded generator for reproducible waits.
   * @default createRng(0)
   */
  readonly random?: Rng;
  /**
   * Called before every wait for a retry. The error's message has secrets removed.
   * @default no callback
   */
  readonly onRetry?: (event: RetryEvent) => void;
}

/** What `TransportOptions.onRetry` receives before the transport waits to retry. */
export interface RetryEvent {
  /** Provider family of the request. */
  readonly provider: string;
  /** Number of the attempt that failed, from 1. */
  readonly attempt: number;
  /** Milliseconds the transport waits before the next attempt. */
  readonly delayMs: number;
  /** Why the attempt failed. */
  readonly error: ProviderError;
}

/** `TransportOptions` validated, with every default filled in. */
export interface ResolvedTransportOptions {
  readonly maxRetries: number;
  readonly timeout: number;
  readonly retryDelay: number;
  readonly maxRetryDelay: number;
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
  readonly concurrency: number;
  readonly pacing: boolean;
  readonly startConcurrency: number;
  readonly random: Rng;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
}

/** Validates the options, throwing a `ConfigError` that names the bad one, and fills in the defaults. */
export function resolveTransportOptions(options: TransportOptions): ResolvedTransportOptions {
  const maxRetries = validateCount('maxRetries', options.maxRetries, 3);
  const timeout = validatePositive('timeout', options.timeout, 600_000);
  const retryDelay = validateNonNegative('retryDelay', options.retryDelay, 500);
  const maxRetryDelay = validateNonNegative('maxRetryDelay', options.maxRetryDelay, 60_000);
  const requestsPerMinute = validateOptionalPositive('requestsPerMinute', options.requestsPerMinute);
  const tokensPerMinute = validateOptionalPositive('tokensPerMinute', options.tokensPerMinute);
  const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
  if (!(concurrency === Number.POSITIVE_INFINITY || (Number.isInteger(concurrency) && concurrency >= 1))) {
    throw new ConfigError('concurrency', options.concurrency, 'an integer >= 1 or Infinity');
  }
  const pacing = options.pacing ?? true;
  if (typeof pacing !== 'boolean') throw new ConfigError('pacing', options.pacing, 'true or false');
  const startConcurrency = options.startConcurrency ?? 8;
  if (!(startConcurrency === Number.POSITIVE_INFINITY || (Number.isInteger(startConcurrency) && startConcurrency >= 1))) {
    throw new ConfigError('startConcurrency', options.startConcurrency, 'an integer >= 1 or Infinity');
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new ConfigError('random', options.random, 'a function returning numbers in [0, 1)');
  }
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') {
    throw new ConfigError('onRetry', options.onRetry, 'a function');
  }
  const random = options.random ?? createRng(0);
  return {
    maxRetries,
    timeout,
    retryDelay,
    maxRetryDelay,
    requestsPerMinute,
    tokensPerMinute,
    concurrency,
    pacing,
    startConcurrency,
    random,
    onRetry: options.onRetry,
  };
}

function validateCount(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(option, value, 'an integer >= 0');
  return value;
}

function validatePositive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(option, value, 'a finite number of milliseconds > 0');
  }
  return value;
}

function validateNonNegative(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(option, value, 'a finite number of milliseconds >= 0');
  }
  return value;
}

function validateOptionalPositive(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(option, value, 'a finite number > 0');
  }
  return value;
}
