import pRetry from 'p-retry';
import { ProviderError } from '../../core/errors.js';
import type { Rng } from '../../core/random.js';
import { wait } from '../../core/wait.js';

/** How one request is retried; `createTransport` fills these from its validated options. */
export interface RetryOptions {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Backoff before the first retry in milliseconds; doubled every retry, jittered down by up to half. */
  readonly retryDelay: number;
  /** Upper bound in milliseconds on any wait, backoff or `retry-after` alike. */
  readonly maxRetryDelay: number;
  /** Source of the jitter. */
  readonly random: Rng;
  /** Aborts the retries and their waits; the promise then rejects with `signal.reason`. */
  readonly signal: AbortSignal | undefined;
  /** Called before every wait with the failed attempt's number (from 1), its error and the wait in milliseconds. */
  readonly beforeWait: (error: ProviderError, attempt: number, delayMs: number) => void;
}

/**
 * Runs `run` until it succeeds, retrying a `ProviderError` that `isRetryable` up to
 * `maxRetries` times. A request that used every retry fails with a message saying so.
 */
export async function retry<T>(run: () => Promise<T>, options: RetryOptions): Promise<T> {
  // The first attempt is one plain await: retrying needs machinery only once an attempt failed
  // (p-retry's loop, its options and its promise steps cost about 20 µs a request otherwise).
  let firstFailure: unknown;
  try {
    return await run();
  } catch (error) {
    firstFailure = error;
  }
  return retryAfter(firstFailure, run, options);
}

/** The retries after a first attempt that failed with `firstFailure`: p-retry replays that failure as its own first attempt. */
async function retryAfter<T>(firstFailure: unknown, run: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal } = options;
  let attempts = 0;
  try {
    return await pRetry(
      () => {
        attempts += 1;
        return attempts === 1 ? Promise.reject(firstFailure) : run();
      },
      {
        retries: options.maxRetries,
        // Waits happen in shouldRetry, so they can honour retry-after and use our jitter.
        minTimeout: 0,
        shouldRetry: async ({ error, attemptNumber }) => {
          if (!(error instanceof ProviderError) || !error.isRetryable) return false;
          const delayMs = retryDelayFor(error, attemptNumber, options);
          options.beforeWait(error, attemptNumber, delayMs);
          await wait(delayMs, signal);
          return true;
        },
      },
    );
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof ProviderError && error.isRetryable) throw attempts > 1 ? gaveUp(error, attempts) : notRetried(error, options.maxRetries);
    throw error;
  }
}

/** A retryable failure that was not retried: `maxRetries` is 0, so the message says so rather than promising a retry. */
function notRetried(error: ProviderError, maxRetries: number): ProviderError {
  if (maxRetries > 0) return error;
  return new ProviderError(`${error.message} Not retried: \`maxRetries\` is 0.`, {
    ...(error.status === undefined ? {} : { status: error.status }),
    headers: error.headers,
    isRetryable: true,
    provider: error.provider,
    cause: error,
  });
}

function gaveUp(error: ProviderError, attempts: number): ProviderError {
  return new ProviderError(`${error.message} Gave up after ${attempts} attempts; raise \`maxRetries\` or try again later.`, {
    ...(error.status === undefined ? {} : { status: error.status }),
    headers: error.headers,
    isRetryable: true,
    provider: error.provider,
    cause: error,
  });
}

/** The wait before retry number `retryNumber` (from 1): the server's `retry-after`, else jittered exponential backoff. */
function retryDelayFor(
  error: ProviderError,
  retryNumber: number,
  options: Pick<RetryOptions, 'retryDelay' | 'maxRetryDelay' | 'random'>,
): number {
  const hinted = retryAfterMs(error.headers, Date.now());
  if (hinted !== undefined) return Math.min(hinted, options.maxRetryDelay);
  const base = Math.min(options.retryDelay * 2 ** (retryNumber - 1), options.maxRetryDelay);
  return Math.round(base * (0.5 + 0.5 * options.random()));
}

/**
 * Milliseconds a response asks the client to wait, from `retry-after-ms` or
 * `retry-after` (seconds or an HTTP date); `undefined` without a usable header.
 */
export function retryAfterMs(headers: Readonly<Record<string, string>>, now: number): number | undefined {
  const milliseconds = headers['retry-after-ms'];
  if (milliseconds !== undefined) {
    const value = Number.parseFloat(milliseconds);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const retryAfter = headers['retry-after'];
  if (retryAfter === undefined) return undefined;
  const trimmed = retryAfter.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number.parseFloat(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The server's own retry verdict from `x-should-retry` (`true` or `false`), which
 * the SDKs let override the status; `undefined` without the header.
 */
export function shouldRetryHeader(headers: Readonly<Record<string, string>>): boolean | undefined {
  const value = headers['x-should-retry']?.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}
