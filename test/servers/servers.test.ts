import { afterEach, describe, expect, test } from 'vitest';
import { startAnthropicServer } from './anthropic-server.js';
import type { Fault, TestServer } from './common.js';
import { createOpenAIFiles } from './openai-files.js';
import { startOpenAIServer } from './openai-server.js';
import OpenAI, { toFile } from 'openai';

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function openaiServer(options: Parameters<typeof startOpenAIServer>[0] = {}): Promise<TestServer> {
  const server = await startOpenAIServer(options);
  servers.push(server);
  return server;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const chat = { model: 'm', messages: [{ role: 'user', content: 'hello' }] };

describe('test servers', () => {
  test('record every request with its body and headers, and answer on a random local port', async () => {
    const server = await openaiServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const response = await post(`${server.url}/chat/completions`, { ...chat, n: 2 });
    const json = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(json.choices.map((choice) => choice.message.content)).toEqual(['echo: hello #0', 'echo: hello #1']);
    expect(server.requestCount).toBe(1);
    expect(server.requests[0]).toMatchObject({ number: 1, method: 'POST', path: '/v1/chat/completions', body: { ...chat, n: 2 } });
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  test('seeded random faults repeat exactly for the same seed', async () => {
    const kinds: Fault[] = [{ kind: 'status', status: 500 }, { kind: 'status', status: 529 }];
    const statuses = async (seed: number): Promise<number[]> => {
      const server = await openaiServer({ randomFaults: { probability: 0.5, seed, kinds } });
      const result: number[] = [];
      for (let i = 0; i < 20; i += 1) result.push((await post(`${server.url}/chat/completions`, chat)).status);
      return result;
    };
    const first = await statuses(11);
    expect(await statuses(11)).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((status) => status === 500 || status === 529)).toBe(true);
    expect(await statuses(12)).not.toEqual(first);
  });

  test('a reset destroys the socket, malformed JSON does not parse, other paths are 404', async () => {
    const server = await openaiServer({ faults: { 1: { kind: 'reset' }, 2: { kind: 'malformed-json' } } });
    await expect(post(`${server.url}/chat/completions`, chat)).rejects.toThrow(/fetch failed/);
    const malformed = await post(`${server.url}/chat/completions`, chat);
    expect(malformed.status).toBe(200);
    await expect(malformed.json()).rejects.toThrow(SyntaxError);
    expect((await post(`${server.url}/embeddings`, chat)).status).toBe(404);
  });

  test('a route answers its own endpoint, behind the same API key check, and can run the completion endpoint', async () => {
    const server = await openaiServer({
      apiKey: 'sk-test',
      routes: [
        {
          matches: (method, path) => method === 'POST' && /^\/v1\/run\/\w+$/.test(path),
          handle: async (request, routeServer) => {
            const completion = await routeServer.complete(request.body as Record<string, unknown>);
            const name = request.path.split('/').at(-1);
            return { status: 201, body: { name, tag: request.query.get('tag'), bytes: request.raw.length, completion: completion.body } };
          },
        },
      ],
    });
    const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-test' };
    const response = await fetch(`${server.url}/run/first?tag=a`, { method: 'POST', headers, body: JSON.stringify(chat) });
    expect(response.status).toBe(201);
    const json = (await response.json()) as { name: string; tag: string; bytes: number; completion: { choices: { message: { content: string } }[] } };
    expect(json).toMatchObject({ name: 'first', tag: 'a', bytes: JSON.stringify(chat).length });
    expect(json.completion.choices[0]?.message.content).toBe('echo: hello #0');
    const wrongKey = await fetch(`${server.url}/run/first`, { method: 'POST', body: JSON.stringify(chat) });
    expect(wrongKey.status).toBe(401);
    expect((await fetch(`${server.url}/run/first`, { method: 'GET', headers })).status).toBe(404);
  });

  test('the files endpoints take an upload from the real SDK and give back its content', async () => {
    const store = createOpenAIFiles();
    const server = await openaiServer({ routes: store.routes });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.url });
    const lines = '{"custom_id":"a"}\n{"custom_id":"b"}\n';
    const uploaded = await client.files.create({ file: await toFile(Buffer.from(lines), 'input.jsonl'), purpose: 'batch' });
    expect(uploaded).toMatchObject({ id: 'file-1', purpose: 'batch', filename: 'input.jsonl', bytes: lines.length });
    expect(store.files.get('file-1')?.content).toBe(lines);
    expect((await client.files.retrieve('file-1')).purpose).toBe('batch');
    const output = store.add('{"custom_id":"a","response":{}}\n', 'batch_output', 'output.jsonl');
    expect(await (await client.files.content(output.id)).text()).toBe('{"custom_id":"a","response":{}}\n');
    await expect(client.files.retrieve('file-9')).rejects.toThrow(/No such File object: file-9/);
    expect((await client.files.delete('file-1')).deleted).toBe(true);
  });

  test('close() ends stalled requests instead of hanging', async () => {
    const server = await startOpenAIServer({ faults: () => ({ kind: 'stall' }) });
    const pending = post(`${server.url}/chat/completions`, chat).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await server.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  test('the Anthropic server writes a cache_control prefix once, then reads it', async () => {
    const server = await startAnthropicServer();
    servers.push(server);
    const request = {
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      system: [{ type: 'text', text: 'long stable system prompt', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'question' }],
    };
    const usage = async () =>
      ((await (await post(`${server.url}/v1/messages`, request)).json()) as { usage: Record<string, number> }).usage;
    const first = await usage();
    const second = await usage();
    expect(first).toMatchObject({ cache_creation_input_tokens: 8, cache_read_input_tokens: 0, input_tokens: 3 });
    expect(second).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 8, input_tokens: 3 });
    const missing = await post(`${server.url}/v1/messages`, { ...request, max_tokens: undefined });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  test('the Anthropic server rejects schema keywords structured output does not support, as the API does', async () => {
    const server = await startAnthropicServer();
    servers.push(server);
    const withSchema = (schema: unknown) => ({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'question' }],
      output_config: { format: { type: 'json_schema', schema } },
    });
    const object = (properties: Record<string, unknown>) => ({ type: 'object', properties, additionalProperties: false });
    const rejected = async (schema: unknown): Promise<string> => {
      const response = await post(`${server.url}/v1/messages`, withSchema(schema));
      expect(response.status).toBe(400);
      return ((await response.json()) as { error: { message: string } }).error.message;
    };
    expect(await rejected(object({ hour: { type: 'integer', minimum: 0 } }))).toBe(
      "output_config.format.schema: For 'integer' type, property 'minimum' is not supported",
    );
    expect(await rejected(object({ name: { type: 'string', maxLength: 5 } }))).toMatch(/'string' type, property 'maxLength'/);
    const twoItems = { type: 'array', items: { type: 'string' }, minItems: 2 };
    expect(await rejected(object({ list: twoItems }))).toMatch(/'minItems' only supports values 0 and 1/);
    const open = { type: 'object', properties: {} };
    expect(await rejected(object({ inner: open }))).toMatch(/'additionalProperties' must be explicitly set to false/);
    const nested = { type: 'array', items: object({ n: { type: 'number', multipleOf: 2 } }) };
    expect(await rejected(object({ list: nested }))).toMatch(/'multipleOf'/);
    const supported = object({
      day: { enum: ['mon'] },
      when: { type: 'string', format: 'date', description: '{pattern: "x"}' },
      list: { type: 'array', items: { type: 'string' }, minItems: 1 },
    });
    const accepted = await post(`${server.url}/v1/messages`, withSchema(supported));
    expect(accepted.status).toBe(200);
  });
});
