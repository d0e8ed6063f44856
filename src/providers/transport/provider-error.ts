import { ProviderError } from '../../core/errors.js';
import { apiMessageOf, codeOf, errorMessage, errorName, headersOf, statusOf } from './error-fields.js';
import { redact, redactHeaders, scrubCause } from './redact.js';
import { shouldRetryHeader } from './retry.js';

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
 * @example
 * const error = toProviderError(caught, { provider: 'openai', secrets: [apiKey] });
 * if (error.isRetryable) retryLater();
 */
export function toProviderError(error: unknown, context: ProviderErrorContext): ProviderError {
  const secrets = (context.secrets ?? []).filter((secret) => secret.length > 0);
  const { provider } = context;
  const cause = scrubCause(error, secrets);
  const message = redact(errorMessage(error), secrets);
  if (error instanceof ProviderError) {
    return new ProviderError(message, {
      ...(error.status === undefined ? {} : { status: error.status }),
      headers: redactHeaders(error.headers, secrets),
      isRetryable: error.isRetryable,
      provider: error.provider,
      ...(error.cause === undefined ? {} : { cause: scrubCause(error.cause, secrets) }),
    });
  }
  const status = statusOf(error);
  if (status !== undefined) return httpError(error, status, { provider, secrets, message, cause });
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
      `${provider} connection failed: ${describeConnectionError(error, secrets)}. Check \`baseURL\` and the network; retryable.`,
      { provider, isRetryable: true, cause },
    );
  }
  if (error instanceof SyntaxError) {
    return new ProviderError(`${provider} sent a malformed response (${message}); retryable.`, {
      provider,
      isRetryable: true,
      cause,
    });
  }
  return new ProviderError(`${provider} request failed: ${message}`, { provider, isRetryable: false, cause });
}

/** The `ProviderError` of a response with an HTTP status; `message` and `cause` are already redacted. */
function httpError(
  error: unknown,
  status: number,
  context: { provider: string; secrets: readonly string[]; message: string; cause: unknown },
): ProviderError {
  const { provider, secrets, message, cause } = context;
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
        ? 'The server asked for a retry (x-should-retry: true).'
        : 'The server asked not to retry it (x-should-retry: false); not retried.';
  return new ProviderError(`${provider} returned HTTP ${status}: ${detail}. ${advice}`, {
    status,
    headers: redactHeaders(headers, secrets),
    isRetryable,
    provider,
    cause,
  });
}

/** Whether an HTTP status is worth retrying: 408, 409, 429, 5xx (529 included). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** What to do about a status, ending the error's message. */
function adviceFor(status: number): string {
  if (status === 400) return 'The request was rejected as invalid; check the model name and parameters.';
  if (status === 401) return 'Check the API key.';
  if (status === 403) return 'The API key has no access to this model or endpoint.';
  if (status === 404) return 'Check the model name and `baseURL`.';
  if (status === 422) return 'The request was well-formed but rejected; check the parameters.';
  if (status === 429) return 'Rate limited; lower the concurrency or set `requestsPerMinute`/`tokensPerMinute`.';
  if (status === 529) return 'The provider is overloaded; retryable.';
  if (status >= 500) return 'The provider had a server error; retryable.';
  if (isRetryableStatus(status)) return 'Retryable.';
  return 'Not retried.';
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

/** Whether the error, or one of its first causes, is a failed or dropped connection. */
function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    const code = codeOf(current);
    if (code !== undefined && CONNECTION_CODES.has(code)) return true;
    if (current instanceof TypeError && /fetch failed|network|terminated|socket/i.test(current.message)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/** The messages and codes down the cause chain, as `fetch failed: other side closed (ECONNRESET)`. */
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
