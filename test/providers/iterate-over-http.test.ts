import { afterEach, describe, expect, it } from 'vitest';
import type { Provider, RunEvent } from 'pauper';
import { anthropic, createTransport, iterate, openai, openaiCompatible } from 'pauper';
import { startAnthropicServer } from '../servers/anthropic-server.js';
import type { Fault, TestServer } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// Full iterate() runs with the real SDK clients over real HTTP to the loopback wire servers.

const KEY = 'sk-loop-SECRET-0123456789abcdefghij';
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function started(server: Promise<TestServer>): Promise<TestServer> {
  servers.push(await server);
  return servers.at(-1)!;
}

/** The server answers with as many 'x' as the request has messages, plus the choice index: rewards vary and grow with examples. */
const responder = ({ messages, choiceIndex, requestNumber }: { messages: readonly unknown[]; choiceIndex: number; requestNumber: number }) =>
  `${'x'.repeat(messages.length)}-${choiceIndex}-${requestNumber}`;
const tasks = ['task a', 'task b', 'task c'];
const loop = (provider: Provider, events: RunEvent<string>[] = []) =>
  iterate({
    provider,
    tasks,
    evalTasks: ['held out'],
    system: 'Answer.',
    reward: (sample) => sample.text.split('-')[0]!.length,
    samples: 8,
    iterations: 2,
    keep: 2,
    onEvent: (event) => events.push(event),
  });

describe('iterate over real HTTP', () => {
  it('openai: one request per task per iteration for n = 8, usage and cost accounted', async () => {
    const server = await started(startOpenAIServer({ responder, apiKey: KEY }));
    const run = await loop(openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url }));
    expect(server.requestCount).toBe((tasks.length + 1) * 3);
    expect(server.requests.every((request) => (request.body as { n: number }).n === 8)).toBe(true);
    expect(run.trajectories).toHaveLength((tasks.length + 1) * 8 * 3);
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(run.usage.requests).toBe(server.requestCount);
    expect(run.costUsd).toBeGreaterThan(0);
    // Examples are folded in after the baseline: two kept examples add four messages.
    expect((server.requests.at(-1)!.body as { messages: unknown[] }).messages).toHaveLength(1 + 4 + 1);
    const means = run.iterations.map((iteration) => iteration.train.mean!);
    expect(means[1]).toBeGreaterThan(means[0]!);
  });

  it('anthropic: eight requests per task per iteration, cache breakpoint after the examples', async () => {
    const server = await started(startAnthropicServer({ responder, apiKey: KEY }));
    const run = await loop(anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url }));
    expect(server.requestCount).toBe((tasks.length + 1) * 8 * 3);
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(run.usage.requests).toBe(server.requestCount);
    const later = server.requests.at(-1)!.body as { system: unknown; messages: { content: { cache_control?: unknown }[] }[] };
    expect(later.messages).toHaveLength(4 + 1);
    expect(later.messages[3]!.content.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });
    expect(run.usage.cachedInputTokens).toBeGreaterThan(0);
  });

  it('openaiCompatible: a server that ignores n is topped up by fan-out, with one warning', async () => {
    const server = await started(startOpenAIServer({ responder, ignoreN: true }));
    const events: RunEvent<string>[] = [];
    const run = await loop(openaiCompatible({ baseURL: server.url, model: 'llama3' }), events);
    expect(run.trajectories).toHaveLength((tasks.length + 1) * 8 * 3);
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(new Set(run.trajectories.map((trajectory) => trajectory.text)).size).toBe(run.trajectories.length);
    const warnings = events.flatMap((event) => (event.type === 'warning' ? [event.message] : []));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/1 of 8|fewer|ignores/);
    // At most the first wave (one request per task, sent before any answer came back) asked for n = 8;
    // each got one choice, so every sample cost exactly one request.
    const asked = server.requests.map((request) => (request.body as { n?: number }).n ?? 1);
    expect(asked.filter((n) => n > 1).length).toBeLessThanOrEqual(tasks.length + 1);
    expect(server.requestCount).toBe(run.trajectories.length);
  });

  it('openaiCompatible against a server that ignores n never exceeds the concurrency limit', async () => {
    // The responder runs once per choice asked for; requests in flight are the distinct request numbers.
    const inFlight = new Map<number, number>();
    let peak = 0;
    const server = await started(
      startOpenAIServer({
        ignoreN: true,
        responder: async ({ requestNumber }) => {
          inFlight.set(requestNumber, (inFlight.get(requestNumber) ?? 0) + 1);
          peak = Math.max(peak, inFlight.size);
          await new Promise((resolve) => setTimeout(resolve, 20));
          const left = (inFlight.get(requestNumber) ?? 1) - 1;
          if (left === 0) inFlight.delete(requestNumber);
          else inFlight.set(requestNumber, left);
          return 'x';
        },
      }),
    );
    const run = await iterate({
      provider: openaiCompatible({ baseURL: server.url, model: 'm' }),
      tasks: ['a', 'b', 'c', 'd'],
      reward: () => 1,
      samples: 16,
      iterations: 0,
      concurrency: 2,
    });
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(server.requestCount).toBe(64);
    expect(peak).toBe(2);
  });

  it('a run under 20% mixed faults completes with every sample accounted for, none duplicated, and no key anywhere', async () => {
    const kinds: Fault[] = [
      { kind: 'rate-limit', retryAfterMs: 5 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 529 },
      { kind: 'reset' },
      { kind: 'malformed-json' },
    ];
    const server = await started(
      startOpenAIServer({ responder, apiKey: KEY, randomFaults: { probability: 0.2, seed: 7, kinds } }),
    );
    const events: RunEvent<string>[] = [];
    const provider = openai({
      model: 'gpt-4o-mini',
      apiKey: KEY,
      baseURL: server.url,
      transport: createTransport({ retryDelay: 1, maxRetryDelay: 10, maxRetries: 8 }),
    });
    const run = await loop(provider, events);
    const faulted = server.requests.filter((request) => request.fault !== undefined).length;
    expect(faulted).toBeGreaterThan(0);
    expect(server.requestCount).toBe((tasks.length + 1) * 3 + faulted);
    expect(run.trajectories).toHaveLength((tasks.length + 1) * 8 * 3);
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(new Set(run.trajectories.map((trajectory) => trajectory.id)).size).toBe(run.trajectories.length);
    expect(new Set(run.trajectories.map((trajectory) => trajectory.text)).size).toBe(run.trajectories.length);
    expect(JSON.stringify(events, (_key, value: unknown) => (value instanceof Error ? { message: value.message, stack: value.stack } : value))).not.toContain(KEY);
  });

  it('a wrong key fails every sample without the key in any failure or event', async () => {
    const server = await started(startOpenAIServer({ responder, apiKey: 'sk-the-right-one' }));
    const events: RunEvent<string>[] = [];
    const run = iterate({
      provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url }),
      tasks,
      reward: () => 1,
      samples: 2,
      iterations: 0,
      maxErrors: 100,
      onEvent: (event) => events.push(event),
    });
    const result = await run;
    expect(server.requestCount).toBe(tasks.length);
    expect(result.trajectories.every((trajectory) => !trajectory.ok && trajectory.failure.stage === 'request')).toBe(true);
    const first = result.trajectories[0]!;
    expect(!first.ok && first.failure.message).toMatch(/401/);
    const serialized = JSON.stringify(events, (_key, value: unknown) =>
      value instanceof Error ? { message: value.message, stack: value.stack, cause: String(value.cause) } : value,
    );
    expect(serialized).not.toContain(KEY);
    expect(serialized).not.toContain('0123456789abcdefghij');
  });
});

describe('structured output from the run schema alone', () => {
  it('openai: the schema given to iterate constrains decoding (response_format) and types the output', async () => {
    const { z } = await import('zod');
    const server = await started(
      startOpenAIServer({ responder: ({ choiceIndex }) => (choiceIndex === 0 ? '{"moves":"RRD"}' : 'not json') }),
    );
    const run = await iterate({
      provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url }),
      tasks: ['maze'],
      schema: z.object({ moves: z.string() }),
      reward: (sample) => sample.output.moves.length,
      samples: 2,
      iterations: 0,
    });
    const format = (server.requests[0]!.body as { response_format?: { type: string; json_schema: { schema: unknown } } }).response_format;
    expect(format?.type).toBe('json_schema');
    expect(format?.json_schema.schema).toMatchObject({ type: 'object', properties: { moves: { type: 'string' } } });
    expect(run.trajectories[0]).toMatchObject({ ok: true, output: { moves: 'RRD' }, reward: 3 });
    expect(run.trajectories[1]).toMatchObject({ ok: false, failure: { stage: 'parse' } });
  });

  it('anthropic: the run schema becomes output_config.format', async () => {
    const { z } = await import('zod');
    const server = await started(startAnthropicServer({ responder: () => '{"moves":"UD"}' }));
    const run = await iterate({
      provider: anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url }),
      tasks: ['maze'],
      schema: z.object({ moves: z.string() }),
      reward: (sample) => sample.output.moves.length,
      samples: 1,
      iterations: 0,
    });
    const body = server.requests[0]!.body as { output_config?: { format: { type: string } } };
    expect(body.output_config?.format.type).toBe('json_schema');
    expect(run.trajectories[0]).toMatchObject({ ok: true, reward: 2 });
  });

  it('anthropic: a run schema with limits is accepted by the API, and zod enforces the limits on parse', async () => {
    const { z } = await import('zod');
    const answers = ['{"moves":["U","D"],"coins":3}', '{"moves":["U","D"],"coins":-1}'];
    const server = await started(startAnthropicServer({ responder: ({ requestNumber }) => answers[requestNumber - 1] ?? '' }));
    const run = await iterate({
      provider: anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url }),
      tasks: ['maze'],
      schema: z.object({ moves: z.array(z.enum(['U', 'D', 'L', 'R'])).min(1).max(40), coins: z.number().int().min(0) }),
      reward: (sample) => sample.output.coins,
      samples: 2,
      iterations: 0,
      concurrency: 1,
    });
    expect(server.requestCount).toBe(2);
    expect(run.trajectories.map((trajectory) => trajectory.ok)).toEqual([true, false]);
    expect(run.trajectories[0]).toMatchObject({ reward: 3 });
    expect(run.trajectories[1]).toMatchObject({ failure: { stage: 'parse', message: expect.stringMatching(/coins/) } });
  });

  it('a refusal with partial text is a failed sample at the parse stage, never scored, its text kept', async () => {
    const server = await started(startAnthropicServer({ faults: { 1: { kind: 'refusal', text: 'RRD' } } }));
    const run = await iterate({
      provider: anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url }),
      tasks: ['maze'],
      reward: (sample) => sample.text.length,
      samples: 2,
      iterations: 0,
      concurrency: 1,
    });
    expect(run.trajectories[0]).toMatchObject({
      ok: false,
      reward: null,
      text: 'RRD',
      failure: { stage: 'parse', message: expect.stringMatching(/refused/) },
    });
    expect(run.trajectories[1]).toMatchObject({ ok: true });
  });
});
