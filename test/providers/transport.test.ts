import { inspect } from 'node:util';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ConfigError, ProviderError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/random.js';
import { createTransport, redact, retryAfterMs, toProviderError, type RetryEvent } from '../../src/providers/transport.js';

/** An error shaped like the SDKs' `APIError`: numeric status and a `Headers`. */
function httpError(status: number, headers: Record<string, string> = {}, message = `${status} scripted`): Error {
  return Object.assign(new Error(message), { status, headers: new Headers(headers) });
}

/** An attempt that fails with the given errors in turn, then resolves with 'ok'. */
function failing(...errors: unknown[]) {
  const calls: number[] = [];
  const attempt = vi.fn(async () => {
    calls.push(Date.now());
    const error = errors[calls.length - 1];
    if (error !== undefined) throw error;
    return 'ok';
  });
  return { attempt, calls };
}

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

  test('a 429 pauses the other requests of the same transport until retry-after passes', async () => {
    vi.useFakeTimers();
    const transport = createTransport({ retryDelay: 10 });
    const limited = failing(httpError(429, { 'retry-after-ms': '1000' }));
    const first = transport.send(limited.attempt, { provider: 'test' });
    await vi.advanceTimersByTimeAsync(0);
    expect(limited.attempt).toHaveBeenCalledTimes(1);

    const other = failing();
    const second = transport.send(other.attempt, { provider: 'test' });
    await vi.advanceTimersByTimeAsync(900);
    expect(other.attempt).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(other.attempt).toHaveBeenCalledTimes(1);
    await expect(Promise.all([first, second])).resolves.toEqual(['ok', 'ok']);

    // A separate transport is not paused.
    const separate = createTransport();
    const unrelated = failing();
    const blocked = transport.send(failing(httpError(429, { 'retry-after-ms': '1000' })).attempt, { provider: 'test' });
    await vi.advanceTimersByTimeAsync(0);
    await expect(separate.send(unrelated.attempt, { provider: 'test' })).resolves.toBe('ok');
    await vi.advanceTimersByTimeAsync(1000);
    await blocked;
  });
});

describe('timeout and abort', () => {
  test('an attempt that outlives the timeout is aborted and retried', async () => {
    const transport = createTransport({ timeout: 40, maxRetries: 1, retryDelay: 1 });
    const signals: AbortSignal[] = [];
    const attempt = vi.fn((signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<string>(() => undefined); // never settles, ignores the signal
    });
    const error = await transport.send(attempt, { provider: 'slow' }).catch((caught: unknown) => caught);
    expect(attempt).toHaveBeenCalledTimes(2);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(/slow request timed out after 40 ms/);
    expect((error as ProviderError).isRetryable).toBe(true);
  });

  test('abort during the backoff wait rejects promptly with signal.reason', async () => {
    const transport = createTransport({ retryDelay: 10_000, random: () => 0.999 });
    const controller = new AbortController();
    const reason = new Error('user stopped');
    const { attempt } = failing(httpError(500));
    const started = performance.now();
    const result = transport.send(attempt, { provider: 'test', signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await expect(result).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  test('abort mid-attempt rejects with signal.reason even when the attempt ignores the signal', async () => {
    const transport = createTransport();
    const controller = new AbortController();
    const result = transport.send(() => new Promise<string>(() => undefined), {
      provider: 'test',
      signal: controller.signal,
    });
    controller.abort('a string reason');
    await expect(result).rejects.toBe('a string reason');
  });

  test('an already aborted signal starts no attempt', async () => {
    const transport = createTransport();
    const attempt = vi.fn(async () => 'ok');
    await expect(transport.send(attempt, { provider: 'test', signal: AbortSignal.abort('early') })).rejects.toBe('early');
    expect(attempt).not.toHaveBeenCalled();
  });
});

describe('error normalisation', () => {
  test('SDK APIError keeps its status and headers', () => {
    const sdkError = APIError.generate(429, { error: { message: 'slow down' } }, undefined, new Headers({ 'retry-after-ms': '5' }));
    const error = toProviderError(sdkError, { provider: 'openai' });
    expect(error).toMatchObject({ status: 429, isRetryable: true, provider: 'openai', headers: { 'retry-after-ms': '5' } });
    expect(error.message).toMatch(/^openai returned HTTP 429: .*slow down.*lower the concurrency/);
    expect(error.cause).toBe(sdkError);
  });

  test('connection errors, SDK timeouts and malformed JSON are retryable; unknown errors are not', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }) });
    expect(toProviderError(fetchFailed, { provider: 'p' })).toMatchObject({ isRetryable: true });
    expect(toProviderError(fetchFailed, { provider: 'p' }).message).toMatch(/connection failed: fetch failed: other side closed \(ECONNRESET\)/);
    expect(toProviderError(new APIConnectionError({ message: 'Connection error.' }), { provider: 'p' }).isRetryable).toBe(true);
    const timeout = toProviderError(new APIConnectionTimeoutError(), { provider: 'p' });
    expect(timeout.isRetryable).toBe(true);
    expect(timeout.message).toMatch(/timed out/);
    expect(toProviderError(new SyntaxError('Unexpected end of JSON input'), { provider: 'p' })).toMatchObject({
      isRetryable: true,
    });
    expect(toProviderError(new RangeError('bug'), { provider: 'p' })).toMatchObject({ isRetryable: false });
  });

  test('the API key never appears in the message, cause chain or retry events', async () => {
    const key = 'sk-proj-SECRETabcdef0123456789';
    const masked = 'sk-proj-**********************6789';
    const events: RetryEvent[] = [];
    const transport = createTransport({ retryDelay: 1, maxRetries: 1, onRetry: (event) => events.push(event) });
    const leaky = () =>
      Object.assign(new Error(`401 Incorrect API key provided: ${key}`, { cause: new Error(`while sending ${masked}`) }), {
        status: 500,
        headers: new Headers(),
        error: { message: `key ${key}` },
      });
    const error = await transport
      .send(async () => {
        throw leaky();
      }, { provider: 'openai', secrets: [key] })
      .catch((caught: unknown) => caught);
    const serialized = inspect(error, { depth: 20 }) + inspect(events, { depth: 20 });
    expect(serialized).toContain('[redacted]');
    expect(serialized).not.toContain(key);
    expect(serialized).not.toContain('SECRET');
    expect(serialized).not.toContain(masked);
    expect(events).toHaveLength(1);
  });

  test('secrets given as a function are read when the error is built, not when the request starts', async () => {
    const transport = createTransport({ maxRetries: 0 });
    let key: string | undefined;
    const error = await transport
      .send(
        async () => {
          key = 'sk-learned-during-the-attempt-0123';
          throw httpError(401, {}, `401 Incorrect API key provided: ${key}`);
        },
        { provider: 'openai', secrets: () => (key === undefined ? [] : [key]) },
      )
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('openai returned HTTP 401: Incorrect API key provided: [redacted]. Check the API key.');
    expect(inspect(error, { depth: 20 })).not.toContain('learned-during');
  });

  test('redact removes the key and masked fragments but leaves other words', () => {
    const key = 'sk-ant-api03-VERYSECRETvalue42';
    expect(redact(`key=${key}.`, [key])).toBe('key=[redacted].');
    expect(redact('provided: sk-ant-***************ue42 is wrong', [key])).toBe('provided: [redacted] is wrong');
    expect(redact('a fragment VERYSECRETvalue leaked', [key])).toBe('a fragment [redacted] leaked');
    expect(redact('nothing to see in this message-id req_123456', [key])).toBe('nothing to see in this message-id req_123456');
  });
});

describe('rate limits', () => {
  test('requestsPerMinute spaces attempts evenly', async () => {
    vi.useFakeTimers();
    const transport = createTransport({ requestsPerMinute: 600 });
    const starts: number[] = [];
    const begin = Date.now();
    const sends = Array.from({ length: 4 }, () =>
      transport.send(async () => {
        starts.push(Date.now() - begin);
        return 'ok';
      }, { provider: 'test' }),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(sends);
    expect(starts).toEqual([0, 100, 200, 300]);
  });

  test('tokensPerMinute delays the next attempt by the estimated tokens of the previous ones', async () => {
    vi.useFakeTimers();
    const transport = createTransport({ tokensPerMinute: 6000 }); // 10 ms per token
    const starts: number[] = [];
    const begin = Date.now();
    const send = (estimatedTokens: number) =>
      transport.send(async () => {
        starts.push(Date.now() - begin);
        return 'ok';
      }, { provider: 'test', estimatedTokens });
    const sends = [send(50), send(10), send(1)];
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all(sends);
    expect(starts).toEqual([0, 500, 600]);
  });

  test('concurrency bounds the attempts in flight', async () => {
    const transport = createTransport({ concurrency: 2 });
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        transport.send(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 10));
          active -= 1;
          return 'ok';
        }, { provider: 'test' }),
      ),
    );
    expect(peak).toBe(2);
  });
});

describe('options', () => {
  test.each([
    ['maxRetries', { maxRetries: -1 }],
    ['maxRetries', { maxRetries: 1.5 }],
    ['timeout', { timeout: 0 }],
    ['retryDelay', { retryDelay: Number.NaN }],
    ['requestsPerMinute', { requestsPerMinute: -5 }],
    ['tokensPerMinute', { tokensPerMinute: Number.POSITIVE_INFINITY }],
    ['concurrency', { concurrency: 0 }],
  ])('invalid %s is a ConfigError naming it', (option, options) => {
    expect(() => createTransport(options)).toThrow(ConfigError);
    expect(() => createTransport(options)).toThrow(new RegExp(`\`${option}\``));
  });
});
