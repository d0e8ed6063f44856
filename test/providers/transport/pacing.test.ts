import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createPacing, type Pacing, type PacingTicket } from '../../../src/providers/transport/pacing.js';

// The pacing controller on a fake clock: vitest's fake timers drive both Date.now and the queue's timer.

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-12-03T14:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

const cost = { inputTokens: 100, outputTokens: 50 };

/** OpenAI-style headers: what is left of the requests (and tokens) and how long until they are full again. */
function openaiHeaders(requests: [limit: number, remaining: number, reset: string], tokens?: [number, number, string]): Headers {
  const headers = new Headers({
    'x-ratelimit-limit-requests': String(requests[0]),
    'x-ratelimit-remaining-requests': String(requests[1]),
    'x-ratelimit-reset-requests': requests[2],
  });
  if (tokens !== undefined) {
    headers.set('x-ratelimit-limit-tokens', String(tokens[0]));
    headers.set('x-ratelimit-remaining-tokens', String(tokens[1]));
    headers.set('x-ratelimit-reset-tokens', tokens[2]);
  }
  return headers;
}

/** Starts `count` attempts; records when each got its ticket (ms since the test began). */
function startMany(pacing: Pacing, count: number, signal?: AbortSignal) {
  const begin = Date.now();
  const startedAt: number[] = [];
  const tickets: PacingTicket[] = [];
  const settled = Array.from({ length: count }, async () => {
    const ticket = await pacing.start(cost, signal);
    startedAt.push(Date.now() - begin);
    tickets.push(ticket);
    return ticket;
  });
  return { startedAt, tickets, settled };
}

/** One attempt sent and answered with `headers` after `ms`. */
async function exchange(pacing: Pacing, headers: Headers, ms = 10): Promise<void> {
  const ticket = await pacing.start(cost, undefined);
  const mark = pacing.sent();
  await vi.advanceTimersByTimeAsync(ms);
  pacing.received(headers, mark);
  ticket.end(false);
}

describe('pacing', () => {
  test('before any headers, a probe of startConcurrency; a response without rate-limit headers lifts it to the ceiling', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 8 });
    const many = startMany(pacing, 30);
    await vi.advanceTimersByTimeAsync(0);
    expect(many.startedAt).toHaveLength(8);
    pacing.received(new Headers({ 'content-type': 'application/json' }), pacing.sent());
    await vi.advanceTimersByTimeAsync(0);
    expect(many.startedAt).toHaveLength(30);
    expect(pacing.state()).toMatchObject({ window: 64, inFlight: 30, headersSeen: false });
  });

  test('disabled, it holds nothing back and reads nothing', async () => {
    const pacing = createPacing({ enabled: false, ceiling: 4, startConcurrency: 1 });
    const many = startMany(pacing, 10);
    await vi.advanceTimersByTimeAsync(0);
    expect(many.startedAt).toHaveLength(10);
    pacing.received(openaiHeaders([10, 0, '1s']), pacing.sent());
    expect(pacing.state().budgets).toEqual([]);
  });

  test('a late timer does not lose starts: those it held back catch up, a few at once', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 64 });
    pacing.received(openaiHeaders([100, 10, '1s']), pacing.sent());
    (await pacing.start(cost, undefined)).end(false);
    // The event loop was busy for 450 ms: the schedule let several more start by then; three go together.
    vi.setSystemTime(Date.now() + 450);
    const many = startMany(pacing, 6);
    await vi.advanceTimersByTimeAsync(0);
    expect(many.startedAt).toEqual([0, 0, 0]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(many.startedAt).toHaveLength(6);
  });

  test('spreads the remaining requests evenly until the reset', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 64 });
    // 10 requests left, full again in 1 s (this response's own request is counted in the 10).
    pacing.received(openaiHeaders([100, 10, '1s']), pacing.sent());
    const many = startMany(pacing, 5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(many.startedAt).toEqual([0, 100, 200, 300, 400]);
  });

  test('a spent budget waits for its reset, then the limit is available again', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 64 });
    pacing.received(openaiHeaders([3, 0, '750ms']), pacing.sent());
    const many = startMany(pacing, 3);
    await vi.advanceTimersByTimeAsync(749);
    expect(many.startedAt).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    // After the reset the whole limit is there and the next reset is unknown: no spacing until a response tells it.
    expect(many.startedAt).toEqual([750, 750, 750]);
    const next = startMany(pacing, 1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(next.startedAt).toEqual([]);
    // A response says when the new window ends: the budget is spent, so the next start waits for that reset.
    pacing.received(openaiHeaders([3, 0, '200ms']), pacing.sent());
    await vi.advanceTimersByTimeAsync(200);
    expect(next.startedAt).toHaveLength(1);
  });

  test('what was started after a request was sent is taken off the remaining its response reports', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 64 });
    const first = await pacing.start(cost, undefined);
    const mark = pacing.sent();
    const later = startMany(pacing, 4);
    await vi.advanceTimersByTimeAsync(0);
    pacing.received(openaiHeaders([100, 10, '10s']), mark);
    first.end(false);
    // The server counted the first request; the four sent after it are not in its 10.
    expect(pacing.state().budgets).toEqual([{ kind: 'requests', limit: 100, remaining: 6, resetAt: Date.now() + 10_000 }]);
    expect(later.startedAt).toHaveLength(4);
  });

  test('a response is measured against what had started when its request started, though others started before it was sent', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 64 });
    const first = await pacing.start(cost, undefined);
    const second = await pacing.start(cost, undefined);
    // Both started before either reached the wire; they are sent in the order they started.
    const firstSent = pacing.sent();
    pacing.sent();
    pacing.received(openaiHeaders([100, 10, '10s']), firstSent);
    // The server's 10 counts the first request; only the second is taken off.
    expect(pacing.state().budgets[0]?.remaining).toBe(9);
    first.end(false);
    second.end(false);
  });

  test('the window grows by one per comfortable response while it is full, and never above the ceiling', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 10, startConcurrency: 2 });
    const many = startMany(pacing, 40);
    await vi.advanceTimersByTimeAsync(0);
    const windows: number[] = [];
    for (let i = 0; i < 12; i++) {
      const ticket = many.tickets[i] as PacingTicket;
      const mark = pacing.sent();
      await vi.advanceTimersByTimeAsync(10);
      pacing.received(openaiHeaders([10_000, 9_000, '1s']), mark);
      ticket.end(false);
      await vi.advanceTimersByTimeAsync(0);
      windows.push(pacing.state().window);
    }
    expect(windows.slice(0, 8)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Math.max(...windows)).toBe(10);
    expect(pacing.state().inFlight).toBe(10);
  });

  test('a 429 halves the window once per round trip, never below 1', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 16 });
    pacing.received(openaiHeaders([10_000, 9_000, '1s']), pacing.sent());
    const many = startMany(pacing, 16);
    await vi.advanceTimersByTimeAsync(100);
    // Three 429s of attempts that were all in flight together: one decrease.
    for (const ticket of many.tickets.slice(0, 3)) ticket.end(true);
    expect(pacing.state().window).toBe(8);
    // An attempt started after the decrease is news: halved again.
    for (const ticket of many.tickets.slice(3)) ticket.end(false);
    for (let round = 0; round < 6; round++) {
      const starting = pacing.start(cost, undefined);
      await vi.advanceTimersByTimeAsync(10);
      (await starting).end(true);
    }
    expect(pacing.state().window).toBe(1);
    expect(pacing.state().rateLimited).toBe(9);
  });

  test('without rate-limit headers a 429 changes nothing: such a server is driven as before pacing', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 8 });
    pacing.received(new Headers(), pacing.sent());
    const many = startMany(pacing, 64);
    await vi.advanceTimersByTimeAsync(0);
    for (const ticket of many.tickets) ticket.end(true);
    expect(pacing.state()).toMatchObject({ window: 64, rateLimited: 64 });
  });

  test('the window halves when the remaining budget would last far less than until the reset', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 32 });
    const many = startMany(pacing, 32);
    await vi.advanceTimersByTimeAsync(0);
    const mark = pacing.sent();
    await vi.advanceTimersByTimeAsync(100);
    // 4 requests left for 10 s at 100 ms a round trip: one in flight at a time would already last.
    pacing.received(openaiHeaders([1000, 4 + 32, '10s']), mark);
    expect(pacing.state().window).toBe(16);
    // A second low reading from a request sent before that decrease changes nothing.
    pacing.received(openaiHeaders([1000, 4 + 32, '10s']), mark);
    expect(pacing.state().window).toBe(16);
    for (const ticket of many.tickets) ticket.end(false);
  });

  test('token budgets are spent by the attempt cost: input and output apart on Anthropic families', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 64 });
    const reset = new Date(Date.now() + 1000).toISOString();
    pacing.received(
      new Headers({
        'anthropic-ratelimit-output-tokens-limit': '1000',
        'anthropic-ratelimit-output-tokens-remaining': '200',
        'anthropic-ratelimit-output-tokens-reset': reset,
      }),
      pacing.sent(),
    );
    // 200 output tokens left for 1 s at 50 a request: four starts, 250 ms apart.
    const many = startMany(pacing, 4);
    await vi.advanceTimersByTimeAsync(1000);
    expect(many.startedAt).toEqual([0, 250, 500, 750]);
  });

  test('an attempt whose signal aborts while it waits rejects with the reason and leaves the queue', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 1, startConcurrency: 1 });
    const held = await pacing.start(cost, undefined);
    const controller = new AbortController();
    const waiting = pacing.start(cost, controller.signal);
    expect(pacing.state().queued).toBe(1);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(pacing.state().queued).toBe(0);
    held.end(false);
    expect(() => pacing.start(cost, controller.signal)).toThrow('stop');
  });

  test('warns when requests wait five seconds or more, naming the tightest budget, at most once a minute', async () => {
    const pacing = createPacing({ enabled: true, ceiling: 64, startConcurrency: 64 });
    expect(pacing.warning()).toBeUndefined();
    await exchange(pacing, openaiHeaders([60, 3, '15s']));
    const many = startMany(pacing, 4);
    await vi.advanceTimersByTimeAsync(4999);
    expect(many.startedAt).toEqual([0]);
    expect(pacing.warning()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(7501);
    expect(many.startedAt).toEqual([0, 5000, 10_000]);
    const warning = pacing.warning();
    expect(warning?.code).toBe('rate-limited');
    expect(warning?.message).toMatch(
      /^the provider's rate limits are pacing this run \(0 of 60 requests left, full again in 2\.5 s\); requests waited up to 10\.0 s/,
    );
    await vi.advanceTimersByTimeAsync(2500);
    for (const ticket of many.tickets) ticket.end(true);
    expect(pacing.warning()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(pacing.warning()?.message).toMatch(/4 answered 429/);
  });
});
