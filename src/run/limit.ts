import pLimit from 'p-limit';
import { ConfigError } from '../core/errors.js';

/** Runs a function when a slot is free; one limiter bounds every request of a run. */
export type Limiter = <T>(work: () => Promise<T>) => Promise<T>;

/** A `Limiter` that also says how much work waits for a slot: what lets a run start tasks only as slots need them. */
export interface QueueLimiter extends Limiter {
  /** Work queued for a slot and not yet started. */
  readonly waiting: () => number;
  /**
   * `undefined` while fewer than `concurrency` wait for a slot (the limiter could run more soon);
   * else a promise that resolves once fewer do.
   */
  readonly room: () => Promise<void> | undefined;
}

/** A limiter allowing `concurrency` requests in flight at once. */
export function createLimiter(concurrency: number): QueueLimiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('concurrency', concurrency, 'an integer of at least 1');
  }
  const limit = pLimit(concurrency);
  let waiting = 0;
  let wakers: (() => void)[] = [];
  const started = (): void => {
    waiting--;
    if (waiting >= concurrency || wakers.length === 0) return;
    const woken = wakers;
    wakers = [];
    for (const wake of woken) wake();
  };
  const limiter = <T>(work: () => Promise<T>): Promise<T> => {
    waiting++;
    return limit(() => {
      started();
      return work();
    });
  };
  return Object.assign(limiter, {
    waiting: () => waiting,
    room: (): Promise<void> | undefined => (waiting < concurrency ? undefined : new Promise<void>((resolve) => wakers.push(resolve))),
  });
}
