import { raceAbort } from '../core/wait.js';

/**
 * Anthropic makes a prompt-cache entry readable only once the response that
 * wrote it has begun, so requests sent together with a new prefix would each
 * pay the cache write (1.25× input) instead of one write and many reads (0.1×).
 * A warmer lets the first request with a prefix not used lately go alone; the
 * others with that prefix wait for its response, then go together and read.
 */
export interface CacheWarmer {
  /** Sends through the warmer: at once when `prefix` is `undefined` or warm, else after (or as) its first request, whether that succeeds or fails. */
  send<T>(prefix: string | undefined, signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T>;
}

/** How long a written prefix is taken as cached: Anthropic keeps an entry 5 minutes after its last use. */
const warmForMs = 4 * 60 * 1000;

/** A warmer for one provider. `now` is injectable for tests. */
export function createCacheWarmer(now: () => number = Date.now): CacheWarmer {
  const lastUsed = new Map<string, number>();
  const warming = new Map<string, Promise<void>>();

  const send = async <T>(prefix: string | undefined, signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T> => {
    if (prefix === undefined) return request();
    const used = lastUsed.get(prefix);
    if (used !== undefined && now() - used < warmForMs) {
      lastUsed.set(prefix, now());
      return request();
    }
    const first = warming.get(prefix);
    if (first !== undefined) {
      await raceAbort(() => first, signal);
      // Warm now; or the first request failed, and then the waiting ones go together rather than
      // each in turn (an outage must not serialise a whole iteration). A later request warms again.
      return request();
    }
    const attempt = request();
    const settled = attempt.then(
      () => {
        lastUsed.set(prefix, now());
        forgetStale(lastUsed, now());
      },
      () => {},
    );
    warming.set(
      prefix,
      settled.finally(() => warming.delete(prefix)),
    );
    return attempt;
  };
  return { send };
}

/** Drops prefixes the provider's cache has let go of, so a long run's memory stays flat. */
function forgetStale(lastUsed: Map<string, number>, time: number): void {
  if (lastUsed.size < 256) return;
  for (const [prefix, used] of lastUsed) if (time - used >= warmForMs) lastUsed.delete(prefix);
}
