// Pacing by the providers' rate-limit headers: iterate() at concurrency 64 against a loopback
// server that enforces a requests-per-window and a tokens-per-window limit (windows of 500 ms,
// so a run takes seconds, not minutes) and answers 429 with retry-after past them. For both
// wires (openai, anthropic), with the rate-limit headers sent and without (the server still
// enforces, as an OpenAI-compatible gateway that sends none would): requests made, 429s, and
// the achieved vs the allowed throughput. Medians of 5 runs per case.
// Run: npm run bench:pacing. Writes bench/pacing-results.json (committed).
import './lib/published.js';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { anthropic, iterate, openai, type Provider } from 'pauper';
import { startAnthropicServer } from '../test/servers/anthropic-server.js';
import { startOpenAIServer } from '../test/servers/openai-server.js';
import { enforceRateLimits, type RateLimitRules } from '../test/servers/rate-limits.js';

/** One pacing scenario: a wire, its limits, and whether the server sends the headers. */
export interface PacingCase {
  readonly wire: 'openai' | 'anthropic';
  readonly headers: boolean;
  /** Which limit binds: requests per window, or tokens per window. */
  readonly binding: 'requests' | 'tokens';
}

/** What one run of a case measured. */
export interface PacingFigures {
  readonly requests: number;
  readonly rateLimited: number;
  readonly samples: number;
  readonly failed: number;
  readonly wallMs: number;
  /** Admitted requests per second from the first admission to the end of the run, and what the binding limit allows. */
  readonly achievedPerSecond: number;
  readonly allowedPerSecond: number;
  readonly ratio: number;
}

const windowMs = 500;
const requestsPerWindow = 20;
const maxOutputTokens = 50;
/** Each request is ~60 prompt tokens plus 50 output: 1,100 tokens per window admit about 10 requests. */
const tokensPerWindow = 1_100;
const concurrency = 64;
const latencyMs = 20;
const apiKey = 'sk-bench-pacing';

/** Runs one case once: 30 requests a round through iterate() (30 tasks × 1 sample on OpenAI; 6 tasks × 5 samples on Anthropic), 3 rounds by default. */
export async function runPacingCase(scenario: PacingCase, rounds = 3): Promise<PacingFigures> {
  const rules: RateLimitRules = {
    wire: scenario.wire,
    windowMs,
    requests: scenario.binding === 'requests' ? requestsPerWindow : 1000,
    tokens: scenario.binding === 'tokens' ? tokensPerWindow : 1_000_000,
    sendHeaders: scenario.headers,
  };
  const limits = enforceRateLimits(rules);
  const server =
    scenario.wire === 'openai'
      ? await startOpenAIServer({ admit: limits.admit, latencyMs, apiKey })
      : await startAnthropicServer({ admit: limits.admit, latencyMs, apiKey });
  try {
    // Retries enough that a run without pacing still finishes, so its 429s can be counted.
    const transportOptions = { apiKey, baseURL: server.url, maxRetries: 50, maxOutputTokens } as const;
    const provider: Provider =
      scenario.wire === 'openai'
        ? openai({ model: 'gpt-4o-mini', apiKey, baseURL: server.url, maxRetries: 50 })
        : anthropic({ model: 'claude-haiku-4-5', ...transportOptions });
    const taskCount = scenario.wire === 'openai' ? 30 : 6;
    const samples = scenario.wire === 'openai' ? 1 : 5;
    const tasks = Array.from({ length: taskCount }, (_, i) => `Collect the gold coins in maze number ${i}, then say done.`);
    const started = performance.now();
    const run = await iterate({
      provider,
      tasks,
      samples,
      iterations: rounds - 1,
      keep: 1,
      concurrency,
      maxOutputTokens,
      maxErrors: Number.POSITIVE_INFINITY,
      reward: (sample) => sample.text.length,
    });
    const wallMs = performance.now() - started;
    // From the run's first admitted request: the SDK's first import is not the pacing's doing.
    const first = limits.stats.admittedAt[0] ?? started;
    const activeMs = performance.now() - first;
    const achievedPerSecond = (limits.stats.admitted / activeMs) * 1000;
    const perRequestTokens = limits.stats.admittedTokens / limits.stats.admitted;
    const perWindow = scenario.binding === 'requests' ? requestsPerWindow : tokensPerWindow / perRequestTokens;
    const allowedPerSecond = (perWindow / windowMs) * 1000;
    return {
      requests: server.requestCount,
      rateLimited: limits.stats.limited,
      samples: run.trajectories.length,
      failed: run.trajectories.filter((trajectory) => !trajectory.ok).length,
      wallMs: Math.round(wallMs),
      achievedPerSecond: Number(achievedPerSecond.toFixed(1)),
      allowedPerSecond: Number(allowedPerSecond.toFixed(1)),
      ratio: Number((achievedPerSecond / allowedPerSecond).toFixed(2)),
    };
  } finally {
    await server.close();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const repeats = Number(process.env.PACING_REPEATS ?? 5);
  // Warm-up: the SDKs' first import and the JIT, not the pacing, would slow the first case.
  await runPacingCase({ wire: 'openai', headers: true, binding: 'requests' }, 1);
  await runPacingCase({ wire: 'anthropic', headers: true, binding: 'requests' }, 1);
  const cases: PacingCase[] = [];
  for (const wire of ['openai', 'anthropic'] as const) {
    for (const binding of ['requests', 'tokens'] as const) {
      for (const headers of [true, false]) cases.push({ wire, binding, headers });
    }
  }
  const results = [];
  for (const scenario of cases) {
    const runs: PacingFigures[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) runs.push(await runPacingCase(scenario));
    const pick = (key: keyof PacingFigures) => median(runs.map((run) => run[key]));
    const summary = {
      ...scenario,
      requests: pick('requests'),
      rateLimited: pick('rateLimited'),
      failed: pick('failed'),
      wallMs: pick('wallMs'),
      achievedPerSecond: pick('achievedPerSecond'),
      allowedPerSecond: pick('allowedPerSecond'),
      ratio: pick('ratio'),
      rateLimitedRuns: runs.map((run) => run.rateLimited),
      ratioRuns: runs.map((run) => run.ratio),
    };
    console.log(JSON.stringify(summary));
    results.push(summary);
  }
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    machine: `${cpus().length} CPUs, load ${loadavg().map((load) => load.toFixed(2)).join(' ')}`,
    setup:
      `iterate() at concurrency ${concurrency}, 90 requests in 3 rounds, ${latencyMs} ms server latency; windows of ${windowMs} ms allowing ` +
      `${requestsPerWindow} requests (requests-bound) or ${tokensPerWindow} tokens (tokens-bound, output counted as max_tokens = ${maxOutputTokens}); ` +
      `medians of ${repeats} runs. "headers: false" is the same server enforcing the same limits without sending the rate-limit headers (only retry-after on a 429).`,
    rerun: 'npm run bench:pacing',
    results,
  };
  writeFileSync(fileURLToPath(new URL('./pacing-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
