import pLimit from 'p-limit';
import { raceAbort, settleOf } from '../../core/wait.js';

/** Runs `job` when a slot is free. A job whose signal aborts while it waits never starts; the promise rejects with `signal.reason`. */
export type ConcurrencyLimit = <T>(job: () => Promise<T>, signal: AbortSignal | undefined) => Promise<T>;

/** A limit of `concurrency` jobs running at once (`Infinity` for none). `concurrency` is validated by the caller. */
export function createConcurrencyLimit(concurrency: number): ConcurrencyLimit {
  // No limit (the default): no job ever waits, so there is no queue to race the signal against (and
  // no listener to add to it and remove per request).
  if (concurrency === Number.POSITIVE_INFINITY) return (job, signal) => (signal?.aborted ? Promise.reject(signal.reason) : settleOf(job));
  const limit = pLimit(concurrency);
  // p-limit's queue takes no signal, so the wait is raced against it here, and an aborted entry
  // left in the queue gives its slot back without starting the job when its turn comes.
  return (job, signal) => raceAbort(() => limit(() => (signal?.aborted ? Promise.reject(signal.reason) : job())), signal);
}
