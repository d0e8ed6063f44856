import { describe, expect, test, vi } from 'vitest';
import { createConcurrencyLimit } from '../../../src/providers/transport/concurrency.js';
import { createTransport } from '../../../src/providers/transport/transport.js';

/** Jobs that finish when the test says, counting how many run at once. */
function controlledJobs() {
  const finishers: Array<() => void> = [];
  const state = { active: 0, peak: 0, started: 0 };
  const job = () => {
    state.started += 1;
    state.active += 1;
    state.peak = Math.max(state.peak, state.active);
    return new Promise<string>((resolve) => {
      finishers.push(() => {
        state.active -= 1;
        resolve('done');
      });
    });
  };
  return { state, finishers, job };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('concurrency', () => {
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

  test('jobs in flight never exceed the limit, and each finished job lets one more start', async () => {
    const limit = createConcurrencyLimit(3);
    const { state, finishers, job } = controlledJobs();
    const results = Array.from({ length: 7 }, () => limit(job, undefined));
    await tick();
    expect(state).toEqual({ active: 3, peak: 3, started: 3 });
    finishers.shift()?.();
    await tick();
    expect(state.started).toBe(4);
    while (finishers.length > 0) {
      finishers.shift()?.();
      await tick();
    }
    await expect(Promise.all(results)).resolves.toHaveLength(7);
    expect(state.peak).toBe(3);
  });

  test('a queued job whose signal aborts rejects promptly with signal.reason and never starts', async () => {
    const limit = createConcurrencyLimit(1);
    const { state, finishers, job } = controlledJobs();
    const running = limit(job, undefined);
    const controller = new AbortController();
    const queuedJob = vi.fn(job);
    const queued = limit(queuedJob, controller.signal);
    const after = limit(job, undefined);
    await tick();
    const reason = new Error('stopped');
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    expect(state.active).toBe(1);

    finishers.shift()?.();
    await tick();
    expect(queuedJob).not.toHaveBeenCalled();
    // The aborted job's turn passed to the next one.
    expect(state).toEqual({ active: 1, peak: 1, started: 2 });
    finishers.shift()?.();
    await expect(Promise.all([running, after])).resolves.toEqual(['done', 'done']);
  });

  test('an already aborted signal rejects at once and starts nothing', async () => {
    const limit = createConcurrencyLimit(1);
    const job = vi.fn(async () => 'done');
    await expect(limit(job, AbortSignal.abort('early'))).rejects.toBe('early');
    expect(job).not.toHaveBeenCalled();
  });

  test('a queued attempt aborted while another holds the only slot never starts', async () => {
    const transport = createTransport({ concurrency: 1 });
    let release = (): void => undefined;
    const first = transport.send(
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('first');
        }),
      { provider: 'test' },
    );
    const controller = new AbortController();
    const queued = vi.fn(async () => 'queued');
    const second = transport.send(queued, { provider: 'test', signal: controller.signal });
    await tick();
    controller.abort('stopped');
    await expect(second).rejects.toBe('stopped');
    release();
    await expect(first).resolves.toBe('first');
    await tick();
    expect(queued).not.toHaveBeenCalled();
  });
});
