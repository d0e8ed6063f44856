/** What stops one attempt: its timeout, or its caller's signal; `watch` calls one of these at most once. */
export interface AttemptStop {
  readonly onTimeout: () => void;
  readonly onAbort: (reason: unknown) => void;
}

/** Stops the attempts of one transport; see `createAttemptStops`. */
export interface AttemptStops {
  /**
   * Watches one attempt from now on: `stop.onTimeout` when it outlives the timeout,
   * `stop.onAbort` with the reason when `signal` aborts. The returned function ends the watch
   * (call it when the attempt settles); after it, neither is called.
   */
  watch(signal: AbortSignal | undefined, stop: AttemptStop): () => void;
}

/** The longest delay `setTimeout` takes; a longer one fires at once. */
const maxTimerDelay = 2 ** 31 - 1;

/**
 * Timeouts and aborts for every attempt of one transport, with one timer and one listener per
 * caller's signal instead of a timer and two listeners per attempt. Every attempt has the same
 * timeout, so deadlines fall due in the order attempts start: a `Set` in insertion order is
 * the queue, and the timer is armed for its head only. A listener on a run's signal for each
 * attempt made every add and remove walk all the others (Node's `EventTarget` keeps a list),
 * and the timers cost more than the rest of the transport's own work per request.
 */
export function createAttemptStops(timeout: number): AttemptStops {
  interface Watched {
    readonly due: number;
    readonly stop: AttemptStop;
    readonly followers: Set<Watched> | undefined;
  }
  // In order of `due`: attempts are added as they start, with the same timeout.
  const running = new Set<Watched>();
  // The attempts following each caller's signal, stopped by one listener on it.
  const following = new WeakMap<AbortSignal, Set<Watched>>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const arm = (): void => {
    const first = running.values().next();
    if (first.done === true) return;
    // Date.now, not performance.now: fake timers in tests move both the timer and this clock.
    timer = setTimeout(expire, Math.min(maxTimerDelay, Math.max(0, first.value.due - Date.now())));
  };
  const expire = (): void => {
    timer = undefined;
    const now = Date.now();
    for (const watched of running) {
      if (watched.due > now) break;
      end(watched);
      watched.stop.onTimeout();
    }
    arm();
  };
  const end = (watched: Watched): void => {
    running.delete(watched);
    watched.followers?.delete(watched);
    // Nothing left to time: no timer keeps the process alive.
    if (running.size === 0 && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  const followersOf = (signal: AbortSignal): Set<Watched> => {
    const known = following.get(signal);
    if (known !== undefined) return known;
    const followers = new Set<Watched>();
    following.set(signal, followers);
    signal.addEventListener(
      'abort',
      () => {
        for (const watched of followers) {
          end(watched);
          watched.stop.onAbort(signal.reason);
        }
      },
      { once: true },
    );
    return followers;
  };

  return {
    watch(signal, stop) {
      if (signal?.aborted === true) {
        stop.onAbort(signal.reason);
        return () => undefined;
      }
      const watched: Watched = { due: Date.now() + timeout, stop, followers: signal === undefined ? undefined : followersOf(signal) };
      running.add(watched);
      watched.followers?.add(watched);
      if (timer === undefined) arm();
      return () => end(watched);
    },
  };
}
