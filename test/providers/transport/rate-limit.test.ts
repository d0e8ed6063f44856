import { afterEach, describe, expect, test, vi } from 'vitest';
import { createTransport } from '../../../src/providers/transport/transport.js';
import { failing, httpError } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
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
