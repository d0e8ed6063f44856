import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { describe, expect, test } from 'vitest';
import { toProviderError } from '../../../src/providers/transport/provider-error.js';

describe('error normalisation', () => {
  test('SDK APIError keeps its status and headers', () => {
    const sdkError = APIError.generate(429, { error: { message: 'slow down' } }, undefined, new Headers({ 'retry-after-ms': '5' }));
    const error = toProviderError(sdkError, { provider: 'openai' });
    expect(error).toMatchObject({ status: 429, isRetryable: true, provider: 'openai', headers: { 'retry-after-ms': '5' } });
    expect(error.message).toMatch(/^openai returned HTTP 429: .*slow down.*lower the concurrency/);
    expect(error.cause).toBe(sdkError);
  });

  test('connection errors, SDK timeouts and malformed JSON are retryable; unknown errors are not', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }) });
    expect(toProviderError(fetchFailed, { provider: 'p' })).toMatchObject({ isRetryable: true });
    expect(toProviderError(fetchFailed, { provider: 'p' }).message).toMatch(/connection failed: fetch failed: other side closed \(ECONNRESET\)/);
    expect(toProviderError(new APIConnectionError({ message: 'Connection error.' }), { provider: 'p' }).isRetryable).toBe(true);
    const timeout = toProviderError(new APIConnectionTimeoutError(), { provider: 'p' });
    expect(timeout.isRetryable).toBe(true);
    expect(timeout.message).toMatch(/timed out/);
    expect(toProviderError(new SyntaxError('Unexpected end of JSON input'), { provider: 'p' })).toMatchObject({
      isRetryable: true,
    });
    expect(toProviderError(new RangeError('bug'), { provider: 'p' })).toMatchObject({ isRetryable: false });
  });
});
