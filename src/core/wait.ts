/**
 * Waits `ms` milliseconds. Rejects with `signal.reason` as soon as the signal aborts,
 * and at once when it already has; `ms <= 0` resolves at once.
 * @example
 * await wait(500, signal);
 */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `run` and settles as it does, but rejects with `signal.reason` as soon as the
 * signal aborts, even if `run` ignores it. An already aborted signal rejects without calling `run`.
 */
export function raceAbort<T>(run: () => PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return settleOf(run);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    const settle = (): void => signal.removeEventListener('abort', onAbort);
    // Listening before `run` starts: a `run` that aborts the signal itself still rejects with its reason.
    signal.addEventListener('abort', onAbort, { once: true });
    settleOf(run).then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/** `run()` as a promise; a synchronous throw becomes a rejection. */
export function settleOf<T>(run: () => PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Races work against one signal; see `createAbortRacer`. */
export type AbortRacer = <T>(run: () => PromiseLike<T>) => Promise<T>;

/**
 * `raceAbort` for the many calls of one run: one listener on the signal for all of them,
 * instead of one each. With thousands of calls pending at once (an iteration's rewards),
 * a listener each makes every removal walk the others.
 */
export function createAbortRacer(signal: AbortSignal | undefined): AbortRacer {
  if (signal === undefined) return settleOf;
  const pending = new Set<(reason: unknown) => void>();
  signal.addEventListener(
    'abort',
    () => {
      for (const reject of pending) reject(signal.reason);
      pending.clear();
    },
    { once: true },
  );
  return <T>(run: () => PromiseLike<T>): Promise<T> => {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      pending.add(reject);
      settleOf(run).then(
        (value) => {
          pending.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(reject);
          reject(error);
        },
      );
    });
  };
}

/**
 * A racer's race with a time limit: rejects with `timedOut()` when `run` has not settled within
 * `ms` milliseconds (`Infinity` or `undefined`: no limit). `run` is abandoned, not stopped:
 * give it the signal too if it can stop.
 */
export function within<T>(run: () => PromiseLike<T>, race: AbortRacer, ms: number | undefined, timedOut: () => unknown): Promise<T> {
  if (ms === undefined || ms === Number.POSITIVE_INFINITY) return race(run);
  let handle: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<never>((_, reject) => {
    handle = setTimeout(() => reject(timedOut()), ms);
  });
  return Promise.race([race(run), timer]).finally(() => clearTimeout(handle));
}
