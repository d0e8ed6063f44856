import { describe, expect, test } from 'vitest';
import { parseCount, parseDuration, parseReset, readRateLimitHeaders } from '../../../src/providers/transport/rate-limit-headers.js';

const now = Date.parse('2026-12-03T14:00:00.000Z');

describe('rate-limit headers', () => {
  test.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['59.999s', 59_999],
    ['0s', 0],
    ['1m30s', 90_000],
    ['1.5ms', 1.5],
    ['500us', 0.5],
    [' 2s ', 2000],
  ])('reads the Go duration %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 6);
  });

  test.each(['', 's', '1', '1x', '-1s', '1s junk', 'abc', '1h-2m', 'NaNs', '1e3s', 'ms'])('ignores the junk duration %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test('reads a reset as a duration, bare seconds or an RFC 3339 time', () => {
    expect(parseReset('6m0s', now)).toBe(now + 360_000);
    expect(parseReset('2', now)).toBe(now + 2000);
    expect(parseReset('2026-12-03T14:00:05Z', now)).toBe(now + 5000);
    expect(parseReset('2026-12-03T14:00:05.250Z', now)).toBe(now + 5250);
    expect(parseReset('2026-12-03T15:00:05+01:00', now)).toBe(now + 5000);
    for (const junk of ['tomorrow', 'Thu, 03 Dec 2026 14:00:05 GMT', '2026-12-03', '2026-13-45T99:00:00Z', '']) {
      expect(parseReset(junk, now)).toBeUndefined();
    }
  });

  test('reads counts and ignores junk ones', () => {
    expect(parseCount('499')).toBe(499);
    expect(parseCount(' 149984 ')).toBe(149_984);
    for (const junk of ['-1', 'ten', '', '1e6', 'NaN', 'Infinity', '12abc']) expect(parseCount(junk)).toBeUndefined();
  });

  test("reads OpenAI's x-ratelimit-* triples for requests and tokens", () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(readRateLimitHeaders(headers, now)).toEqual([
      { kind: 'requests', limit: 500, remaining: 499, resetAt: now + 120 },
      { kind: 'tokens', limit: 200_000, remaining: 149_984, resetAt: now + 360_000 },
    ]);
  });

  test("reads Anthropic's anthropic-ratelimit-* families: requests, tokens, input and output tokens", () => {
    const family = (name: string, limit: string, remaining: string, reset: string) => ({
      [`anthropic-ratelimit-${name}-limit`]: limit,
      [`anthropic-ratelimit-${name}-remaining`]: remaining,
      [`anthropic-ratelimit-${name}-reset`]: reset,
    });
    const headers = new Headers({
      ...family('requests', '50', '49', '2026-12-03T14:00:01Z'),
      ...family('tokens', '90000', '89000', '2026-12-03T14:00:02Z'),
      ...family('input-tokens', '40000', '39500', '2026-12-03T14:00:03.5Z'),
      ...family('output-tokens', '8000', '7000', '2026-12-03T14:00:04Z'),
    });
    expect(readRateLimitHeaders(headers, now)).toEqual([
      { kind: 'requests', limit: 50, remaining: 49, resetAt: now + 1000 },
      { kind: 'tokens', limit: 90_000, remaining: 89_000, resetAt: now + 2000 },
      { kind: 'input-tokens', limit: 40_000, remaining: 39_500, resetAt: now + 3500 },
      { kind: 'output-tokens', limit: 8000, remaining: 7000, resetAt: now + 4000 },
    ]);
  });

  test('a budget with a junk or missing remaining or reset is left out; a junk limit is unknown', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': 'lots',
      'x-ratelimit-remaining-requests': '10',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-remaining-tokens': 'plenty',
      'x-ratelimit-reset-tokens': '1s',
      'anthropic-ratelimit-input-tokens-remaining': '5',
      'anthropic-ratelimit-input-tokens-reset': 'soon',
      'anthropic-ratelimit-output-tokens-remaining': '5',
    });
    expect(readRateLimitHeaders(headers, now)).toEqual([{ kind: 'requests', limit: undefined, remaining: 10, resetAt: now + 1000 }]);
    expect(readRateLimitHeaders(new Headers({ 'content-type': 'application/json' }), now)).toEqual([]);
  });
});
