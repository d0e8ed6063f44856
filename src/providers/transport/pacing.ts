import type { Warning } from '../../core/warnings.js';
import { readRateLimitHeaders, type BudgetKind, type HeaderSource } from './rate-limit-headers.js';

// Pacing from the providers' own rate-limit headers: how many attempts may be in flight (a
// window that grows by one while the budgets are comfortable and halves on a 429 or when they
// run low), and when the next may start (the remaining budget spread evenly until its reset).
// A server that sends no such headers is not paced.

/** What one attempt is expected to spend of the token budgets. */
export interface AttemptCost {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Settings of `createPacing`. */
export interface PacingOptions {
  /** Read the headers and pace; `false` makes the pacing a pass-through. */
  readonly enabled: boolean;
  /** Most attempts in flight, ever (`Infinity` for no ceiling). */
  readonly ceiling: number;
  /** Attempts in flight before the first response's headers are read (`Infinity`: no probe). */
  readonly startConcurrency: number;
  /** The clock (ms, `Date.now` time). @default Date.now */
  readonly now?: () => number;
}

/** Taken when a request is sent, handed back with its response's headers. */
export interface SentMark {
  /** When the request was sent. */
  at: number;
  /** Counts started through the pacing up to and with this request's start, by budget kind. */
  readonly started: Readonly<Record<BudgetKind, number>>;
}

/** An attempt's place in flight; `end` gives it back, saying whether the attempt was rate limited (429). */
export interface PacingTicket {
  end(rateLimited: boolean): void;
}

/** A budget as pacing currently sees it, for tests, benchmarks and warnings. */
export interface BudgetState {
  readonly kind: BudgetKind;
  readonly limit: number | undefined;
  /** What is left, less what was started since the server counted. */
  readonly remaining: number;
  /** When it is full again; `undefined` once that time has passed and no response told the next. */
  readonly resetAt: number | undefined;
}

/** What pacing currently allows. */
export interface PacingState {
  /** Attempts allowed in flight now. */
  readonly window: number;
  readonly inFlight: number;
  readonly queued: number;
  /** 429s seen since the pacing was created. */
  readonly rateLimited: number;
  /** Whether any response carried rate-limit headers. */
  readonly headersSeen: boolean;
  readonly budgets: readonly BudgetState[];
}

/** The pacing of one transport: every attempt starts through it and every response's headers feed it. */
export interface Pacing {
  /** A ticket when the attempt may start: at once when nothing holds it back, else a promise (rejects with `signal.reason` on abort). */
  start(cost: AttemptCost, signal: AbortSignal | undefined): PacingTicket | Promise<PacingTicket>;
  /** A mark to take as a request is sent. */
  sent(): SentMark;
  /** Reads a response's rate-limit headers; `mark` is what `sent` gave for its request. */
  received(headers: HeaderSource, mark: SentMark): void;
  /**
   * A `rate-limited` warning when the run is being throttled hard (a request waited 5 s or more,
   * or got a 429), at most once a minute; the caller prefixes the provider's name.
   */
  warning(): Warning | undefined;
  /** The current state. */
  state(): PacingState;
}

interface Budget {
  readonly kind: BudgetKind;
  limit: number | undefined;
  remaining: number;
  resetAt: number | undefined;
  /** The earliest start the budget's spacing allows. */
  nextAt: number;
  /** `started.requests` of the response that last set it: an older response's view is stale. */
  appliedMark: number;
}

interface Waiter {
  readonly cost: AttemptCost;
  readonly queuedAt: number;
  readonly resolve: (ticket: PacingTicket) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** A wait in the queue this long (ms) counts as being throttled hard. */
const HARD_WAIT_MS = 5000;
/** How far (in intervals, less one) the spacing schedule may run behind and catch up after a late timer. */
const CATCH_UP = 4;
/** At most one `rate-limited` warning per this many ms. */
const WARNING_EVERY_MS = 60_000;

const passThrough: PacingTicket = { end: () => undefined };

function costOf(kind: BudgetKind, cost: AttemptCost): number {
  if (kind === 'requests') return 1;
  if (kind === 'input-tokens') return cost.inputTokens;
  if (kind === 'output-tokens') return cost.outputTokens;
  return cost.inputTokens + cost.outputTokens;
}

/** Creates the pacing of one transport; see the module comment. */
export function createPacing(options: PacingOptions): Pacing {
  const now = options.now ?? Date.now;
  const { ceiling, enabled } = options;
  let window = enabled ? Math.min(ceiling, options.startConcurrency) : ceiling;
  let inFlight = 0;
  let headersSeen = false;
  // Until a response shows whether the server sends rate-limit headers, the window is the probe.
  let probing = window < ceiling;
  const endProbe = (): void => {
    probing = false;
    window = ceiling;
  };
  let roundTripMs: number | undefined;
  let lastDecrease = 0;
  let rateLimited = 0;
  const started: Record<BudgetKind, number> = { requests: 0, tokens: 0, 'input-tokens': 0, 'output-tokens': 0 };
  const budgets = new Map<BudgetKind, Budget>();
  const queue: Waiter[] = [];
  const unsent: SentMark[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  // What the next warning reports: the longest wait and the 429s since the last one.
  let longestWait = 0;
  let limitedSinceWarning = 0;
  let lastWarningAt = Number.NEGATIVE_INFINITY;

  const slots = (): number => Math.max(1, Math.floor(window));

  /** Milliseconds until `cost` may start (`Infinity`: until a response arrives); expired budgets are refilled. */
  const delayFor = (cost: AttemptCost, t: number): number => {
    let delay = 0;
    for (const budget of budgets.values()) {
      if (budget.resetAt !== undefined && t >= budget.resetAt) {
        budget.remaining = budget.limit ?? Number.POSITIVE_INFINITY;
        budget.resetAt = undefined;
        budget.nextAt = 0;
      }
      const units = costOf(budget.kind, cost);
      if (!(units > 0)) continue;
      if (budget.remaining >= units) delay = Math.max(delay, budget.nextAt - t);
      else if (budget.resetAt !== undefined) delay = Math.max(delay, budget.resetAt - t);
      // Spent, and the next reset unknown: wait for a response to tell it, unless none is coming.
      else if (inFlight > 0) delay = Number.POSITIVE_INFINITY;
    }
    // Under a millisecond is no wait: a plentiful budget spaces starts by less, and timers cannot do better.
    return delay < 1 ? 0 : delay;
  };

  const decrease = (): void => {
    window = Math.max(1, Math.floor((Number.isFinite(window) ? window : inFlight) / 2));
    lastDecrease = started.requests;
  };

  const begin = (cost: AttemptCost, t: number, waitedMs: number): PacingTicket => {
    inFlight += 1;
    for (const kind of Object.keys(started) as BudgetKind[]) started[kind] += costOf(kind, cost);
    for (const budget of budgets.values()) {
      const units = costOf(budget.kind, cost);
      if (!(units > 0)) continue;
      // The rest of the budget spread evenly until its reset: the next start waits its share. The
      // schedule runs from where it was, not from now, so starts a late timer held back catch up
      // (up to CATCH_UP - 1 intervals' worth at once) instead of being lost.
      if (budget.resetAt !== undefined && budget.remaining > 0) {
        const interval = (units * (budget.resetAt - t)) / budget.remaining;
        budget.nextAt = Math.max(budget.nextAt, t - (CATCH_UP - 1) * interval) + interval;
      }
      budget.remaining = Math.max(0, budget.remaining - units);
    }
    longestWait = Math.max(longestWait, waitedMs);
    const mark = started.requests;
    // What a response to this attempt is measured against: the counts as it started, handed to
    // the first `sent` after it (attempts reach the wire in the order they start).
    const counts: SentMark = { at: t, started: { ...started } };
    unsent.push(counts);
    let ended = false;
    return {
      end(limited) {
        if (ended) return;
        ended = true;
        inFlight -= 1;
        // An attempt that ended before it was sent (a missing key, an abort) leaves no mark behind.
        const index = unsent.indexOf(counts);
        if (index >= 0) unsent.splice(index, 1);
        // A provider that cannot hand over headers (a client pauper cannot wrap) ends the probe here.
        if (probing && !limited) endProbe();
        if (limited) {
          rateLimited += 1;
          limitedSinceWarning += 1;
          // Once per round trip: the 429s of attempts started before the last decrease say nothing new.
          // A server that sends no rate-limit headers is driven as before pacing existed: no decrease.
          if (headersSeen && mark > lastDecrease) decrease();
        }
        pump();
      },
    };
  };

  const pump = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    const t = now();
    while (queue.length > 0) {
      const head = queue[0] as Waiter;
      if (inFlight >= slots()) return;
      const delay = delayFor(head.cost, t);
      if (delay > 0) {
        if (Number.isFinite(delay)) timer = setTimeout(pump, Math.ceil(delay));
        return;
      }
      queue.shift();
      head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve(begin(head.cost, t, t - head.queuedAt));
    }
  };

  /** Halves the window when the budgets allow far fewer in flight than it; grows it by one when they allow more and it is full. */
  const adjustWindow = (t: number, mark: SentMark): void => {
    if (roundTripMs === undefined) return;
    let target = Number.POSITIVE_INFINITY;
    for (const budget of budgets.values()) {
      if (budget.resetAt === undefined) continue;
      const unit = budget.kind === 'requests' ? 1 : started.requests === 0 ? 0 : started[budget.kind] / started.requests;
      if (!(unit > 0)) continue;
      // In flight at once, the budget lasts exactly until its reset.
      target = Math.min(target, ((budget.remaining / unit) * roundTripMs) / Math.max(1, budget.resetAt - t));
    }
    if (!Number.isFinite(window)) window = Math.max(1, inFlight);
    // Halved, but not below what the budgets sustain with room for uneven round trips: the
    // spacing of starts, not a starved window, is what keeps the budget lasting until its reset.
    const floor = Math.ceil(2 * target) + 1;
    if (target < window / 4 && window > floor) {
      if (mark.started.requests > lastDecrease) {
        decrease();
        window = Math.max(window, floor);
      }
    } else if (target > window && inFlight >= slots()) {
      window = Math.min(ceiling, window + 1);
    }
  };

  return {
    start(cost, signal) {
      if (!enabled) return passThrough;
      signal?.throwIfAborted();
      const t = now();
      if (queue.length === 0 && inFlight < slots() && delayFor(cost, t) <= 0) return begin(cost, t, 0);
      return new Promise<PacingTicket>((resolve, reject) => {
        const waiter: Waiter = {
          cost,
          queuedAt: t,
          resolve,
          reject,
          signal,
          onAbort: () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            reject(signal?.reason);
            pump();
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
    sent() {
      const mark = unsent.shift() ?? { at: 0, started: { ...started } };
      mark.at = now();
      return mark;
    },
    received(headers, mark) {
      if (!enabled) return;
      const t = now();
      const sample = Math.max(1, t - mark.at);
      roundTripMs = roundTripMs === undefined ? sample : 0.8 * roundTripMs + 0.2 * sample;
      const readings = readRateLimitHeaders(headers, t);
      if (readings.length === 0) {
        // No headers at all: nothing to pace by, so the probe ends and the ceiling applies.
        if (probing) {
          endProbe();
          pump();
        }
        return;
      }
      headersSeen = true;
      probing = false;
      for (const reading of readings) {
        if (reading.resetAt <= t) continue;
        const budget = budgets.get(reading.kind);
        if (budget !== undefined && budget.resetAt !== undefined && mark.started.requests < budget.appliedMark) continue;
        // The server counted up to this request; what was started after it was sent is not in its figure.
        const remaining = Math.max(0, reading.remaining - (started[reading.kind] - mark.started[reading.kind]));
        if (budget === undefined) {
          budgets.set(reading.kind, {
            kind: reading.kind,
            limit: reading.limit,
            remaining,
            resetAt: reading.resetAt,
            // The schedule starts now: no catch-up for time before the budget was known.
            nextAt: t,
            appliedMark: mark.started.requests,
          });
        } else {
          if (budget.resetAt === undefined) budget.nextAt = Math.max(budget.nextAt, t);
          budget.limit = reading.limit ?? budget.limit;
          budget.remaining = remaining;
          budget.resetAt = reading.resetAt;
          budget.appliedMark = mark.started.requests;
        }
      }
      adjustWindow(t, mark);
      pump();
    },
    warning() {
      const t = now();
      if (longestWait < HARD_WAIT_MS && limitedSinceWarning === 0) return undefined;
      if (t - lastWarningAt < WARNING_EVERY_MS) return undefined;
      lastWarningAt = t;
      const message = throttledMessage([...budgets.values()], t, longestWait, limitedSinceWarning, slots(), ceiling);
      longestWait = 0;
      limitedSinceWarning = 0;
      return { code: 'rate-limited', message };
    },
    state: () => ({
      window,
      inFlight,
      queued: queue.length,
      rateLimited,
      headersSeen,
      budgets: [...budgets.values()].map(({ kind, limit, remaining, resetAt }) => ({ kind, limit, remaining, resetAt })),
    }),
  };
}

function throttledMessage(
  budgets: readonly Budget[],
  t: number,
  longestWait: number,
  limited: number,
  window: number,
  ceiling: number,
): string {
  const tightest = budgets
    .filter((budget) => budget.resetAt !== undefined && budget.limit !== undefined && budget.limit > 0)
    .sort((a, b) => a.remaining / (a.limit ?? 1) - b.remaining / (b.limit ?? 1))[0];
  const budget =
    tightest === undefined || tightest.resetAt === undefined
      ? ''
      : ` (${Math.floor(tightest.remaining)} of ${tightest.limit} ${tightest.kind} left, full again in ${((tightest.resetAt - t) / 1000).toFixed(1)} s)`;
  const waits = longestWait >= HARD_WAIT_MS ? `requests waited up to ${(longestWait / 1000).toFixed(1)} s` : '';
  const retries = limited > 0 ? `${limited} answered 429` : '';
  const inFlight = Number.isFinite(ceiling) ? `${window} of ${ceiling}` : `${window}`;
  return (
    `the provider's rate limits are pacing this run${budget}; ${[waits, retries].filter(Boolean).join(', ')}; ` +
    `${inFlight} requests allowed in flight. A higher \`concurrency\` will not make it faster; a higher rate-limit tier, fewer tokens per request or the Batch API would.`
  );
}
