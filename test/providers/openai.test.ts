import { inspect } from 'node:util';
import { OpenAI } from 'openai';
import { afterEach, describe, expect, expectTypeOf, test, vi } from 'vitest';
import { z } from 'zod';
import { ConfigError, ProviderError } from '../../src/core/errors.js';
import type { Message } from '../../src/core/messages.js';
import { costOf } from '../../src/core/pricing.js';
import { createRng } from '../../src/core/random.js';
import { openai } from '../../src/providers/openai.js';
import { iterate } from '../../src/loop/iterate.js';
import { createTransport } from '../../src/providers/transport/transport.js';
import { serverPool, type Fault, type TestServer } from '../servers/common.js';
import { startOpenAIServer, type OpenAIServerOptions } from '../servers/openai-server.js';

const KEY = 'sk-test-SECRETkey0123456789abcdef';
const servers = serverPool(startOpenAIServer);
const server = (options: OpenAIServerOptions = {}): Promise<TestServer> => servers.start(options);

afterEach(async () => {
  await servers.closeAll();
  vi.unstubAllEnvs();
});

const ask = (content: string): { messages: Message[] } => ({ messages: [{ role: 'user', content }] });
const fast = (options: Parameters<typeof createTransport>[0] = {}) => createTransport({ retryDelay: 1, ...options });

function body(target: TestServer, index = 0): Record<string, unknown> {
  return target.requests[index]?.body as Record<string, unknown>;
}

describe('openai', () => {
  test('n = 8 is one request returning eight completions', async () => {
    const target = await server();
    const provider = openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: target.url });
    const response = await provider.sample(ask('count'), { n: 8 });
    expect(target.requestCount).toBe(1);
    expect(body(target).n).toBe(8);
    expect(response.completions.map((completion) => completion.text)).toEqual(
      Array.from({ length: 8 }, (_, index) => `echo: count #${index}`),
    );
    expect(response.usage.requests).toBe(1);
    expect(provider.capabilities).toMatchObject({ nativeN: true, temperature: true, seed: true });
  });

  test('sends the messages, temperature, seed and max_completion_tokens', async () => {
    const target = await server({ apiKey: KEY });
    const provider = openai({ model: 'gpt-4.1', apiKey: KEY, baseURL: target.url });
    const messages: Message[] = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'a long question' },
    ];
    const response = await provider.sample({ messages, temperature: 0.7, seed: 42, maxOutputTokens: 2 }, { n: 1 });
    expect(body(target)).toMatchObject({
      model: 'gpt-4.1',
      messages,
      temperature: 0.7,
      seed: 42,
      max_completion_tokens: 2,
    });
    expect(body(target)).not.toHaveProperty('n');
    expect(target.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(response.completions[0]).toMatchObject({ text: 'echo: a ', finishReason: 'length' });
  });

  test('an answer with no choices is a provider error, not a short answer to top up', async () => {
    const target = await server({ faults: { 1: { kind: 'fewer-choices', choices: 0 } } });
    const provider = openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: target.url, transport: fast() });
    const error = await provider.sample(ask('hi'), { n: 4 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ isRetryable: false, provider: 'openai' });
    expect((error as Error).message).toMatch(/no choices \(`choices: \[\]`\)/);
    expect(target.requestCount).toBe(1);
    // Billed all the same: what it cost goes with the error, and a run charges it to the failed samples.
    const paid = (error as ProviderError).paid!;
    expect(paid.usage.inputTokens).toBeGreaterThan(0);
    expect(paid.costUsd).toBeGreaterThan(0);
    const again = await server({ faults: { 1: { kind: 'fewer-choices', choices: 0 } } });
    const run = await iterate({
      provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: again.url, transport: fast() }),
      tasks: ['hi'], reward: () => 1, samples: 4, iterations: 0, maxErrors: 4,
    });
    expect(run.trajectories.every((trajectory) => !trajectory.ok)).toBe(true);
    expect(run.usage.inputTokens).toBe(paid.usage.inputTokens);
    expect(run.costUsd).toBe(paid.costUsd);
  });

  test('retry-after-ms is honoured before the single retry', async () => {
    const target = await server({ faults: { 1: { kind: 'rate-limit', retryAfterMs: 150 } } });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast() });
    const response = await provider.sample(ask('hi'), { n: 2 });
    expect(response.completions).toHaveLength(2);
    expect(target.requestCount).toBe(2);
    const [first, second] = target.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(150);
  });

  test('retry-after in seconds is honoured', async () => {
    const target = await server({ faults: { 1: { kind: 'rate-limit', retryAfterSeconds: 0.2 } } });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast() });
    await provider.sample(ask('hi'), { n: 1 });
    const [first, second] = target.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(200);
  });

  test('a 429 pauses the other providers sharing the transport', async () => {
    const target = await server({ faults: { 1: { kind: 'rate-limit', retryAfterMs: 200 } } });
    const transport = fast();
    const first = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport });
    const second = openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: target.url, transport });
    const limited = first.sample(ask('one'), { n: 1 });
    while (target.requestCount === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await Promise.all([limited, second.sample(ask('two'), { n: 1 })]);
    expect(target.requestCount).toBe(3);
    const [rateLimited, ...later] = target.requests;
    for (const request of later) {
      expect(request.receivedAt - (rateLimited?.receivedAt ?? 0)).toBeGreaterThanOrEqual(200);
    }
  });

  test('400 is not retried: exactly one request', async () => {
    const target = await server({ faults: () => ({ kind: 'status', status: 400, message: 'bad parameter' }) });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast({ maxRetries: 5 }) });
    const error = await provider.sample(ask('hi'), { n: 4 }).catch((caught: unknown) => caught);
    expect(target.requestCount).toBe(1);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 400, isRetryable: false, provider: 'openai' });
    expect((error as Error).message).toMatch(/bad parameter/);
  });

  test('no double retries: 500s cost exactly maxRetries + 1 requests, even with a client that retries on its own', async () => {
    const target = await server({ faults: () => ({ kind: 'status', status: 500 }) });
    const own = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast({ maxRetries: 2 }) });
    await expect(own.sample(ask('hi'), { n: 1 })).rejects.toMatchObject({ status: 500 });
    expect(target.requestCount).toBe(3);

    const client = new OpenAI({ apiKey: KEY, baseURL: target.url, maxRetries: 4 });
    const provided = openai({ model: 'gpt-4o', client, transport: fast({ maxRetries: 2 }) });
    await expect(provided.sample(ask('hi'), { n: 1 })).rejects.toMatchObject({ status: 500 });
    expect(target.requestCount).toBe(6);
    expect(target.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(Array(6).fill('0'));
  });

  test('529, 503, connection resets and malformed JSON are retried', async () => {
    const target = await server({
      faults: {
        1: { kind: 'status', status: 529 },
        2: { kind: 'status', status: 503 },
        3: { kind: 'reset' },
        4: { kind: 'malformed-json' },
      },
    });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast({ maxRetries: 4 }) });
    const response = await provider.sample(ask('persist'), { n: 3 });
    expect(target.requestCount).toBe(5);
    expect(response.completions.map((completion) => completion.text)).toEqual([
      'echo: persist #0',
      'echo: persist #1',
      'echo: persist #2',
    ]);
  });

  test('a stalled response times out, says after how long, and is retried', async () => {
    const target = await server({ faults: { 1: { kind: 'stall' } } });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast({ timeout: 500 }) });
    const response = await provider.sample(ask('slow'), { n: 1 });
    expect(response.completions[0]?.text).toBe('echo: slow #0');
    expect(target.requestCount).toBe(2);

    const stalled = await server({ faults: () => ({ kind: 'stall' }) });
    const hopeless = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: stalled.url, transport: fast({ timeout: 100, maxRetries: 1 }) });
    const error = await hopeless.sample(ask('slow'), { n: 1 }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/openai request timed out after 100 ms/);
    expect(stalled.requestCount).toBe(2);
  });

  test('abort mid-flight rejects with the signal reason and sends nothing more', async () => {
    const target = await server({ faults: () => ({ kind: 'stall' }) });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast() });
    const controller = new AbortController();
    const reason = new Error('stop now');
    setTimeout(() => controller.abort(reason), 50);
    await expect(provider.sample(ask('hi'), { n: 2, signal: controller.signal })).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(target.requestCount).toBe(1);
  });

  test('the API key never appears in an error, its cause chain included', async () => {
    const target = await server({ apiKey: 'sk-the-right-one-000000000000' });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, transport: fast() });
    const error = await provider.sample(ask('hi'), { n: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 401, isRetryable: false });
    const serialized = inspect(error, { depth: 20, showHidden: true }) + JSON.stringify(error);
    expect(serialized).toContain('Incorrect API key provided: [redacted]');
    expect(serialized).not.toContain(KEY);
    expect(serialized).not.toContain('SECRETkey');
    expect(target.requestCount).toBe(1);
  });

  test('structured output: the schema is sent, valid JSON parsed, failures reported per completion', async () => {
    const answers = ['{"answer":"yes","confidence":0.9}', '{"answer":"no"}', 'not json at all'];
    const target = await server({ responder: ({ choiceIndex }) => answers[choiceIndex] ?? '' });
    const schema = z.object({ answer: z.string(), confidence: z.number() });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, schema, schemaName: 'verdict' });
    const response = await provider.sample(ask('judge'), { n: 3 });
    expect(body(target).response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'verdict',
        strict: true,
        schema: {
          type: 'object',
          properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
          required: ['answer', 'confidence'],
          additionalProperties: false,
        },
      },
    });
    const [valid, incomplete, garbage] = response.completions;
    expect(valid?.parsed).toEqual({ answer: 'yes', confidence: 0.9 });
    expect(valid?.error).toBeUndefined();
    expectTypeOf(response.completions[0]?.parsed).toEqualTypeOf<{ answer: string; confidence: number } | undefined>();
    expect(incomplete).not.toHaveProperty('parsed');
    expect(incomplete?.error).toMatch(/does not match the schema: confidence/);
    expect(garbage).not.toHaveProperty('parsed');
    expect(garbage?.error).toMatch(/not valid JSON/);
  });

  test('a schema with optional fields is sent non-strict; a non-object root is rejected up front', async () => {
    const target = await server({ responder: () => '{"answer":"x"}' });
    const provider = openai({
      model: 'gpt-4o',
      apiKey: KEY,
      baseURL: target.url,
      schema: z.object({ answer: z.string(), note: z.string().optional() }),
    });
    const response = await provider.sample(ask('q'), { n: 1 });
    expect((body(target).response_format as { json_schema: { strict: boolean } }).json_schema.strict).toBe(false);
    expect(response.completions[0]?.parsed).toEqual({ answer: 'x' });
    expect(() => openai({ model: 'gpt-4o', apiKey: KEY, schema: z.array(z.string()) })).toThrow(/`schema`.*z\.object/);
  });

  test('logprobs are requested and averaged per completion', async () => {
    const target = await server({ tokenLogprob: (position) => (position % 2 === 0 ? 0 : -1) });
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url, logprobs: true });
    const response = await provider.sample(ask('hi'), { n: 1 }); // 'echo: hi #0' is 3 tokens: 0, -1, 0
    expect(body(target).logprobs).toBe(true);
    expect(response.completions[0]?.logprob).toBeCloseTo(-1 / 3, 12);
  });

  test('usage counts cached and reasoning tokens, and the cost bills them at their rates', async () => {
    const target = await server({ reasoningTokens: 5 });
    const provider = openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: target.url });
    const prefix: Message[] = [
      { role: 'system', content: 'You are a careful solver of gold-coin mazes.' },
      { role: 'user', content: 'example maze' },
      { role: 'assistant', content: 'RRDD' },
    ];
    const first = await provider.sample({ messages: [...prefix, { role: 'user', content: 'maze one' }], cachePrefixLength: 3 }, { n: 2 });
    const second = await provider.sample({ messages: [...prefix, { role: 'user', content: 'maze two' }], cachePrefixLength: 3 }, { n: 2 });
    expect(first.usage.cachedInputTokens).toBe(0);
    expect(second.usage.cachedInputTokens).toBeGreaterThan(0);
    expect(second.usage.cachedInputTokens).toBeLessThan(second.usage.inputTokens);
    expect(second.usage.reasoningTokens).toBe(10);
    expect(second.usage.outputTokens).toBe(2 * (Math.ceil('echo: maze two #0'.length / 4) + 5));
    const { inputTokens, cachedInputTokens, outputTokens } = second.usage;
    expect(second.costUsd).toBeCloseTo(((inputTokens - cachedInputTokens) * 0.15 + cachedInputTokens * 0.075 + outputTokens * 0.6) / 1e6, 15);
    expect(second.costUsd).toBe(costOf('gpt-4o-mini', second.usage));
    // The stable prefix is sent as a prompt_cache_key so OpenAI routes both to a warm cache.
    expect(body(target, 0).prompt_cache_key).toMatch(/^pauper-[0-9a-f]{8}$/);
    expect(body(target, 1).prompt_cache_key).toBe(body(target, 0).prompt_cache_key);
  });

  test('an unknown model has a null cost; a price given per run makes it known', async () => {
    const target = await server();
    const unknown = openai({ model: 'my-finetune', apiKey: KEY, baseURL: target.url });
    expect((await unknown.sample(ask('hi'), { n: 1 })).costUsd).toBeNull();
    const priced = openai({
      model: 'my-finetune',
      apiKey: KEY,
      baseURL: target.url,
      prices: { 'my-finetune': { input: 1_000_000, cachedInput: 0, cacheWrite: 1_000_000, output: 0 } },
    });
    const response = await priced.sample(ask('a different prompt'), { n: 1 });
    expect(response.usage.cachedInputTokens).toBe(0);
    expect(response.costUsd).toBe(response.usage.inputTokens);
  });

  test('50 calls under 20% seeded faults: every completion arrives once, each fault costs one extra request', async () => {
    const target = await server({
      // The warm-up request (number 1) is well-behaved; the 50 calls then meet seeded faults.
      faults: (requestNumber) => (requestNumber === 1 ? undefined : faultAt(requestNumber)),
    });
    const faultRng = createRng(2026);
    const kinds: Fault[] = [
      { kind: 'rate-limit', retryAfterMs: 5 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 529 },
      { kind: 'reset' },
      { kind: 'malformed-json' },
      { kind: 'stall', ms: 5_000 },
    ];
    function faultAt(_requestNumber: number): Fault | undefined {
      return faultRng() < 0.2 ? kinds[Math.floor(faultRng() * kinds.length)] : undefined;
    }
    const provider = openai({
      model: 'gpt-4o-mini',
      apiKey: KEY,
      baseURL: target.url,
      // The timeout must outlast a slow but healthy response when 50 requests share one process with the server.
      transport: fast({ maxRetries: 10, timeout: 2_500, maxRetryDelay: 20 }),
    });
    await provider.sample(ask('warm-up'), { n: 1 });
    const responses = await Promise.all(Array.from({ length: 50 }, (_, task) => provider.sample(ask(`task-${task}`), { n: 4 })));
    const texts = responses.flatMap((response) => response.completions.map((completion) => completion.text));
    expect(texts).toHaveLength(200);
    expect(new Set(texts).size).toBe(200);
    responses.forEach((response, task) => {
      expect(response.completions.map((completion) => completion.text)).toEqual([0, 1, 2, 3].map((index) => `echo: task-${task} #${index}`));
    });
    const faulted = target.requests.filter((request) => request.fault !== undefined).length;
    expect(faulted).toBeGreaterThan(5);
    expect(target.requestCount).toBe(1 + 50 + faulted);
    expect(responses.reduce((sum, response) => sum + response.usage.requests, 0)).toBe(50);
  });
});

describe('openai wire edge cases', () => {
  test('a refusal beside partial content is a failed completion that keeps the content', async () => {
    const target = await server({
      faults: { 1: { kind: 'refusal', text: '{"answer": "ye', reason: 'I cannot help with that.' } },
    });
    const provider = openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: target.url, transport: fast() });
    const refused = await provider.sample(ask('hi'), { n: 2 });
    expect(refused.completions).toEqual([
      { text: '{"answer": "ye', finishReason: 'stop', error: 'The model refused: I cannot help with that.' },
      { text: '{"answer": "ye', finishReason: 'stop', error: 'The model refused: I cannot help with that.' },
    ]);
    const answered = await provider.sample(ask('hi'), { n: 1 });
    expect(answered.completions).toEqual([{ text: 'echo: hi #0', finishReason: 'stop' }]);
  });

  test('a response without usage is kept, with a null cost and a warning, even for a priced model', async () => {
    const target = await server({ faults: { 2: { kind: 'no-usage' } } });
    const provider = openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: target.url, transport: fast() });
    const priced = await provider.sample(ask('hi'), { n: 2 });
    expect(priced.costUsd).toBeGreaterThan(0);
    expect(priced.warnings).toBeUndefined();
    const unpriced = await provider.sample(ask('hi'), { n: 2 });
    expect(target.requestCount).toBe(2);
    expect(unpriced.completions).toHaveLength(2);
    expect(unpriced.usage).toMatchObject({ requests: 1, inputTokens: 0, outputTokens: 0 });
    expect(unpriced.costUsd).toBeNull();
    expect(unpriced.warnings).toEqual([{ code: 'usage-missing', message: expect.stringMatching(/no `usage`.*cost is null/) }]);
  });

  test.each([
    [500, 'false', 1, false, /asked not to retry/],
    [529, 'false', 1, false, /asked not to retry/],
    [400, 'true', 3, true, /asked for a retry.*Gave up after 3 attempts/],
    [403, 'true', 3, true, /asked for a retry/],
    [503, 'true', 3, true, /server error; retryable\. Gave up after 3 attempts/],
  ])('HTTP %i with x-should-retry: %s is sent %i times (maxRetries 2)', async (status, header, requests, isRetryable, message) => {
    const target = await server({ faults: () => ({ kind: 'status', status, headers: { 'x-should-retry': header } }) });
    const provider = openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: target.url, transport: fast({ maxRetries: 2 }) });
    const error = await provider.sample(ask('hi'), { n: 1 }).catch((caught: unknown) => caught);
    expect(target.requestCount).toBe(requests);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status, isRetryable, headers: { 'x-should-retry': header } });
    expect((error as Error).message).toMatch(message);
  });
});

describe('openai options', () => {
  test('a missing key is a ConfigError at the first request, not when the provider is created', async () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    const keyless = openai({ model: 'gpt-4o' });
    await expect(keyless.sample(ask('hi'), { n: 1 })).rejects.toThrow(ConfigError);
    await expect(keyless.sample(ask('hi'), { n: 1 })).rejects.toThrow(/`apiKey`.*OPENAI_API_KEY/);
    vi.stubEnv('OPENAI_API_KEY', KEY);
    expect(openai({ model: 'gpt-4o' }).model).toBe('gpt-4o');
  });

  test('the key from OPENAI_API_KEY is sent', async () => {
    const target = await server({ apiKey: KEY });
    vi.stubEnv('OPENAI_API_KEY', KEY);
    const provider = openai({ model: 'gpt-4o', baseURL: target.url });
    await expect(provider.sample(ask('hi'), { n: 1 })).resolves.toMatchObject({ completions: [{ text: 'echo: hi #0' }] });
  });

  test.each([
    ['model', { model: '' }],
    ['maxRetries', { model: 'gpt-4o', apiKey: KEY, maxRetries: -1 }],
    ['timeout', { model: 'gpt-4o', apiKey: KEY, transport: createTransport(), timeout: 5 }],
    ['apiKey', { model: 'gpt-4o', apiKey: KEY, client: new OpenAI({ apiKey: KEY }) }],
    ['logprobs', { model: 'gpt-4o', apiKey: KEY, logprobs: 'yes' as unknown as boolean }],
  ])('invalid %s is a ConfigError naming it', (option, options) => {
    expect(() => openai(options)).toThrow(ConfigError);
    expect(() => openai(options)).toThrow(new RegExp(`\`${option}\``));
  });

  test('a wrong client object is rejected without echoing what it holds', () => {
    const mistaken = { apiKey: KEY } as unknown as OpenAI;
    expect(() => openai({ model: 'gpt-4o', client: mistaken })).toThrow(/`client`/);
    const error = (() => {
      try {
        openai({ model: 'gpt-4o', client: mistaken });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(inspect(error, { depth: 10 })).not.toContain(KEY);
  });

  test('n = 0 sends nothing; a negative n is a ConfigError', async () => {
    const target = await server();
    const provider = openai({ model: 'gpt-4o', apiKey: KEY, baseURL: target.url });
    expect((await provider.sample(ask('hi'), { n: 0 })).completions).toEqual([]);
    await expect(provider.sample(ask('hi'), { n: -1 })).rejects.toThrow(ConfigError);
    expect(target.requestCount).toBe(0);
  });
});
