import pLimit from 'p-limit';
import { ConfigError } from '../core/errors.js';

/** Runs a function when a slot is free; one limiter bounds every request of a run. */
export type Limiter = <T>(work: () => Promise<T>) => Promise<T>;

/** A limiter allowing `concurrency` requests in flight at once. */
export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('concurrency', concurrency, 'an integer of at least 1');
  }
  const limit = pLimit(concurrency);
  return (work) => limit(work);
}
