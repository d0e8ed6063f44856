import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import type { Message } from '../../src/core/messages.js';
import type { Warning } from '../../src/core/warnings.js';
import { openaiCompatible } from '../../src/providers/openai-compatible.js';
import { createTransport } from '../../src/providers/transport/transport.js';
import { createSamplerState } from '../../src/run/control.js';
import { sampleInRun } from '../../src/stages/sample.js';
import { sampleMany } from '../helpers.js';
import { serverPool, type TestServer } from '../servers/common.js';
import { startOpenAIServer, type OpenAIServerOptions } from '../servers/openai-server.js';

const servers = serverPool(startOpenAIServer);
const server = (options: OpenAIServerOptions = {}): Promise<TestServer> => servers.start(options);

afterEach(servers.closeAll);

const ask = (content: string): { messages: Message[] } => ({ messages: [{ role: 'user', content }] });

function bodies(target: TestServer): Record<string, unknown>[] {
  return target.requests.map((request) => request.body as Record<string, unknown>);
}

describe('openaiCompatible', () => {
  test('a server that honours n gets one request', async () => {
    const target = await server();
    const provider = openaiCompatible({ baseURL: target.url, model: 'qwen3-8b' });
    const response = await provider.sample({ ...ask('hi'), maxOutputTokens: 64 }, { n: 4 });
    expect(target.requestCount).toBe(1);
    expect(response.completions).toHaveLength(4);
    expect(response.warnings).toBeUndefined();
    expect(bodies(target)[0]).toMatchObject({ n: 4, max_tokens: 64 });
    expect(bodies(target)[0]).not.toHaveProperty('max_completion_tokens');
    expect(bodies(target)[0]).not.toHaveProperty('prompt_cache_key');
    expect(target.requests[0]?.headers.authorization).toBe('Bearer not-needed');
    expect(response.costUsd).toBeNull();
  });

  test('a server that ignores n: the short response is returned as it is, one request', async () => {
    const target = await server({ ignoreN: true });
    const provider = openaiCompatible({ baseURL: target.url, model: 'llama3.2', name: 'ollama' });
    expect(provider.capabilities.nativeN).toBe(true);
    const first = await provider.sample({ ...ask('maze'), seed: 7 }, { n: 4 });
    expect(first.completions).toHaveLength(1);
    expect(target.requestCount).toBe(1);
    expect(bodies(target)[0]).toMatchObject({ n: 4, seed: 7 });
    // The provider plans nothing: detecting that n is ignored, and fanning out, is the planner's job.
    expect(provider.capabilities.nativeN).toBe(true);
  });

  test('through sample(): a server that ignores n gets the rest one request each, with distinct seeds', async () => {
    const target = await server({ ignoreN: true });
    const provider = openaiCompatible({ baseURL: target.url, model: 'llama3.2', name: 'ollama' });
    const response = await sampleMany(provider, { ...ask('maze'), seed: 7 }, 3, { seed: 7 });
    expect(response.completions).toHaveLength(3);
    expect(target.requestCount).toBe(3);
    expect(bodies(target).slice(1).every((body) => !('n' in body))).toBe(true);
    expect(new Set(bodies(target).map((body) => body.seed)).size).toBe(3);
  });

  test('through sample(): the rest is fetched one request each, warned once, remembered for the run', async () => {
    const target = await server({ ignoreN: true });
    const provider = openaiCompatible({ baseURL: target.url, model: 'llama3.2', name: 'ollama' });
    const state = createSamplerState();
    const warnings: string[] = [];
    const options = { n: 4, seed: 7, state, onWarning: (warning: Warning) => warnings.push(warning.message) };
    const first = await sampleInRun(provider, ask('maze'), options);
    expect(first.map((completion) => completion.ok)).toEqual([true, true, true, true]);
    expect(target.requestCount).toBe(4);
    await sampleInRun(provider, ask('maze'), options);
    expect(target.requestCount).toBe(8);
    expect(bodies(target).slice(1).every((body) => !('n' in body))).toBe(true);
    expect(warnings).toEqual([expect.stringMatching(/^ollama returned 1 of 4 completions.*ignores `n`/)]);
  });

  test('one short response of several choices is topped up once and native n stays on', async () => {
    const target = await server({ faults: { 1: { kind: 'fewer-choices', choices: 2 } } });
    const provider = openaiCompatible({ baseURL: target.url, model: 'm' });
    const warnings: string[] = [];
    const options = { n: 5, state: createSamplerState(), onWarning: (warning: Warning) => warnings.push(warning.message) };
    const completions = await sampleInRun(provider, ask('x'), options);
    expect(completions.map((completion) => completion.ok && completion.completion.text)).toEqual([
      'echo: x #0',
      'echo: x #1',
      'echo: x #0',
      'echo: x #0',
      'echo: x #0',
    ]);
    expect(target.requestCount).toBe(4);
    expect(warnings).toEqual([expect.stringMatching(/returned 2 of 5 completions.*fetched the rest/)]);
    expect(provider.capabilities.nativeN).toBe(true);
    await sampleInRun(provider, ask('y'), options);
    expect(target.requestCount).toBe(5);
  });

  test('nativeN: false fans out from the start, without a warning', async () => {
    const target = await server();
    const provider = openaiCompatible({ baseURL: target.url, model: 'm', nativeN: false });
    expect(provider.capabilities.nativeN).toBe(false);
    const response = await sampleMany(provider, ask('x'), 3);
    expect(target.requestCount).toBe(3);
    expect(response.warnings).toEqual([]);
    expect(bodies(target).every((body) => !('n' in body))).toBe(true);
    // Asked directly for several, it sends nothing and points to sample().
    await expect(provider.sample(ask('x'), { n: 3 })).rejects.toThrow(/one completion per request/);
    expect(target.requestCount).toBe(3);
  });

  test('a failed fan-out request leaves the other completions and its failure with the reason', async () => {
    const target = await server({ ignoreN: true, faults: { 3: { kind: 'status', status: 404, message: 'model not found' } } });
    const provider = openaiCompatible({
      baseURL: target.url,
      model: 'm',
      transport: createTransport({ retryDelay: 1, concurrency: 1 }),
    });
    const state = createSamplerState();
    await sampleMany(provider, ask('detect'), 2, { state });
    const response = await sampleMany(provider, ask('x'), 3, { state });
    expect(response.completions).toHaveLength(2);
    expect(response.failures).toHaveLength(1);
    expect(String(response.failures[0])).toMatch(/HTTP 404.*model not found/);
  });

  test('an API key is sent when given', async () => {
    const target = await server({ apiKey: 'vllm-key-123456789' });
    const provider = openaiCompatible({ baseURL: target.url, model: 'm', apiKey: 'vllm-key-123456789' });
    await expect(provider.sample(ask('x'), { n: 1 })).resolves.toMatchObject({ completions: [{ text: 'echo: x #0' }] });
  });

  test.each([
    ['baseURL', { baseURL: 'localhost:8000', model: 'm' }],
    ['baseURL', { baseURL: '', model: 'm' }],
    ['model', { baseURL: 'http://127.0.0.1:1/v1', model: '' }],
    ['nativeN', { baseURL: 'http://127.0.0.1:1/v1', model: 'm', nativeN: 'no' as unknown as boolean }],
  ])('invalid %s is a ConfigError naming it', (option, options) => {
    expect(() => openaiCompatible(options)).toThrow(ConfigError);
    expect(() => openaiCompatible(options)).toThrow(new RegExp(`\`${option}\``));
  });
});
