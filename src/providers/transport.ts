import { inspect } from 'node:util';
import pRetry from 'p-retry';
import { ConfigError, ProviderError } from '../core/errors.js';
import { createRng, type Rng } from '../core/random.js';

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
}

const REDACTED = '[redacted]';

/**
 * Creates a transport. Options are validated here, with a `ConfigError` naming the option.
 * @example
 * const transport = createTransport({ maxRetries: 5, requestsPerMinute: 500 });
 * const text = await transport.send((signal) => fetchSomething(signal), { provider: 'openai' });
 */
export function createTransport(options: TransportOptions = {}): Transport {
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
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new ConfigError('random', options.random, 'a function returning numbers in [0, 1)');
  }
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') {
    throw new ConfigError('onRetry', options.onRetry, 'a function');
  }
  const random = options.random ?? createRng(0);
  const onRetry = options.onRetry;
  const schedule = createSchedule(requestsPerMinute, tokensPerMinute);
  const slots = createSemaphore(concurrency);
  // After a 429 every request through this transport waits until this time.
  let pausedUntil = 0;

  function delayFor(error: ProviderError, retryNumber: number): number {
    const hinted = retryAfterMs(error.headers, Date.now());
    if (hinted !== undefined) return Math.min(hinted, maxRetryDelay);
    const base = Math.min(retryDelay * 2 ** (retryNumber - 1), maxRetryDelay);
    return Math.round(base * (0.5 + 0.5 * random()));
  }

  async function runAttempt<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    sendOptions: SendOptions,
  ): Promise<T> {
    const { signal, provider } = sendOptions;
    while (pausedUntil > Date.now()) await sleep(pausedUntil - Date.now(), signal);
    const wait = schedule.reserve(sendOptions.estimatedTokens ?? 0);
    try {
      await sleep(wait.delayMs, signal);
    } catch (error) {
      wait.cancel();
      throw error;
    }
    const release = await slots.acquire(signal);
    const timer = new AbortController();
    let timeoutError: ProviderError | undefined;
    const handle = setTimeout(() => {
      timeoutError = new ProviderError(
        `${provider} request timed out after ${timeout} ms. Raise \`timeout\` if the model needs longer.`,
        { provider, isRetryable: true },
      );
      timer.abort(timeoutError);
    }, timeout);
    const attemptSignal = signal === undefined ? timer.signal : AbortSignal.any([signal, timer.signal]);
    try {
      return await raceAbort(() => attempt(attemptSignal), attemptSignal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeoutError !== undefined) throw timeoutError;
      // Read now, not before the attempt: the client may have fetched its key during it.
      const secrets = typeof sendOptions.secrets === 'function' ? sendOptions.secrets() : (sendOptions.secrets ?? []);
      throw toProviderError(error, { provider, secrets });
    } finally {
      clearTimeout(handle);
      release();
    }
  }

  async function send<T>(attempt: (signal: AbortSignal) => Promise<T>, sendOptions: SendOptions): Promise<T> {
    if (typeof sendOptions.provider !== 'string' || sendOptions.provider === '') {
      throw new ConfigError('provider', sendOptions.provider, 'a non-empty provider name');
    }
    const { signal } = sendOptions;
    signal?.throwIfAborted();
    let attempts = 0;
    try {
      return await pRetry(
        () => {
          attempts += 1;
          return runAttempt(attempt, sendOptions);
        },
        {
          retries: maxRetries,
          // Waits happen in shouldRetry, so they can honour retry-after and use our jitter.
          minTimeout: 0,
          shouldRetry: async ({ error, attemptNumber }) => {
            if (!(error instanceof ProviderError) || !error.isRetryable) return false;
            const delayMs = delayFor(error, attemptNumber);
            if (error.status === 429) pausedUntil = Math.max(pausedUntil, Date.now() + delayMs);
            onRetry?.({ provider: sendOptions.provider, attempt: attemptNumber, delayMs, error });
            await sleep(delayMs, signal);
            return true;
          },
        },
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof ProviderError && error.isRetryable && attempts > 1) {
        throw new ProviderError(
          `${error.message} Gave up after ${attempts} attempts; raise \`maxRetries\` or try again later.`,
          {
            ...(error.status === undefined ? {} : { status: error.status }),
            headers: error.headers,
            isRetryable: true,
            provider: error.provider,
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  return { timeout, send };
}

/** Context of `toProviderError`. */
export interface ProviderErrorContext {
  /** Provider family. */
  readonly provider: string;
  /** Strings to remove from messages (API keys). @default [] */
  readonly secrets?: readonly string[];
}

/**
 * Normalises any failure (SDK `APIError`, connection error, fetch error,
 * malformed JSON) to a `ProviderError` with secrets removed from its message and cause.
 */
export function toProviderError(error: unknown, context: ProviderErrorContext): ProviderError {
  const secrets = (context.secrets ?? []).filter((secret) => secret.length > 0);
  const { provider } = context;
  const cause = scrubCause(error, secrets);
  const message = redact(errorMessage(error), secrets);
  if (error instanceof ProviderError) {
    return new ProviderError(message, {
      ...(error.status === undefined ? {} : { status: error.status }),
      headers: error.headers,
      isRetryable: error.isRetryable,
      provider: error.provider,
      ...(error.cause === undefined ? {} : { cause: scrubCause(error.cause, secrets) }),
    });
  }
  const status = statusOf(error);
  if (status !== undefined) {
    const apiMessage = apiMessageOf(error);
    const raw = apiMessage === undefined ? message.replace(new RegExp(`^${status}\\s*`), '') : redact(apiMessage, secrets);
    const detail = raw.replace(/\.+$/, '') || 'no message';
    const headers = headersOf(error);
    const serverSays = shouldRetryHeader(headers);
    const isRetryable = serverSays ?? isRetryableStatus(status);
    const advice =
      serverSays === undefined || serverSays === isRetryableStatus(status)
        ? adviceFor(status)
        : serverSays
          ? 'The server asked for a retry (x-should-retry: true); retried automatically.'
          : 'The server asked not to retry it (x-should-retry: false); not retried.';
    return new ProviderError(`${provider} returned HTTP ${status}: ${detail}. ${advice}`, {
      status,
      headers,
      isRetryable,
      provider,
      cause,
    });
  }
  const name = errorName(error);
  if (name === 'APIConnectionTimeoutError') {
    return new ProviderError(`${provider} request timed out (${message}). Raise \`timeout\` if the model needs longer.`, {
      provider,
      isRetryable: true,
      cause,
    });
  }
  if (name === 'APIConnectionError' || isConnectionError(error)) {
    return new ProviderError(
      `${provider} connection failed: ${describeConnectionError(error, secrets)}. Check \`baseURL\` and the network; retried automatically.`,
      { provider, isRetryable: true, cause },
    );
  }
  if (error instanceof SyntaxError) {
    return new ProviderError(`${provider} sent a malformed response (${message}); retried automatically.`, {
      provider,
      isRetryable: true,
      cause,
    });
  }
  return new ProviderError(`${provider} request failed: ${message}`, { provider, isRetryable: false, cause });
}

/**
 * The server's own retry verdict from `x-should-retry` (`true` or `false`), which
 * the SDKs let override the status; `undefined` without the header.
 */
function shouldRetryHeader(headers: Readonly<Record<string, string>>): boolean | undefined {
  const value = headers['x-should-retry']?.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** Whether an HTTP status is worth retrying: 408, 409, 429, 5xx (529 included). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
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
 * Replaces every secret, and any masked or partial fragment of one (as in
 * `Incorrect API key provided: sk-abc***wxyz`), with `[redacted]`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join(REDACTED);
  }
  const longSecrets = secrets.filter((secret) => secret.length >= 8);
  if (longSecrets.length === 0) return result;
  return result.replace(/[A-Za-z0-9_\-*.]{6,}/g, (token) =>
    longSecrets.some((secret) => isFragmentOf(token, secret)) ? REDACTED : token,
  );
}

function isFragmentOf(token: string, secret: string): boolean {
  const masked = /\*|\.\.\./.test(token);
  if (!masked) return token.length >= 10 && secret.includes(token);
  const parts = token.split(/[*.]+/).filter((part) => part.length > 0);
  return parts.some(
    (part) => (part.length >= 3 && secret.startsWith(part)) || (part.length >= 4 && secret.endsWith(part)),
  );
}

function containsSecret(text: string, secrets: readonly string[]): boolean {
  return redact(text, secrets) !== text;
}

/**
 * The cause kept on a `ProviderError`: the original error when it holds no
 * secret anywhere (message, body, nested causes), else a scrubbed copy.
 */
function scrubCause(error: unknown, secrets: readonly string[], depth = 0): unknown {
  if (secrets.length === 0) return error;
  if (typeof error === 'string') return redact(error, secrets);
  if (depth === 0 && !containsSecret(inspect(error, { depth: 8 }), secrets)) return error;
  if (!(error instanceof Error)) {
    return error === null || error === undefined ? error : redact(inspect(error, { depth: 4 }), secrets);
  }
  const nested = depth < 8 && error.cause !== undefined ? scrubCause(error.cause, secrets, depth + 1) : undefined;
  const copy = new Error(redact(error.message, secrets), nested === undefined ? undefined : { cause: nested });
  copy.name = error.name;
  if (error.stack !== undefined) copy.stack = redact(error.stack, secrets);
  const status = statusOf(error);
  if (status !== undefined) Object.defineProperty(copy, 'status', { value: status, enumerable: true });
  return copy;
}

/** The class name: the SDKs leave `name` as 'Error' on some of their error classes. */
function errorName(error: unknown): string {
  if (!(error instanceof Error)) return '';
  return error.name !== 'Error' ? error.name : error.constructor.name;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return inspect(error, { depth: 2 });
}

/** The API's own message (`apiMessage` on Anthropic SDK errors), without the SDK's status prefix or JSON dump. */
function apiMessageOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('apiMessage' in error)) return undefined;
  return typeof error.apiMessage === 'string' && error.apiMessage !== '' ? error.apiMessage : undefined;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const { status } = error;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 ? status : undefined;
}

function headersOf(error: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof error !== 'object' || error === null || !('headers' in error)) return result;
  const { headers } = error;
  if (headers instanceof Headers) {
    headers.forEach((value, key) => {
      result[key.toLowerCase()] = value;
    });
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [key, value] of Object.entries(headers)) {
      if (typeof value === 'string') result[key.toLowerCase()] = value;
    }
  }
  return result;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    const code = codeOf(current);
    if (code !== undefined && CONNECTION_CODES.has(code)) return true;
    if (current instanceof TypeError && /fetch failed|network|terminated|socket/i.test(current.message)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

function describeConnectionError(error: unknown, secrets: readonly string[]): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = codeOf(current);
    const text = current.message.replace(/\.+$/, '');
    parts.push(code === undefined ? text : `${text} (${code})`);
    current = current.cause;
  }
  return redact(parts.join(': ') || errorMessage(error), secrets);
}

function adviceFor(status: number): string {
  if (status === 400) return 'The request was rejected as invalid; check the model name and parameters.';
  if (status === 401) return 'Check the API key.';
  if (status === 403) return 'The API key has no access to this model or endpoint.';
  if (status === 404) return 'Check the model name and `baseURL`.';
  if (status === 422) return 'The request was well-formed but rejected; check the parameters.';
  if (status === 429) return 'Rate limited; lower the concurrency or set `requestsPerMinute`/`tokensPerMinute`.';
  if (status === 529) return 'The provider is overloaded; retried automatically.';
  if (status >= 500) return 'The provider had a server error; retried automatically.';
  if (isRetryableStatus(status)) return 'Retried automatically.';
  return 'Not retried.';
}

/** Runs `run`, rejecting as soon as `signal` aborts even if `run` ignores the signal. */
function raceAbort<T>(run: () => Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    run().then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Waits `ms` milliseconds; rejects with `signal.reason` when the signal aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Reservation {
  readonly delayMs: number;
  cancel(): void;
}

/**
 * Even spacing for requests and tokens per minute: each attempt reserves the
 * earliest start both limits allow and pushes the next start back.
 */
function createSchedule(requestsPerMinute: number | undefined, tokensPerMinute: number | undefined) {
  const msPerRequest = requestsPerMinute === undefined ? 0 : 60_000 / requestsPerMinute;
  const msPerToken = tokensPerMinute === undefined ? 0 : 60_000 / tokensPerMinute;
  let nextRequestAt = 0;
  let nextTokensAt = 0;
  return {
    reserve(estimatedTokens: number): Reservation {
      const now = Date.now();
      if (msPerRequest === 0 && msPerToken === 0) return { delayMs: 0, cancel: () => undefined };
      const start = Math.max(now, nextRequestAt, nextTokensAt);
      const requestCost = msPerRequest;
      const tokenCost = (Number.isFinite(estimatedTokens) && estimatedTokens > 0 ? estimatedTokens : 0) * msPerToken;
      nextRequestAt = start + requestCost;
      nextTokensAt = start + tokenCost;
      return {
        delayMs: start - now,
        cancel: () => {
          nextRequestAt -= requestCost;
          nextTokensAt -= tokenCost;
        },
      };
    },
  };
}

/** A counting semaphore whose waiters can be aborted. */
function createSemaphore(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) active -= 1;
    else next();
  };
  return {
    acquire(signal: AbortSignal | undefined): Promise<() => void> {
      signal?.throwIfAborted();
      if (active < limit) {
        active += 1;
        return Promise.resolve(once(release));
      }
      return new Promise((resolve, reject) => {
        const grant = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(once(release));
        };
        const onAbort = (): void => {
          const index = waiting.indexOf(grant);
          if (index >= 0) waiting.splice(index, 1);
          reject(signal?.reason);
        };
        waiting.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

function once(run: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    run();
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
