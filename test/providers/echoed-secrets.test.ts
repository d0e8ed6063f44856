import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Provider, RunEvent } from '../../src/index.js';
import { anthropic, createTransport, directoryCache, iterate, openai } from '../../src/index.js';
import type { RetryEvent } from '../../src/providers/transport/transport.js';
import { startAnthropicServer } from '../servers/anthropic-server.js';
import { serverPool, type ServerOptions, type TestServer } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';

const KEY = 'sk-echoed-SECRET0123456789abcdef';
const openaiServers = serverPool(startOpenAIServer);
const anthropicServers = serverPool(startAnthropicServer);
let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-echo-'));
});
afterEach(async () => {
  await openaiServers.closeAll();
  await anthropicServers.closeAll();
  await rm(directory, { recursive: true, force: true });
});

/** Every way a value can be shown: JSON, String, inspect with hidden fields, its stack. */
function shown(value: unknown): string {
  const stack = value instanceof Error ? (value.stack ?? '') : '';
  let json = '';
  try {
    json = JSON.stringify(value) ?? '';
  } catch {
    json = '';
  }
  return `${json}\n${String(value)}\n${inspect(value, { depth: 30, showHidden: true })}\n${stack}`;
}

const cases: [string, (server: TestServer, retries: RetryEvent[]) => Provider][] = [
  [
    'openai',
    (server, retries) =>
      openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, transport: createTransport({ retryDelay: 1, maxRetries: 1, onRetry: (event) => retries.push(event) }) }),
  ],
  [
    'anthropic',
    (server, retries) =>
      anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url, transport: createTransport({ retryDelay: 1, maxRetries: 1, onRetry: (event) => retries.push(event) }) }),
  ],
];

describe('a server that echoes the API key in a header, a body and an error message', () => {
  test.each(cases)('%s: the key is in none of the error, retry events, run events, results, journal or cache', async (name, make) => {
    // A wrong key answered with a retryable status, echoed in the message, the JSON body and a header.
    const options: ServerOptions = { apiKey: 'the-right-key-000000000000', wrongKeyStatus: 500, echoKeyInHeader: true };
    const server = await (name === 'openai' ? openaiServers : anthropicServers).start(options);
    const retries: RetryEvent[] = [];
    const provider = make(server, retries);

    const error = await provider.sample({ messages: [{ role: 'user', content: 'hi' }] }, { n: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 500 });
    expect((error as { headers: Record<string, string> }).headers['x-received-key']).toBe('[redacted]');
    expect(shown(error)).not.toContain(KEY);
    expect(shown((error as Error).cause)).not.toContain(KEY);
    expect(retries.length).toBeGreaterThan(0);
    expect(shown(retries)).not.toContain(KEY);

    const events: RunEvent<string>[] = [];
    const journal = join(directory, 'journal.jsonl');
    const cache = join(directory, 'cache');
    const run = await iterate({ provider, tasks: ['t'], reward: () => 1, samples: 2, iterations: 0, maxErrors: 10, journal, cache: directoryCache(cache), onEvent: (event) => events.push(event) });
    expect(run.trajectories.every((trajectory) => !trajectory.ok)).toBe(true);
    expect(shown(run)).not.toContain(KEY);
    expect(shown(events)).not.toContain(KEY);
    expect(await readFile(journal, 'utf8')).not.toContain(KEY);
    const cached = await readdir(cache, { recursive: true }).catch(() => []);
    for (const file of cached) expect(await readFile(join(cache, String(file)), 'utf8').catch(() => '')).not.toContain(KEY);
  });
});
