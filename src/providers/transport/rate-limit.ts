import { wait } from '../../core/wait.js';

/** The per-minute limits and the 429 pause of one transport. */
export interface RateLimit {
  /**
   * Resolves when an attempt of `estimatedTokens` may start: after any 429 pause,
   * at the earliest start both per-minute limits allow. Rejects with `signal.reason` on abort.
   * `undefined` when it may start now (no limit set, no pause): nothing to await.
   */
  admit(estimatedTokens: number, signal: AbortSignal | undefined): Promise<void> | undefined;
  /** Holds every attempt through this transport for `ms` milliseconds (after a 429). */
  pause(ms: number): void;
}

/** Limits of `createRateLimit`; `undefined` is no limit. */
export interface RateLimitOptions {
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
}

/**
 * Even spacing for requests and tokens per minute: each attempt reserves the
 * earliest start both limits allow and pushes the next start back.
 */
export function createRateLimit(options: RateLimitOptions): RateLimit {
  const schedule = createSchedule(options);
  let pausedUntil = 0;
  const unlimited = options.requestsPerMinute === undefined && options.tokensPerMinute === undefined;
  const admitted = async (estimatedTokens: number, signal: AbortSignal | undefined): Promise<void> => {
    while (pausedUntil > Date.now()) await wait(pausedUntil - Date.now(), signal);
    const reservation = schedule.reserve(estimatedTokens);
    try {
      await wait(reservation.delayMs, signal);
    } catch (error) {
      // An aborted attempt gives its turn back, so it does not delay the ones after it.
      reservation.cancel();
      throw error;
    }
  };
  return {
    admit: (estimatedTokens, signal) => (unlimited && pausedUntil <= Date.now() ? undefined : admitted(estimatedTokens, signal)),
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, Date.now() + ms);
    },
  };
}

interface Reservation {
  readonly delayMs: number;
  cancel(): void;
}

function createSchedule(options: RateLimitOptions): { reserve(estimatedTokens: number): Reservation } {
  const msPerRequest = options.requestsPerMinute === undefined ? 0 : 60_000 / options.requestsPerMinute;
  const msPerToken = options.tokensPerMinute === undefined ? 0 : 60_000 / options.tokensPerMinute;
  let nextRequestAt = 0;
  let nextTokensAt = 0;
  return {
    reserve(estimatedTokens) {
      const now = Date.now();
      if (msPerRequest === 0 && msPerToken === 0) return { delayMs: 0, cancel: () => undefined };
      const start = Math.max(now, nextRequestAt, nextTokensAt);
      const requestCost = msPerRequest;
      const tokenCost = (Number.isFinite(estimatedTokens) && estimatedTokens > 0 ? estimatedTokens : 0) * msPerToken;
      nextRequestAt = start + requestCost;
      nextTokensAt = start + tokenCost;
      return {
        delayMs: start - now,
        cancel: () => {
          nextRequestAt -= requestCost;
          nextTokensAt -= tokenCost;
        },
      };
    },
  };
}
