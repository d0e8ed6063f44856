import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Provider } from 'pauper';
import { anthropic, ConfigError, estimate, iterate, openai } from 'pauper';
import { startAnthropicServer } from '../servers/anthropic-server.js';
import { serverPool, type TestServer } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// A provider built without an API key: `estimate()` works with it, and a run fails with the
// missing key before any request reaches the server.

const openaiServers = serverPool(startOpenAIServer);
const anthropicServers = serverPool(startAnthropicServer);

afterEach(async () => {
  await Promise.all([openaiServers.closeAll(), anthropicServers.closeAll()]);
  vi.unstubAllEnvs();
});

const families: [string, string, (baseURL: string) => Provider, () => Promise<TestServer>][] = [
  ['openai', 'OPENAI_API_KEY', (baseURL) => openai({ model: 'gpt-4.1-mini', baseURL }), () => openaiServers.start({})],
  ['anthropic', 'ANTHROPIC_API_KEY', (baseURL) => anthropic({ model: 'claude-haiku-4-5', baseURL }), () => anthropicServers.start({})],
];
const tasks = ['first task', 'second task'];

describe.each(families)('%s without an API key', (_family, envKey, build, start) => {
  it('estimate() prices the planned run', async () => {
    vi.stubEnv(envKey, '');
    const server = await start();
    const planned = estimate({ provider: build(server.url), tasks, reward: () => 1, samples: 4, iterations: 2, maxOutputTokens: 50 });
    expect(planned.requests).toBeGreaterThan(0);
    expect(planned.costUsd?.high).toBeGreaterThan(0);
    expect(server.requestCount).toBe(0);
  });

  it('iterate() fails with a ConfigError naming apiKey and the variable, and sends no request', async () => {
    vi.stubEnv(envKey, '');
    const server = await start();
    const run = iterate({ provider: build(server.url), tasks, reward: () => 1, samples: 4, iterations: 2, maxErrors: 100 });
    const error = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option: 'apiKey' });
    expect((error as Error).message).toContain(envKey);
    expect(server.requestCount).toBe(0);
  });

  it('a direct sample() rejects with the same ConfigError, and sends no request', async () => {
    vi.stubEnv(envKey, '');
    const server = await start();
    const error = await build(server.url)
      .sample({ messages: [{ role: 'user', content: 'hi' }] }, { n: 1 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`\`apiKey\`.*${envKey}`));
    expect(server.requestCount).toBe(0);
  });
});
