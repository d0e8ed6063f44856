import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { redact } from '../../../src/providers/transport/redact.js';
import { createTransport, type RetryEvent } from '../../../src/providers/transport/transport.js';
import { httpError } from './helpers.js';

describe('redaction', () => {
  test('the API key never appears in the message, cause chain or retry events', async () => {
    const key = 'sk-proj-SECRETabcdef0123456789';
    const masked = 'sk-proj-**********************6789';
    const events: RetryEvent[] = [];
    const transport = createTransport({ retryDelay: 1, maxRetries: 1, onRetry: (event) => events.push(event) });
    const leaky = () =>
      Object.assign(new Error(`401 Incorrect API key provided: ${key}`, { cause: new Error(`while sending ${masked}`) }), {
        status: 500,
        headers: new Headers(),
        error: { message: `key ${key}` },
      });
    const error = await transport
      .send(async () => {
        throw leaky();
      }, { provider: 'openai', secrets: [key] })
      .catch((caught: unknown) => caught);
    const serialized = inspect(error, { depth: 20 }) + inspect(events, { depth: 20 });
    expect(serialized).toContain('[redacted]');
    expect(serialized).not.toContain(key);
    expect(serialized).not.toContain('SECRET');
    expect(serialized).not.toContain(masked);
    expect(events).toHaveLength(1);
  });

  test('secrets given as a function are read when the error is built, not when the request starts', async () => {
    const transport = createTransport({ maxRetries: 0 });
    let key: string | undefined;
    const error = await transport
      .send(
        async () => {
          key = 'sk-learned-during-the-attempt-0123';
          throw httpError(401, {}, `401 Incorrect API key provided: ${key}`);
        },
        { provider: 'openai', secrets: () => (key === undefined ? [] : [key]) },
      )
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('openai returned HTTP 401: Incorrect API key provided: [redacted]. Check the API key.');
    expect(inspect(error, { depth: 20 })).not.toContain('learned-during');
  });

  test('redact removes the key and masked fragments but leaves other words', () => {
    const key = 'sk-ant-api03-VERYSECRETvalue42';
    expect(redact(`key=${key}.`, [key])).toBe('key=[redacted].');
    expect(redact('provided: sk-ant-***************ue42 is wrong', [key])).toBe('provided: [redacted] is wrong');
    expect(redact('a fragment VERYSECRETvalue leaked', [key])).toBe('a fragment [redacted] leaked');
    expect(redact('nothing to see in this message-id req_123456', [key])).toBe('nothing to see in this message-id req_123456');
  });
});
