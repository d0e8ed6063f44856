import { describe, expect, test, vi } from 'vitest';
import { ConfigError, ProviderError } from '../../../src/core/errors.js';
import { createTransport } from '../../../src/providers/transport/transport.js';
import { failing, httpError } from './helpers.js';

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

  test('a timeout beyond the longest timer (2^31 - 1 ms) does not cut the attempt short', async () => {
    // setTimeout fires such a delay at once; the transport arms its timer for at most that long.
    const transport = createTransport({ timeout: 2 ** 31 + 1_000, maxRetries: 0 });
    const answer = (): Promise<string> => new Promise((resolve) => setTimeout(() => resolve('ok'), 30));
    await expect(transport.send(answer, { provider: 'test' })).resolves.toBe('ok');
  });

  test('attempts in flight at once each time out after the timeout, in the order they started', async () => {
    const transport = createTransport({ timeout: 60, maxRetries: 0 });
    const stalled = (): Promise<string> => new Promise<string>(() => undefined);
    const started = performance.now();
    const ended: number[] = [];
    const sends = [0, 20, 40].map(async (delay, i) => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      await transport.send(stalled, { provider: 'test' }).catch(() => ended.push(i));
      return performance.now() - started;
    });
    const times = await Promise.all(sends);
    expect(ended).toEqual([0, 1, 2]);
    times.forEach((time, i) => expect(time).toBeGreaterThanOrEqual(i * 20 + 59));
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

describe('options', () => {
  test.each([
    ['maxRetries', { maxRetries: -1 }],
    ['maxRetries', { maxRetries: 1.5 }],
    ['timeout', { timeout: 0 }],
    ['retryDelay', { retryDelay: Number.NaN }],
    ['requestsPerMinute', { requestsPerMinute: -5 }],
    ['tokensPerMinute', { tokensPerMinute: Number.POSITIVE_INFINITY }],
    ['concurrency', { concurrency: 0 }],
    ['pacing', { pacing: 'yes' as unknown as boolean }],
    ['startConcurrency', { startConcurrency: 0 }],
    ['startConcurrency', { startConcurrency: 2.5 }],
  ])('invalid %s is a ConfigError naming it', (option, options) => {
    expect(() => createTransport(options)).toThrow(ConfigError);
    expect(() => createTransport(options)).toThrow(new RegExp(`\`${option}\``));
  });

  test('pacing is a transport option: a provider given a transport refuses its own', async () => {
    const { openai } = await import('../../../src/providers/openai.js');
    const transport = createTransport({ pacing: false });
    expect(transport.pacing?.state().window).toBe(Number.POSITIVE_INFINITY);
    expect(() => openai({ model: 'gpt-4o-mini', apiKey: 'sk-test', transport, pacing: true })).toThrow(/`pacing`.*set `pacing` on the transport/);
  });
});
