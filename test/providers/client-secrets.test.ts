import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Anthropic } from '@anthropic-ai/sdk';
import { AzureOpenAI, OpenAI } from 'openai';
import { afterEach, describe, expect, test } from 'vitest';
import type { Provider, RunEvent } from '../../src/index.js';
import { anthropic, createTransport, iterate, openai } from '../../src/index.js';
import type { RetryEvent } from '../../src/providers/transport/transport.js';
import { startAnthropicServer } from '../servers/anthropic-server.js';
import type { TestServer } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// Clients the user built whose key is not a plain string when the provider is created: the
// key exists only inside the SDK until a request is sent. The servers expect another key and
// answer echoing the one they received, as real APIs echo (part of) it: a 401, or a retryable
// 503 so that the retry events carry the echo too.

const TOKEN = 'sk-ant-oat01-SECRETtoken0123456789abcdef';
const RIGHT = 'the-right-key-000000000000';
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Setup {
  readonly retries: RetryEvent[];
  readonly wrongKeyStatus: number;
}
type ClientKind = readonly [string, (setup: Setup) => Promise<Provider>];

const transport = ({ retries }: Setup) =>
  createTransport({ retryDelay: 1, maxRetries: 1, onRetry: (event) => retries.push(event) });

async function anthropicServer({ wrongKeyStatus }: Setup): Promise<TestServer> {
  const server = await startAnthropicServer({ apiKey: RIGHT, wrongKeyStatus });
  servers.push(server);
  return server;
}

async function openaiServer({ wrongKeyStatus }: Setup): Promise<TestServer> {
  const server = await startOpenAIServer({ apiKey: RIGHT, wrongKeyStatus });
  servers.push(server);
  return server;
}

const kinds: readonly ClientKind[] = [
  [
    'Anthropic client with authToken',
    async (setup) => {
      const server = await anthropicServer(setup);
      const client = new Anthropic({ authToken: TOKEN, apiKey: null, baseURL: server.url, maxRetries: 0 });
      return anthropic({ model: 'claude-haiku-4-5', client, transport: transport(setup) });
    },
  ],
  [
    'Anthropic client with an apiKey function',
    async (setup) => {
      const server = await anthropicServer(setup);
      const client = new Anthropic({ apiKey: async () => TOKEN, baseURL: server.url, maxRetries: 0 });
      return anthropic({ model: 'claude-haiku-4-5', client, transport: transport(setup) });
    },
  ],
  [
    'OpenAI client with an apiKey function',
    async (setup) => {
      const server = await openaiServer(setup);
      const client = new OpenAI({ apiKey: async () => TOKEN, baseURL: server.url, maxRetries: 0 });
      return openai({ model: 'gpt-4o-mini', client, transport: transport(setup) });
    },
  ],
  [
    'AzureOpenAI client with azureADTokenProvider',
    async (setup) => {
      const server = await openaiServer(setup);
      const client = new AzureOpenAI({
        azureADTokenProvider: async () => TOKEN,
        endpoint: server.url.replace(/\/v1$/, ''),
        deployment: 'gpt-4o-mini',
        apiVersion: '2024-10-21',
        maxRetries: 0,
      });
      return openai({ model: 'gpt-4o-mini', client, transport: transport(setup) });
    },
  ],
];

function expectNoToken(value: unknown): void {
  const serialized = inspect(value, { depth: 20, showHidden: true }) + JSON.stringify(value);
  expect(serialized).not.toContain(TOKEN);
  expect(serialized).not.toContain('SECRETtoken');
}

describe('keys a user-built client only learns per request', () => {
  test.each(kinds)('%s: the key never appears in a 401 error or its properties', async (_, build) => {
    const provider = await build({ retries: [], wrongKeyStatus: 401 });
    const error = await provider.sample({ messages: [{ role: 'user', content: 'hi' }] }, { n: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 401, isRetryable: false });
    expect((error as Error).message).toMatch(/Incorrect API key provided: \[redacted\]/);
    expectNoToken(error);
    expectNoToken({ ...(error as object) });
    expectNoToken((error as Error).cause);
  });

  test.each(kinds)('%s: the key never appears in retry events or the final error of a retried failure', async (_, build) => {
    const retries: RetryEvent[] = [];
    const provider = await build({ retries, wrongKeyStatus: 503 });
    const error = await provider.sample({ messages: [{ role: 'user', content: 'hi' }] }, { n: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 503, isRetryable: true });
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error.message).toMatch(/Incorrect API key provided: \[redacted\]/);
    expectNoToken(retries);
    expectNoToken(error);
  });

  test.each(kinds)('%s: the key never appears in the events or result of a run', async (_, build) => {
    const provider = await build({ retries: [], wrongKeyStatus: 401 });
    const events: RunEvent<string>[] = [];
    const outcome = await iterate({
      provider,
      tasks: ['task'],
      reward: () => 1,
      samples: 2,
      iterations: 1,
      maxErrors: 100,
      onEvent: (event) => events.push(event),
    }).catch((caught: unknown) => caught);
    const samples = events.filter((event) => event.type === 'sample');
    expect(samples.length).toBeGreaterThan(0);
    expect(inspect(samples, { depth: 20 })).toMatch(/\[redacted\]/);
    expectNoToken(events);
    expectNoToken(outcome);
  });
});

describe('an OpenAI client whose apiKey function mints a key per request', () => {
  test('no minted key appears in any error, although the client holds only the latest one when errors are built', async () => {
    // Answers 401 echoing the credential received; the first request's answer waits until the second
    // request has arrived, so by then the client already holds the second key.
    let arrived = 0;
    const held: (() => void)[] = [];
    const tagsSeen: unknown[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        tagsSeen.push(request.headers['x-pauper-request']);
        const answer = () => {
          response.writeHead(401, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: { message: `invalid credential ${request.headers.authorization}`, type: 'auth' } }));
        };
        arrived++;
        if (arrived === 1) held.push(answer);
        else {
          answer();
          setTimeout(() => held.splice(0).forEach((release) => release()), 10);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      let minted = 0;
      const client = new OpenAI({ apiKey: async () => `sk-minted-${++minted}-SECRET0123456789`, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      const provider = openai({ model: 'gpt-4.1-mini', client, maxRetries: 0 });
      const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
      const first = provider.sample(request, { n: 1 });
      while (arrived < 1) await new Promise((resolve) => setTimeout(resolve, 2));
      const results = await Promise.allSettled([first, provider.sample(request, { n: 1 })]);
      const errors = results.map((result) => (result.status === 'rejected' ? (result.reason as Error) : undefined));
      expect(errors.every((error) => error !== undefined)).toBe(true);
      expect(minted).toBe(2);
      for (const error of errors) {
        expect(error?.message).toContain('[redacted]');
        expect(`${error?.message} ${inspect(error, { depth: 8 })}`).not.toMatch(/sk-minted-\d/);
      }
      // The header pauper uses to tell requests apart never leaves the process.
      expect(tagsSeen).toEqual([undefined, undefined]);
    } finally {
      server.close();
    }
  });
});
