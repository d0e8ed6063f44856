import { inspect } from 'node:util';
import { Anthropic } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, expectTypeOf, test, vi } from 'vitest';
import { z } from 'zod';
import { ConfigError, ProviderError } from '../../src/core/errors.js';
import type { Message } from '../../src/core/messages.js';
import { anthropic } from '../../src/providers/anthropic.js';
import { createTransport } from '../../src/providers/transport/transport.js';
import { sampleMany } from '../helpers.js';
import { startAnthropicServer } from '../servers/anthropic-server.js';
import { serverPool, type ServerOptions, type TestServer } from '../servers/common.js';

const KEY = 'sk-ant-test-SECRET0123456789abcdef';
const servers = serverPool(startAnthropicServer);
const server = (options: ServerOptions = {}): Promise<TestServer> => servers.start(options);

afterEach(async () => {
  await servers.closeAll();
  vi.unstubAllEnvs();
});

const ask = (content: string): { messages: Message[] } => ({ messages: [{ role: 'user', content }] });
const fast = (options: Parameters<typeof createTransport>[0] = {}) => createTransport({ retryDelay: 1, ...options });

function body(target: TestServer, index = 0): Record<string, unknown> {
  return target.requests[index]?.body as Record<string, unknown>;
}

const examplePrompt: Message[] = [
  { role: 'system', content: 'Collect the gold coins.' },
  { role: 'user', content: 'maze A' },
  { role: 'assistant', content: 'RRDD' },
  { role: 'user', content: 'maze B' },
];

describe('anthropic', () => {
  test('n = 8 is eight requests, each for one completion, planned by sample()', async () => {
    const target = await server({ responder: ({ requestNumber }) => `answer ${requestNumber}` });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url });
    const response = await sampleMany(provider, ask('go'), 8);
    expect(target.requestCount).toBe(8);
    expect(response.usage.requests).toBe(8);
    expect(new Set(response.completions.map((completion) => completion.text)).size).toBe(8);
    for (const request of target.requests) {
      expect(request.body).toEqual({ model: 'claude-haiku-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'go' }] });
    }
    expect(provider.capabilities).toMatchObject({ nativeN: false, temperature: false, seed: false, promptCaching: true });
  });

  test('asked directly for n > 1, it sends nothing and says to call sample()', async () => {
    const target = await server();
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url });
    await expect(provider.sample(ask('go'), { n: 8 })).rejects.toThrow(ConfigError);
    await expect(provider.sample(ask('go'), { n: 8 })).rejects.toThrow(/one completion per request.*sample\(provider, request, \{ n: 8 \}\)/);
    expect(target.requestCount).toBe(0);
  });

  test('system goes top-level and the cache breakpoint ends the example prefix', async () => {
    const target = await server();
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url });
    await provider.sample({ messages: examplePrompt, cachePrefixLength: 3 }, { n: 1 });
    expect(body(target)).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'Collect the gold coins.' }],
      messages: [
        { role: 'user', content: 'maze A' },
        { role: 'assistant', content: [{ type: 'text', text: 'RRDD', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'maze B' },
      ],
    });
  });

  test('a prefix of only the system prompt puts the breakpoint on the system block; no prefix, no breakpoint', async () => {
    const target = await server();
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url });
    await provider.sample({ messages: examplePrompt, cachePrefixLength: 1 }, { n: 1 });
    await provider.sample({ messages: examplePrompt }, { n: 1 });
    expect(body(target, 0).system).toEqual([{ type: 'text', text: 'Collect the gold coins.', cache_control: { type: 'ephemeral' } }]);
    expect(JSON.stringify(body(target, 0).messages)).not.toContain('cache_control');
    expect(JSON.stringify(body(target, 1))).not.toContain('cache_control');
  });

  test('a repeated prefix is written once then read; inputTokens counts every prompt token; cost uses both rates', async () => {
    const target = await server();
    const provider = anthropic({ model: 'claude-sonnet-4', apiKey: KEY, baseURL: target.url });
    const first = await provider.sample({ messages: examplePrompt, cachePrefixLength: 3 }, { n: 1 });
    const second = await provider.sample({ messages: examplePrompt, cachePrefixLength: 3 }, { n: 1 });
    expect(first.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(first.usage.cachedInputTokens).toBe(0);
    expect(second.usage.cachedInputTokens).toBe(first.usage.cacheWriteTokens);
    expect(second.usage.cacheWriteTokens).toBe(0);
    // Same prompt, so the same total, although Anthropic's input_tokens differ between the two.
    expect(second.usage.inputTokens).toBe(first.usage.inputTokens);
    expect(second.usage.inputTokens).toBeGreaterThan(second.usage.cachedInputTokens);
    const { inputTokens, cacheWriteTokens, outputTokens } = first.usage;
    expect(first.costUsd).toBeCloseTo(((inputTokens - cacheWriteTokens) * 3 + cacheWriteTokens * 3.75 + outputTokens * 15) / 1e6, 15);
    const read = second.usage.cachedInputTokens;
    expect(second.costUsd).toBeCloseTo(((inputTokens - read) * 3 + read * 0.3 + second.usage.outputTokens * 15) / 1e6, 15);
  });

  describe('a new cached prefix', () => {
    // Long enough to be cached (over 1,024 tokens), as a few folded maze examples are.
    const longPrompt = (task: string): Message[] => [
      { role: 'system', content: 'Collect the gold coins.' },
      { role: 'user', content: `maze A\n${'#.o.'.repeat(1200)}` },
      { role: 'assistant', content: 'RRDD' },
      { role: 'user', content: task },
    ];
    const prefixTokens = async (target: TestServer): Promise<number> => {
      const probe = anthropic({ model: 'claude-sonnet-4', apiKey: KEY, baseURL: target.url });
      return (await probe.sample({ messages: longPrompt('probe'), cachePrefixLength: 3 }, { n: 1 })).usage.cacheWriteTokens;
    };

    test('is written by one request and read by the others sent with it, across sample() calls', async () => {
      const target = await server({ latencyMs: 30 });
      const provider = anthropic({ model: 'claude-sonnet-4', apiKey: KEY, baseURL: target.url });
      // What the loop does for a provider without native n: one sample() per completion, all at once.
      const responses = await Promise.all(
        ['maze B', 'maze B', 'maze C', 'maze D'].map((task) => provider.sample({ messages: longPrompt(task), cachePrefixLength: 3 }, { n: 1 })),
      );
      const writes = responses.map((response) => response.usage.cacheWriteTokens);
      const reads = responses.map((response) => response.usage.cachedInputTokens);
      expect(writes.filter((tokens) => tokens > 0)).toHaveLength(1);
      expect(reads.filter((tokens) => tokens > 0)).toHaveLength(3);
      expect(target.requestCount).toBe(4);
    });

    test('is written by every request sent together when warmCache is off, as the API does', async () => {
      const target = await server({ latencyMs: 30 });
      const provider = anthropic({ model: 'claude-sonnet-4', apiKey: KEY, baseURL: target.url, warmCache: false });
      const response = await sampleMany(provider, { messages: longPrompt('maze B'), cachePrefixLength: 3 }, 4);
      const tokens = await prefixTokens(await server());
      expect(response.usage.cacheWriteTokens).toBe(4 * tokens);
      expect(response.usage.cachedInputTokens).toBe(0);
    });

    test('with warmCache, n = 4 writes the prefix once and reads it three times', async () => {
      const target = await server({ latencyMs: 30 });
      const provider = anthropic({ model: 'claude-sonnet-4', apiKey: KEY, baseURL: target.url });
      const response = await sampleMany(provider, { messages: longPrompt('maze B'), cachePrefixLength: 3 }, 4);
      const tokens = await prefixTokens(await server());
      expect(response.usage.cacheWriteTokens).toBe(tokens);
      expect(response.usage.cachedInputTokens).toBe(3 * tokens);
    });

    test("shorter than the model's minimum is never held back (Haiku 4.5 and unknown models cache from 4,096 tokens)", async () => {
      for (const model of ['claude-haiku-4-5', 'claude-haiku-4-5-20251001', 'claude-next-model']) {
        const target = await server({ latencyMs: 30 });
        const provider = anthropic({ model, apiKey: KEY, baseURL: target.url });
        const response = await sampleMany(provider, { messages: longPrompt('maze B'), cachePrefixLength: 3 }, 4);
        expect(response.usage.cachedInputTokens).toBe(0);
        expect(response.usage.cacheWriteTokens).toBe(4 * (await prefixTokens(await server())));
      }
    });

    test('too short to be cached is never held back', async () => {
      const target = await server({ latencyMs: 30 });
      const provider = anthropic({ model: 'claude-sonnet-4', apiKey: KEY, baseURL: target.url });
      const response = await sampleMany(provider, { messages: examplePrompt, cachePrefixLength: 3 }, 4);
      // All four went together: none arrived after another's response, so each wrote the prefix.
      expect(target.requestCount).toBe(4);
      expect(response.usage.cachedInputTokens).toBe(0);
      expect(response.usage.cacheWriteTokens).toBeGreaterThan(0);
    });
  });

  test('temperature is not sent and is reported once as ignored', async () => {
    const target = await server();
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url });
    const first = await sampleMany(provider, { ...ask('hi'), temperature: 0.9 }, 2);
    const second = await sampleMany(provider, { ...ask('hi'), temperature: 0.9 }, 2);
    expect(first.warnings).toEqual([expect.stringMatching(/^anthropic: .*temperature.*ignored/)]);
    expect(second.warnings).toEqual([]);
    expect(target.requests.every((request) => !('temperature' in (request.body as object)))).toBe(true);
  });

  test('the request maxOutputTokens wins over the option; a cut-off completion says max_tokens', async () => {
    const target = await server();
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, maxOutputTokens: 50 });
    const response = await provider.sample({ ...ask('a long question'), maxOutputTokens: 2 }, { n: 1 });
    expect(body(target).max_tokens).toBe(2);
    expect(response.completions[0]).toEqual({ text: 'echo: a ', finishReason: 'max_tokens' });
  });

  test('529 overloaded and 429 with retry-after are retried, the wait honoured', async () => {
    const target = await server({
      faults: { 1: { kind: 'status', status: 529 }, 2: { kind: 'rate-limit', retryAfterMs: 120 } },
    });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast() });
    const response = await provider.sample(ask('hi'), { n: 1 });
    expect(response.completions).toHaveLength(1);
    expect(target.requestCount).toBe(3);
    const [, limited, retried] = target.requests;
    expect((retried?.receivedAt ?? 0) - (limited?.receivedAt ?? 0)).toBeGreaterThanOrEqual(120);
  });

  test('400 is not retried: one request per sample', async () => {
    const target = await server({ faults: () => ({ kind: 'status', status: 400, message: 'messages: roles must alternate' }) });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast({ maxRetries: 5 }) });
    const { failures } = await sampleMany(provider, ask('hi'), 2);
    expect(target.requestCount).toBe(2);
    expect(failures).toHaveLength(2);
    const error = failures[0];
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 400, isRetryable: false, provider: 'anthropic' });
    expect((error as Error).message).toBe(
      'anthropic returned HTTP 400: messages: roles must alternate. The request was rejected as invalid; check the model name and parameters.',
    );
  });

  test('no double retries with a client built to retry on its own', async () => {
    const target = await server({ faults: () => ({ kind: 'status', status: 500 }) });
    const client = new Anthropic({ apiKey: KEY, baseURL: target.url, maxRetries: 4 });
    const provider = anthropic({ model: 'claude-haiku-4-5', client, transport: fast({ maxRetries: 1 }) });
    await expect(provider.sample(ask('hi'), { n: 1 })).rejects.toMatchObject({ status: 500 });
    expect(target.requestCount).toBe(2);
  });

  test('one of N requests failing leaves the other completions and one failure with its reason', async () => {
    const target = await server({ faults: { 2: { kind: 'status', status: 422, message: 'scripted rejection' } } });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast() });
    const response = await sampleMany(provider, ask('hi'), 3);
    expect(response.completions).toHaveLength(2);
    expect(response.usage.requests).toBe(2);
    expect(response.failures).toHaveLength(1);
    expect(String(response.failures[0])).toMatch(/422.*scripted rejection/);
  });

  test('abort mid-flight rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by user');
    // Abort once all three requests are in flight (on a loaded machine they may take longer than any fixed delay to arrive).
    const target = await server({
      faults: (number) => {
        if (number === 3) setTimeout(() => controller.abort(reason), 10);
        return { kind: 'stall' };
      },
    });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast() });
    await expect(sampleMany(provider, ask('hi'), 3, { signal: controller.signal })).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(target.requestCount).toBe(3);
  });

  test('a stalled request times out and is retried', async () => {
    const target = await server({ faults: { 1: { kind: 'stall' } } });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast({ timeout: 500 }) });
    const response = await provider.sample(ask('slow'), { n: 1 });
    expect(response.completions[0]?.text).toBe('echo: slow #0');
    expect(target.requestCount).toBe(2);
  });

  test('the API key never appears in an error, its cause chain included', async () => {
    const target = await server({ apiKey: 'sk-ant-the-right-one-0000000' });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast() });
    const error = await provider.sample(ask('hi'), { n: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 401, isRetryable: false });
    const serialized = inspect(error, { depth: 20, showHidden: true }) + JSON.stringify(error);
    expect(serialized).toContain('[redacted]');
    expect(serialized).not.toContain(KEY);
    expect(serialized).not.toContain('SECRET0123');
  });

  test('structured output goes in output_config.format and is parsed per completion', async () => {
    const answers = ['{"moves":"RRDD"}', '{"moves":4}'];
    const target = await server({ responder: ({ requestNumber }) => answers[requestNumber - 1] ?? '' });
    const schema = z.object({ moves: z.string() });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, schema, transport: fast({ concurrency: 1 }) });
    const response = await sampleMany(provider, ask('solve'), 2);
    expect(body(target).output_config).toEqual({
      format: {
        type: 'json_schema',
        schema: {
          type: 'object',
          properties: { moves: { type: 'string' } },
          required: ['moves'],
          additionalProperties: false,
        },
      },
    });
    expect(response.completions[0]?.parsed).toEqual({ moves: 'RRDD' });
    expectTypeOf(response.completions[0]?.parsed).toEqualTypeOf<{ moves: string } | undefined>();
    expect(response.completions[1]).not.toHaveProperty('parsed');
    expect(response.completions[1]?.error).toMatch(/does not match the schema: moves/);
  });
});

describe('anthropic wire edge cases', () => {
  const Meeting = z.object({
    person: z.string().min(1),
    day: z.enum(['monday', 'friday']),
    hour: z.number().int().min(0).max(23),
    moves: z.array(z.enum(['U', 'D'])).min(2).max(40),
  });

  test('structured output moves the keywords the API rejects into descriptions, and zod still enforces them', async () => {
    const answers = [
      '{"person":"Ana","day":"friday","hour":13,"moves":["U","D"]}',
      '{"person":"Ana","day":"friday","hour":25,"moves":["U","D"]}',
    ];
    const target = await server({ responder: ({ requestNumber }) => answers[requestNumber - 1] ?? '' });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast({ concurrency: 1 }) });
    // The run's schema (as iterate() passes it), not a provider option.
    const response = await sampleMany(provider, { ...ask('Lunch with Ana on Friday at 1pm?'), schema: Meeting }, 2);
    expect(target.requestCount).toBe(2);
    expect(body(target).output_config).toEqual({
      format: {
        type: 'json_schema',
        schema: {
          type: 'object',
          properties: {
            person: { type: 'string', description: '{minLength: 1}' },
            day: { enum: ['monday', 'friday'] },
            hour: { type: 'integer', description: '{minimum: 0, maximum: 23}' },
            moves: { type: 'array', items: { enum: ['U', 'D'] }, description: '{minItems: 2, maxItems: 40}' },
          },
          required: ['person', 'day', 'hour', 'moves'],
          additionalProperties: false,
        },
      },
    });
    expect(response.completions[0]?.parsed).toEqual({ person: 'Ana', day: 'friday', hour: 13, moves: ['U', 'D'] });
    expect(response.completions[1]).not.toHaveProperty('parsed');
    expect(response.completions[1]?.error).toMatch(/hour/);
  });

  test('an existing description is kept and the dropped limits follow it; pattern and unsupported formats are dropped too', async () => {
    const target = await server({ responder: () => '{"code":"AB","site":"https://x.org","when":"2025-01-01"}' });
    const schema = z.object({
      code: z.string().regex(/^[A-Z]+$/).describe('Upper-case code'),
      site: z.url(),
      when: z.iso.date(),
    });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, schema });
    const response = await provider.sample(ask('go'), { n: 1 });
    const properties = (body(target).output_config as { format: { schema: { properties: Record<string, Record<string, unknown>> } } })
      .format.schema.properties;
    expect(properties.code).toEqual({ type: 'string', description: 'Upper-case code\n\n{pattern: "^[A-Z]+$"}' });
    expect(properties.when).toEqual({ type: 'string', format: 'date', description: expect.stringMatching(/^\{pattern: /) });
    expect(properties.site).toEqual({ type: 'string', format: 'uri' });
    expect(response.completions[0]?.parsed).toEqual({ code: 'AB', site: 'https://x.org', when: '2025-01-01' });
  });

  test('a schema field with no type is a ConfigError at creation, not a 400 per request', () => {
    expect(() => anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, schema: z.object({ anything: z.unknown() }) })).toThrow(
      /`schema`.*every field has a type/,
    );
  });

  test('a refusal that carries partial text is a failed completion that keeps the text', async () => {
    const target = await server({ faults: { 1: { kind: 'refusal', text: '{"moves": "UUD' } } });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast({ concurrency: 1 }) });
    const response = await sampleMany(provider, ask('solve'), 2);
    expect(response.completions[0]).toEqual({
      text: '{"moves": "UUD',
      finishReason: 'refusal',
      error: 'The model refused to answer (stop_reason: refusal).',
    });
    expect(response.completions[1]).toEqual({ text: 'echo: solve #0', finishReason: 'end_turn' });
  });

  test('a response without usage is kept, with a null cost and a warning saying why', async () => {
    const target = await server({ faults: { 2: { kind: 'no-usage' } } });
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url, transport: fast({ concurrency: 1 }) });
    const priced = await provider.sample(ask('hi'), { n: 1 });
    expect(priced.costUsd).toBeGreaterThan(0);
    const unpriced = await sampleMany(provider, ask('hi'), 2);
    expect(target.requestCount).toBe(3);
    expect(unpriced.completions).toHaveLength(2);
    expect(unpriced.usage.requests).toBe(2);
    expect(unpriced.costUsd).toBeNull();
    expect(unpriced.warnings).toEqual([expect.stringMatching(/^anthropic: .*no `usage`.*cost is null/)]);
  });
});

describe('anthropic options', () => {
  test('a missing key is a ConfigError at the first request, not when the provider is created', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', '');
    const keyless = anthropic({ model: 'claude-haiku-4-5' });
    const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
    await expect(keyless.sample(request, { n: 1 })).rejects.toThrow(ConfigError);
    await expect(keyless.sample(request, { n: 1 })).rejects.toThrow(/`apiKey`.*ANTHROPIC_API_KEY/);
    vi.stubEnv('ANTHROPIC_API_KEY', KEY);
    expect(anthropic({ model: 'claude-haiku-4-5' }).name).toBe('anthropic');
  });

  test.each([
    ['maxOutputTokens', { model: 'claude-haiku-4-5', apiKey: KEY, maxOutputTokens: 0 }],
    // The output cap's name before 0.2: an error, never a silent default of 1024.
    ['maxTokens', { model: 'claude-haiku-4-5', apiKey: KEY, maxTokens: 50 } as never],
    ['model', { model: 42 as unknown as string, apiKey: KEY }],
    ['requestsPerMinute', { model: 'claude-haiku-4-5', apiKey: KEY, requestsPerMinute: 0 }],
    ['schema', { model: 'claude-haiku-4-5', apiKey: KEY, schema: z.string() }],
  ])('invalid %s is a ConfigError naming it', (option, options) => {
    expect(() => anthropic(options)).toThrow(ConfigError);
    expect(() => anthropic(options)).toThrow(new RegExp(`\`${option}\``));
  });

  test('a prompt of only system messages is a ConfigError before any request', async () => {
    const target = await server();
    const provider = anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: target.url });
    await expect(provider.sample({ messages: [{ role: 'system', content: 'x' }] }, { n: 1 })).rejects.toThrow(/`messages`/);
    expect(target.requestCount).toBe(0);
  });
});
