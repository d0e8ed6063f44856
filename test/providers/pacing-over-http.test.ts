import { afterEach, describe, expect, it } from 'vitest';
import type { Provider, RunEvent } from 'pauper';
import { anthropic, iterate, openai } from 'pauper';
import { startAnthropicServer } from '../servers/anthropic-server.js';
import type { TestServer } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';
import { enforceRateLimits, type RateLimitRules } from '../servers/rate-limits.js';

// Pacing by the rate-limit headers, end to end: iterate() at concurrency 64 with the real SDKs
// against loopback servers that enforce a per-window limit (1 s windows of 40 requests, so a run
// of 80 takes about 2 s) and answer 429 with retry-after past it. The same run against the same limits without
// the headers (as today, or as a gateway that sends none) is the contrast.

const KEY = 'sk-pacing-0123456789';
const windowMs = 1000;
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Figures {
  readonly requests: number;
  readonly rateLimited: number;
  /**
   * The rate the server admitted requests at, over the rate its limit allows: admitted requests
   * over the time from the first admission to the last plus one allowed interval (`window / limit`).
   */
  readonly utilisation: number;
  readonly failed: number;
  readonly warnings: readonly string[];
}

async function measure(wire: 'openai' | 'anthropic', rules: Omit<RateLimitRules, 'wire' | 'windowMs'>, perWindow = 40, rounds = 2): Promise<Figures> {
  const limits = enforceRateLimits({ wire, windowMs, ...rules });
  const options = { admit: limits.admit, latencyMs: 20, apiKey: KEY };
  const server = wire === 'openai' ? await startOpenAIServer(options) : await startAnthropicServer(options);
  servers.push(server);
  // Retries enough that the run without headers finishes too, so its 429s can be counted.
  const provider: Provider =
    wire === 'openai'
      ? openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, maxRetries: 50 })
      : anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url, maxRetries: 50 });
  const events: RunEvent<string>[] = [];
  // 40 requests a round: 40 tasks of one sample on OpenAI, 8 tasks of 5 on Anthropic (one request per sample).
  const run = await iterate({
    provider,
    tasks: Array.from({ length: wire === 'openai' ? 40 : 8 }, (_, i) => `Collect the coins in maze ${i}.`),
    samples: wire === 'openai' ? 1 : 5,
    iterations: rounds - 1,
    keep: 1,
    concurrency: 64,
    maxOutputTokens: 50,
    maxErrors: Number.POSITIVE_INFINITY,
    reward: (sample) => sample.text.length,
    onEvent: (event) => events.push(event),
  });
  const { admittedAt } = limits.stats;
  const spanMs = (admittedAt.at(-1) ?? 0) - (admittedAt[0] ?? 0) + windowMs / perWindow;
  return {
    requests: server.requestCount,
    rateLimited: limits.stats.limited,
    utilisation: admittedAt.length / spanMs / (perWindow / windowMs),
    failed: run.trajectories.filter((trajectory) => !trajectory.ok).length,
    warnings: events.flatMap((event) => (event.type === 'warning' && event.code === 'rate-limited' ? [event.message] : [])),
  };
}

// Why at most 3 429s with the headers: the accounting is exact (each reading less what was sent
// after it), so none is expected; a request paced into the end of one window can still reach the
// server in the next when the shared 2-core machine stalls the event loop, hence a small margin.
const pacedBound = 3;

describe('pacing by the rate-limit headers over real HTTP', () => {
  it('openai at concurrency 64 under 40 requests per window: few 429s and near the allowed rate; without headers, many 429s', async () => {
    const requests = 40;
    await measure('openai', { requests: 1000 }, 40, 1); // warm-up: the SDK's import and first connections
    const paced = await measure('openai', { requests });
    const unpaced = await measure('openai', { requests, sendHeaders: false });
    console.log(JSON.stringify({ paced, unpaced }));

    expect(paced.failed).toBe(0);
    expect(paced.rateLimited).toBeLessThanOrEqual(pacedBound);
    expect(paced.requests).toBeLessThanOrEqual(80 + pacedBound);
    expect(paced.utilisation).toBeGreaterThanOrEqual(0.7);
    expect(paced.warnings).toEqual([]);
    // Without headers a round of 40 goes out at once once the probe sees no headers: the first window's
    // 40 are spent by the first round, so the second round's opening burst meets 429s.
    expect(unpaced.failed).toBe(0);
    expect(unpaced.rateLimited).toBeGreaterThanOrEqual(8);
    expect(unpaced.rateLimited).toBeGreaterThanOrEqual(5 * Math.max(1, paced.rateLimited));
    expect(unpaced.warnings.length).toBeGreaterThanOrEqual(1);
    expect(unpaced.warnings[0]).toMatch(/^openai: the provider's rate limits are pacing this run; \d+ answered 429/);
  });

  it('anthropic at concurrency 64 under 2,000 output tokens per window (40 requests of max_tokens 50): few 429s, near the allowed rate', async () => {
    const outputTokens = 2000;
    await measure('anthropic', { requests: 1000 }, 40, 1);
    const paced = await measure('anthropic', { requests: 1000, outputTokens });
    const unpaced = await measure('anthropic', { requests: 1000, outputTokens, sendHeaders: false });
    console.log(JSON.stringify({ paced, unpaced }));

    expect(paced.failed).toBe(0);
    expect(paced.rateLimited).toBeLessThanOrEqual(pacedBound);
    expect(paced.utilisation).toBeGreaterThanOrEqual(0.7);
    expect(unpaced.failed).toBe(0);
    expect(unpaced.rateLimited).toBeGreaterThanOrEqual(8);
    expect(unpaced.rateLimited).toBeGreaterThanOrEqual(5 * Math.max(1, paced.rateLimited));
  });
});
