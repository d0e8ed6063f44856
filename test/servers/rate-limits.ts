import { countTokens, type Admission } from './common.js';

/** Limits a test server enforces per fixed window, and the wire format of the headers it sends. */
export interface RateLimitRules {
  /** Header names and reset format: OpenAI's `x-ratelimit-*` (reset as a duration) or Anthropic's `anthropic-ratelimit-*` (RFC 3339). */
  readonly wire: 'openai' | 'anthropic';
  /** Length of one window in ms (short, so a test takes seconds); the first starts at the first request. */
  readonly windowMs: number;
  /** Requests admitted per window. @default no limit */
  readonly requests?: number;
  /** Input plus output tokens admitted per window (output counted as `max_tokens` × `n`, as OpenAI reserves it). @default no limit */
  readonly tokens?: number;
  /** Anthropic only: input tokens admitted per window. @default no limit */
  readonly inputTokens?: number;
  /** Anthropic only: output tokens (`max_tokens`) admitted per window. @default no limit */
  readonly outputTokens?: number;
  /** Send the rate-limit headers on every response; `false` enforces the limits silently (a 429's `retry-after` still says when). @default true */
  readonly sendHeaders?: boolean;
}

/** What the limiter admitted and refused. */
export interface RateLimitStats {
  readonly admitted: number;
  readonly limited: number;
  /** `performance.now()` of each admitted request. */
  readonly admittedAt: readonly number[];
  /** Input plus output tokens of the admitted requests, as the limits count them. */
  readonly admittedTokens: number;
}

type Family = 'requests' | 'tokens' | 'input-tokens' | 'output-tokens';

/**
 * A fixed-window rate limiter for `ServerOptions.admit`: a request over any limit gets a 429 with
 * `retry-after` (and `retry-after-ms` on OpenAI's wire); every response carries the limits, what is
 * left after it and the true time the window ends, in the wire's own header format.
 * @example
 * const limits = enforceRateLimits({ wire: 'openai', windowMs: 500, requests: 20 });
 * const server = await startOpenAIServer({ admit: limits.admit });
 */
export function enforceRateLimits(rules: RateLimitRules): { readonly admit: (body: Readonly<Record<string, unknown>>) => Admission; readonly stats: RateLimitStats } {
  const limits: [Family, number | undefined][] = [
    ['requests', rules.requests],
    ['tokens', rules.tokens],
    ['input-tokens', rules.wire === 'anthropic' ? rules.inputTokens : undefined],
    ['output-tokens', rules.wire === 'anthropic' ? rules.outputTokens : undefined],
  ];
  let windowStart: number | undefined;
  const used: Record<Family, number> = { requests: 0, tokens: 0, 'input-tokens': 0, 'output-tokens': 0 };
  const admittedAt: number[] = [];
  const stats = { admitted: 0, limited: 0, admittedAt, admittedTokens: 0 };

  const admit = (body: Readonly<Record<string, unknown>>): Admission => {
    const now = Date.now();
    windowStart ??= now;
    const index = Math.floor((now - windowStart) / rules.windowMs);
    const start = windowStart + index * rules.windowMs;
    if (start !== currentStart) {
      currentStart = start;
      for (const family of Object.keys(used) as Family[]) used[family] = 0;
    }
    const resetAt = start + rules.windowMs;
    const input = inputTokens(body);
    const output = outputTokens(body);
    const cost: Record<Family, number> = { requests: 1, tokens: input + output, 'input-tokens': input, 'output-tokens': output };
    const over = limits.some(([family, limit]) => limit !== undefined && used[family] + cost[family] > limit);
    if (!over) {
      for (const family of Object.keys(used) as Family[]) used[family] += cost[family];
      stats.admitted += 1;
      stats.admittedTokens += cost.tokens;
      admittedAt.push(performance.now());
    } else stats.limited += 1;
    const headers: Record<string, string> = rules.sendHeaders === false ? {} : limitHeaders(rules.wire, limits, used, resetAt, now);
    if (over) {
      headers['retry-after'] = String(Math.ceil((resetAt - now) / 1000));
      if (rules.wire === 'openai') headers['retry-after-ms'] = String(resetAt - now);
    }
    return { limited: over, headers };
  };
  let currentStart: number | undefined;
  return { admit, stats };
}

function limitHeaders(
  wire: 'openai' | 'anthropic',
  limits: readonly [Family, number | undefined][],
  used: Readonly<Record<Family, number>>,
  resetAt: number,
  now: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [family, limit] of limits) {
    if (limit === undefined) continue;
    const remaining = String(Math.max(0, limit - used[family]));
    if (wire === 'openai') {
      headers[`x-ratelimit-limit-${family}`] = String(limit);
      headers[`x-ratelimit-remaining-${family}`] = remaining;
      headers[`x-ratelimit-reset-${family}`] = goDuration(resetAt - now);
    } else {
      headers[`anthropic-ratelimit-${family}-limit`] = String(limit);
      headers[`anthropic-ratelimit-${family}-remaining`] = remaining;
      headers[`anthropic-ratelimit-${family}-reset`] = new Date(resetAt).toISOString();
    }
  }
  return headers;
}

/** A duration as Go (and OpenAI) prints it: `20ms`, `1.5s`, `6m0s`, `1h2m3.5s`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Math.round(ms % 60_000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** Prompt tokens as the servers count them: per text, a token per started 4 characters plus one. */
function inputTokens(body: Readonly<Record<string, unknown>>): number {
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const item of value) collect(item);
    else if (typeof value === 'object' && value !== null) {
      const { content, text } = value as { content?: unknown; text?: unknown };
      collect(content ?? text);
    }
  };
  collect(body.system);
  collect(body.messages);
  return texts.reduce((sum, text) => sum + countTokens(text) + 1, 0);
}

/** Output tokens reserved: `max_tokens` (or `max_completion_tokens`) for each of `n` choices. */
function outputTokens(body: Readonly<Record<string, unknown>>): number {
  const cap = typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_tokens === 'number' ? body.max_tokens : 0;
  const n = typeof body.n === 'number' ? body.n : 1;
  return cap * n;
}
