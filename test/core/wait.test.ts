import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createAbortRacer, raceAbort, wait } from '../../src/core/wait.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('wait', () => {
  test('resolves after the given milliseconds, not before', async () => {
    vi.useFakeTimers();
    let done = false;
    const waiting = wait(1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  test('abort during the wait rejects promptly with signal.reason and clears the timer', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error('stopped');
    const waiting = wait(60_000, controller.signal);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('an already aborted signal rejects at once, even for a zero wait', async () => {
    vi.useFakeTimers();
    await expect(wait(60_000, AbortSignal.abort('early'))).rejects.toBe('early');
    await expect(wait(0, AbortSignal.abort('early'))).rejects.toBe('early');
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a zero or negative wait resolves at once without a timer', async () => {
    vi.useFakeTimers();
    await expect(wait(0)).resolves.toBeUndefined();
    await expect(wait(-5, new AbortController().signal)).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a finished wait leaves no abort listener on the signal', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const waiting = wait(10, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    await waiting;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('raceAbort', () => {
  test('settles as the run does and then stops listening to the signal', async () => {
    const controller = new AbortController();
    await expect(raceAbort(async () => 'value', controller.signal)).resolves.toBe('value');
    await expect(raceAbort(() => Promise.reject(new Error('failed')), controller.signal)).rejects.toThrow('failed');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('abort rejects with signal.reason even when the run ignores the signal', async () => {
    const controller = new AbortController();
    const racing = raceAbort(() => new Promise<string>(() => undefined), controller.signal);
    controller.abort('a string reason');
    await expect(racing).rejects.toBe('a string reason');
  });

  test('an already aborted signal rejects without calling the run', async () => {
    const run = vi.fn(async () => 'value');
    await expect(raceAbort(run, AbortSignal.abort('early'))).rejects.toBe('early');
    expect(run).not.toHaveBeenCalled();
  });

  test('a run that throws synchronously rejects, with or without a signal', async () => {
    const run = (): Promise<string> => {
      throw new Error('thrown');
    };
    await expect(raceAbort(run, undefined)).rejects.toThrow('thrown');
    await expect(raceAbort(run, new AbortController().signal)).rejects.toThrow('thrown');
  });
});

describe('createAbortRacer', () => {
  test('keeps one abort listener however many calls are pending, and rejects them all on abort', async () => {
    const controller = new AbortController();
    const race = createAbortRacer(controller.signal);
    const pending = Array.from({ length: 1000 }, () => race(() => new Promise<number>(() => {})));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('stop');
    controller.abort(reason);
    const settled = await Promise.allSettled(pending);
    expect(settled.every((result) => result.status === 'rejected' && result.reason === reason)).toBe(true);
  });

  test('passes values and errors through, and rejects at once once aborted', async () => {
    const controller = new AbortController();
    const race = createAbortRacer(controller.signal);
    await expect(race(() => Promise.resolve(3))).resolves.toBe(3);
    await expect(race(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    controller.abort(new Error('gone'));
    await expect(race(() => Promise.resolve(3))).rejects.toThrow('gone');
  });
});
