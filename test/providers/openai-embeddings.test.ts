import { afterAll, describe, expect, it } from 'vitest';
import { costOf, hashedNgrams, iterate, nearest, openai, openaiEmbeddings, perTask, ProviderError } from 'pauper';
import { createOpenAIEmbeddings } from '../servers/openai-embeddings.js';
import { startOpenAIServer, type OpenAIServerOptions } from '../servers/openai-server.js';
import type { TestServer } from '../servers/common.js';

const KEY = 'sk-test-embeddings';
const started: TestServer[] = [];
async function server(options: OpenAIServerOptions = {}): Promise<TestServer> {
  const running = await startOpenAIServer({ apiKey: KEY, ...options });
  started.push(running);
  return running;
}
afterAll(async () => {
  await Promise.all(started.map((running) => running.close()));
});

const tasks = ['apple apple', 'banana banana', 'cherry cherry'];
const evalTasks = ['apple pie', 'banana bread'];

describe('openaiEmbeddings() over HTTP with the real SDK', () => {
  it('embeds every task once for a nearest() run, and counts the cost at the embedding price', async () => {
    const embeddings = createOpenAIEmbeddings();
    const target = await server({ routes: [embeddings.route], responder: ({ lastUserMessage }) => lastUserMessage.split(' ')[0] ?? '' });
    const embed = openaiEmbeddings({ apiKey: KEY, baseURL: target.url, batchSize: 4 });
    const run = await iterate({
      provider: openai({ model: 'gpt-4.1-mini', apiKey: KEY, baseURL: target.url }),
      tasks,
      evalTasks,
      reward: (sample) => sample.text.length,
      samples: 2,
      iterations: 1,
      select: perTask(1),
      fold: nearest(1, { embed }),
    });
    // Five distinct tasks, in batches of four, once.
    expect(embeddings.inputs).toEqual([[...tasks, evalTasks[0]], [evalTasks[1]]]);
    const tokens = [...tasks, ...evalTasks].reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
    const spend = run.byProvider.find((entry) => entry.role === 'embedder');
    expect(spend).toMatchObject({ provider: 'openai', model: 'text-embedding-3-small', samples: 5, usage: { requests: 2, inputTokens: tokens } });
    expect(spend?.costUsd).toBeCloseTo((tokens * 0.02) / 1_000_000, 15);
    expect(spend?.costUsd).toBe(costOf('text-embedding-3-small', spend?.usage ?? { requests: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 }));
    const samples = run.byProvider.find((entry) => entry.role === 'student');
    expect(run.costUsd).toBeCloseTo((samples?.costUsd ?? Number.NaN) + (spend?.costUsd ?? Number.NaN), 15);
    expect(run.usage.requests).toBe((samples?.usage.requests ?? 0) + 2);
    // The held-out 'apple pie' was shown the training example of 'apple apple', its nearest by letters.
    const applePie = run.trajectories.find((trajectory) => trajectory.split === 'eval' && trajectory.iteration === 1 && trajectory.taskIndex === 0);
    expect(applePie?.prompt.map((message) => message.content)).toEqual(['apple apple', 'apple', 'apple pie']);
  });

  it('sends the model, dimensions and key the options give, and reads float vectors back', async () => {
    const embeddings = createOpenAIEmbeddings();
    const target = await server({ routes: [embeddings.route] });
    const embed = openaiEmbeddings({ apiKey: KEY, baseURL: target.url, model: 'text-embedding-3-large', dimensions: 26 });
    const result = await embed.embed(['abc', 'xyz'], { signal: new AbortController().signal });
    expect(Array.isArray(result) ? undefined : result).toMatchObject({ usage: { requests: 1, inputTokens: 2 } });
    const vectors = Array.isArray(result) ? result : (result as { vectors: number[][] }).vectors;
    expect(vectors.map((vector) => vector.length)).toEqual([26, 26]);
    const body = target.requests.at(-1)?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'text-embedding-3-large', dimensions: 26, encoding_format: 'float', input: ['abc', 'xyz'] });
  });

  it('a wrong key is a ProviderError that names no key, and bad options are ConfigErrors', async () => {
    const target = await server({ routes: [createOpenAIEmbeddings().route] });
    const embed = openaiEmbeddings({ apiKey: 'sk-wrong-key-1234', baseURL: target.url, maxRetries: 0 });
    const failure = await Promise.resolve(embed.embed(['abc'], { signal: new AbortController().signal })).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(String((failure as Error).message)).not.toContain('sk-wrong-key-1234');
    expect(() => openaiEmbeddings({ apiKey: KEY, batchSize: 5000 })).toThrow(/batchSize/);
    expect(() => openaiEmbeddings({ apiKey: KEY, dimensions: 0 })).toThrow(/dimensions/);
    // The offline embedder needs no key and no server.
    expect(hashedNgrams().name).toBe('hashed-ngrams');
  });
});
