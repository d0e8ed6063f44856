// The providers' own rate-limit headers, read into one shape: how much of each budget is left
// and when it is full again. OpenAI sends `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`
// (reset as a Go duration: `1s`, `6m0s`, `20ms`); Anthropic sends
// `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
// (reset as an RFC 3339 time). A value that does not parse is ignored, never guessed.

/** Which budget a reading is about; a request costs 1 of `requests` and its estimated tokens of the others. */
export type BudgetKind = 'requests' | 'tokens' | 'input-tokens' | 'output-tokens';

/** One budget as a response reported it. */
export interface BudgetReading {
  readonly kind: BudgetKind;
  /** The budget's size, when sent. */
  readonly limit: number | undefined;
  /** What is left of it. */
  readonly remaining: number;
  /** When it is full again (`Date.now()` time, ms). */
  readonly resetAt: number;
}

/** What a header lookup needs: `Headers` fits. */
export interface HeaderSource {
  get(name: string): string | null;
}

const KINDS: readonly BudgetKind[] = ['requests', 'tokens', 'input-tokens', 'output-tokens'];

/**
 * The budgets a response's headers report, OpenAI's and Anthropic's names alike. A budget
 * needs a usable `remaining` and `reset`; one without either is left out. `now` turns
 * OpenAI's relative resets into times.
 */
export function readRateLimitHeaders(headers: HeaderSource, now: number): BudgetReading[] {
  const readings: BudgetReading[] = [];
  for (const kind of KINDS) {
    if (kind === 'requests' || kind === 'tokens') {
      const reading = readBudget(kind, headers, `x-ratelimit-limit-${kind}`, `x-ratelimit-remaining-${kind}`, `x-ratelimit-reset-${kind}`, now);
      if (reading !== undefined) {
        readings.push(reading);
        continue;
      }
    }
    const prefix = `anthropic-ratelimit-${kind}`;
    const reading = readBudget(kind, headers, `${prefix}-limit`, `${prefix}-remaining`, `${prefix}-reset`, now);
    if (reading !== undefined) readings.push(reading);
  }
  return readings;
}

function readBudget(kind: BudgetKind, headers: HeaderSource, limitName: string, remainingName: string, resetName: string, now: number): BudgetReading | undefined {
  const remainingText = headers.get(remainingName);
  if (remainingText === null) return undefined;
  const remaining = parseCount(remainingText);
  const resetText = headers.get(resetName);
  const resetAt = resetText === null ? undefined : parseReset(resetText, now);
  if (remaining === undefined || resetAt === undefined) return undefined;
  const limitText = headers.get(limitName);
  const limit = limitText === null ? undefined : parseCount(limitText);
  return { kind, limit, remaining, resetAt };
}

/** A non-negative count (`499`, `149984`); anything else is `undefined`. */
export function parseCount(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, 'μs': 0.001, ns: 0.000_001 };

/**
 * Milliseconds of a Go duration as OpenAI sends it (`1s`, `6m0s`, `20ms`, `1h2m3.5s`);
 * `undefined` for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let total = 0;
  let rest = trimmed;
  while (rest !== '') {
    const part = /^(\d+(?:\.\d+)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)/.exec(rest);
    if (part === null) return undefined;
    total += Number(part[1]) * (UNIT_MS[part[2] ?? ''] ?? Number.NaN);
    rest = rest.slice(part[0].length);
  }
  return Number.isFinite(total) ? total : undefined;
}

/**
 * When a budget is full again: a duration from `now` (`6m0s`; a bare number is seconds) or an
 * RFC 3339 time (`2026-12-03T14:00:00Z`, fractions allowed); `undefined` for junk.
 */
export function parseReset(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  const duration = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : parseDuration(trimmed);
  if (duration !== undefined) return now + duration;
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(trimmed)) return undefined;
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? undefined : time;
}
