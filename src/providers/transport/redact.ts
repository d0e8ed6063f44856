import { inspect } from 'node:util';
import { statusOf } from './error-fields.js';

const REDACTED = '[redacted]';

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

/** Response headers with every secret redacted from their values (a server may echo the key in one). */
export function redactHeaders(headers: Readonly<Record<string, string>>, secrets: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) result[name] = redact(value, secrets);
  return result;
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
export function scrubCause(error: unknown, secrets: readonly string[], depth = 0): unknown {
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
