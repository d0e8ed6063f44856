import { afterEach, describe, expect, test, vi } from 'vitest';
import { ProviderError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/random.js';
import { retryAfterMs } from '../../../src/providers/transport/retry.js';
import { createTransport, type RetryEvent } from '../../../src/providers/transport/transport.js';
import { failing, httpError } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('retries', () => {
  test.each([408, 409, 429, 500, 502, 503, 529])('HTTP %i is retried', async (status) => {
    const transport = createTransport({ retryDelay: 1 });
    const { attempt } = failing(httpError(status));
    await expect(transport.send(attempt, { provider: 'test' })).resolves.toBe('ok');
    expect(attempt).toHaveBeenCalledTimes(2);
  });

  test.each([400, 401, 403, 404, 422])('HTTP %i is never retried', async (status) => {
    const transport = createTransport({ retryDelay: 1, maxRetries: 5 });
    const { attempt } = failing(httpError(status), httpError(status));
    const error = await transport.send(attempt, { provider: 'test' }).catch((caught: unknown) => caught);
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status, isRetryable: false, provider: 'test' });
  });

  test('x-should-retry overrides the status: false stops a 503, true retries a 400', async () => {
    const transport = createTransport({ retryDelay: 1, maxRetries: 3 });
    const vetoed = failing(httpError(503, { 'x-should-retry': 'false' }));
    const vetoError = await transport.send(vetoed.attempt, { provider: 'test' }).catch((caught: unknown) => caught);
    expect(vetoed.attempt).toHaveBeenCalledTimes(1);
    expect(vetoError).toMatchObject({ status: 503, isRetryable: false });
    const forced = failing(httpError(400, { 'x-should-retry': 'true' }), httpError(400, { 'x-should-retry': 'true' }));
    await expect(transport.send(forced.attempt, { provider: 'test' })).resolves.toBe('ok');
    expect(forced.attempt).toHaveBeenCalledTimes(3);
  });

  test('gives up after maxRetries and says how to go on', async () => {
    const transport = createTransport({ retryDelay: 1, maxRetries: 2 });
    const { attempt } = failing(httpError(500), httpError(500), httpError(500), httpError(500));
    const error = await transport.send(attempt, { provider: 'test' }).catch((caught: unknown) => caught);
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(/Gave up after 3 attempts; raise `maxRetries`/);
    expect((error as ProviderError).status).toBe(500);
  });

  test('maxRetries 0 makes exactly one attempt', async () => {
    const transport = createTransport({ maxRetries: 0 });
    const { attempt } = failing(httpError(503));
    await expect(transport.send(attempt, { provider: 'test' })).rejects.toMatchObject({ status: 503 });
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  test('with maxRetries 0 a retryable failure says it was not retried, never that it was', async () => {
    const transport = createTransport({ maxRetries: 0 });
    const error = await transport.send(failing(httpError(503)).attempt, { provider: 'test' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/server error; retryable\. Not retried: `maxRetries` is 0\.$/);
    expect((error as Error).message).not.toMatch(/retried automatically/i);
  });

  test('backoff doubles and its jitter comes from the injected random source', async () => {
    const delays = async (random: () => number): Promise<number[]> => {
      const events: RetryEvent[] = [];
      const transport = createTransport({ retryDelay: 4, maxRetries: 3, random, onRetry: (event) => events.push(event) });
      await transport.send(failing(httpError(500), httpError(500), httpError(500)).attempt, { provider: 'test' });
      return events.map((event) => event.delayMs);
    };
    expect(await delays(() => 0)).toEqual([2, 4, 8]);
    expect(await delays(() => 0.999_999)).toEqual([4, 8, 16]);
    const seeded = await delays(createRng(7));
    expect(await delays(createRng(7))).toEqual(seeded);
    seeded.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(2 * 2 ** index);
      expect(delay).toBeLessThanOrEqual(4 * 2 ** index);
    });
  });

  test('backoff is capped by maxRetryDelay', async () => {
    const events: RetryEvent[] = [];
    const transport = createTransport({
      retryDelay: 10,
      maxRetryDelay: 15,
      random: () => 0.999_999,
      onRetry: (event) => events.push(event),
    });
    await transport.send(failing(httpError(500), httpError(500), httpError(500)).attempt, { provider: 'test' });
    expect(events.map((event) => event.delayMs)).toEqual([10, 15, 15]);
  });
});

describe('retry-after', () => {
  test('parses retry-after-ms, retry-after seconds and an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after-ms': '250' }, now)).toBe(250);
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }, now)).toBe(7000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }, now)).toBe(0);
    expect(retryAfterMs({ 'retry-after-ms': '120', 'retry-after': '9' }, now)).toBe(120);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });

  test('the next attempt waits exactly as long as retry-after-ms says, not the backoff', async () => {
    vi.useFakeTimers();
    const transport = createTransport({ retryDelay: 10 });
    const { attempt } = failing(httpError(429, { 'retry-after-ms': '1500' }));
    const result = transport.send(attempt, { provider: 'test' });
    await vi.advanceTimersByTimeAsync(1499);
    expect(attempt).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempt).toHaveBeenCalledTimes(2);
    await expect(result).resolves.toBe('ok');
  });

  test('a retry-after longer than maxRetryDelay waits maxRetryDelay', async () => {
    const events: RetryEvent[] = [];
    const transport = createTransport({ maxRetryDelay: 20, onRetry: (event) => events.push(event) });
    await transport.send(failing(httpError(503, { 'retry-after': '3600' })).attempt, { provider: 'test' });
    expect(events[0]?.delayMs).toBe(20);
  });

});
