import { ConfigError, ProviderError } from '../../core/errors.js';
import { createAttemptStops, type AttemptStops } from './attempt-stops.js';
import { createConcurrencyLimit } from './concurrency.js';
import { resolveTransportOptions, type TransportOptions } from './options.js';
import { createPacing, type AttemptCost, type Pacing, type PacingTicket } from './pacing.js';
import { toProviderError } from './provider-error.js';
import { createRateLimit } from './rate-limit.js';
import { retry } from './retry.js';

export type { RetryEvent, TransportOptions } from './options.js';
export type { Pacing, PacingState, BudgetState, SentMark } from './pacing.js';

/** Per-request options of `Transport.send`. */
export interface SendOptions {
  /** Provider family, used in error messages and events. */
  readonly provider: string;
  /** Aborts the request, its retries and its waits; the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /**
   * Tokens the request is expected to use, for `tokensPerMinute`.
   * @default 0
   */
  readonly estimatedTokens?: number;
  /**
   * Of `estimatedTokens`, the part expected as output, for the output-token budgets a provider reports.
   * @default 0
   */
  readonly estimatedOutputTokens?: number;
  /**
   * Strings (API keys) that must never appear in an error message; they and
   * masked fragments of them are replaced with `[redacted]`. A function is
   * called when an error is built, so a key a client only learns per request
   * (an `apiKey` function, a token provider) is covered too.
   * @default []
   */
  readonly secrets?: readonly string[] | (() => readonly string[]);
}

/** One retry, timeout and rate-limit layer. Share one between providers that share a quota. */
export interface Transport {
  /** Milliseconds one attempt may take. */
  readonly timeout: number;
  /**
   * Runs `attempt` with a per-attempt signal, retrying retryable failures.
   * Every failure is a `ProviderError`, except an abort, which rejects with `signal.reason`.
   */
  send<T>(attempt: (signal: AbortSignal) => Promise<T>, options: SendOptions): Promise<T>;
  /**
   * The pacing by the provider's rate-limit headers: providers hand it each response's headers
   * (`sent` as a request goes out, `received` with its headers) and take its `warning`.
   * Absent on a transport not made by `createTransport`.
   */
  readonly pacing?: Pacing;
}

/**
 * Creates a transport. Options are validated here, with a `ConfigError` naming the option.
 * @example
 * const transport = createTransport({ maxRetries: 5, requestsPerMinute: 500 });
 * const text = await transport.send((signal) => fetchSomething(signal), { provider: 'openai' });
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const resolved = resolveTransportOptions(options);
  const { timeout, onRetry } = resolved;
  const rateLimit = createRateLimit({ requestsPerMinute: resolved.requestsPerMinute, tokensPerMinute: resolved.tokensPerMinute });
  const slots = createConcurrencyLimit(resolved.concurrency);
  const stops = createAttemptStops(timeout);
  const pacing = createPacing({ enabled: resolved.pacing, ceiling: resolved.concurrency, startConcurrency: resolved.startConcurrency });

  async function runAttempt<T>(attempt: (signal: AbortSignal) => Promise<T>, sendOptions: SendOptions): Promise<T> {
    // Awaited only when there is something to wait for: no limit and no 429 pause is no wait.
    const admitting = rateLimit.admit(sendOptions.estimatedTokens ?? 0, sendOptions.signal);
    if (admitting !== undefined) await admitting;
    const starting = pacing.start(attemptCost(sendOptions), sendOptions.signal);
    const ticket: PacingTicket = starting instanceof Promise ? await starting : starting;
    let limited = false;
    try {
      return await slots(() => runInSlot(attempt, sendOptions, timeout, stops), sendOptions.signal);
    } catch (error) {
      limited = error instanceof ProviderError && error.status === 429;
      throw error;
    } finally {
      ticket.end(limited);
    }
  }

  async function send<T>(attempt: (signal: AbortSignal) => Promise<T>, sendOptions: SendOptions): Promise<T> {
    if (typeof sendOptions.provider !== 'string' || sendOptions.provider === '') {
      throw new ConfigError('provider', sendOptions.provider, 'a non-empty provider name');
    }
    const { signal, provider } = sendOptions;
    signal?.throwIfAborted();
    const { maxRetries, retryDelay, maxRetryDelay, random } = resolved;
    return retry(() => runAttempt(attempt, sendOptions), {
      maxRetries,
      retryDelay,
      maxRetryDelay,
      random,
      signal,
      beforeWait: (error, attemptNumber, delayMs) => {
        // After a 429 every request through this transport waits, not only this one.
        if (error.status === 429) rateLimit.pause(delayMs);
        onRetry?.({ provider, attempt: attemptNumber, delayMs, error });
      },
    });
  }

  return { timeout, send, pacing };
}

function attemptCost(sendOptions: SendOptions): AttemptCost {
  const total = sendOptions.estimatedTokens ?? 0;
  const outputTokens = Math.min(total, sendOptions.estimatedOutputTokens ?? 0);
  return { inputTokens: total - outputTokens, outputTokens };
}

/**
 * One attempt once it has a slot: bounded by the timeout, its failure normalised. The attempt
 * gets a signal of its own (the SDKs add an abort listener to the signal they are given and
 * never remove it, so a run's signal would collect one per request), which the timeout or the
 * caller's signal aborts through the transport's `stops`; either also rejects at once, even if
 * the attempt ignores its signal.
 */
async function runInSlot<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  sendOptions: SendOptions,
  timeout: number,
  stops: AttemptStops,
): Promise<T> {
  const { signal, provider } = sendOptions;
  signal?.throwIfAborted();
  const controller = new AbortController();
  let timeoutError: ProviderError | undefined;
  let endWatch: (() => void) | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      const stop = (reason: unknown): void => {
        controller.abort(reason);
        reject(reason);
      };
      endWatch = stops.watch(signal, {
        onTimeout: () => {
          timeoutError = new ProviderError(
            `${provider} request timed out after ${timeout} ms. Raise \`timeout\` if the model needs longer.`,
            { provider, isRetryable: true },
          );
          stop(timeoutError);
        },
        onAbort: stop,
      });
      let running: Promise<T>;
      try {
        running = Promise.resolve(attempt(controller.signal));
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then(resolve, reject);
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timeoutError !== undefined) throw timeoutError;
    // Read now, not before the attempt: the client may have fetched its key during it.
    const secrets = typeof sendOptions.secrets === 'function' ? sendOptions.secrets() : (sendOptions.secrets ?? []);
    throw toProviderError(error, { provider, secrets });
  } finally {
    endWatch?.();
  }
}
