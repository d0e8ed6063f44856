import type { Middleware } from '@anthropic-ai/sdk';
import type { Pacing } from './pacing.js';

// Where the providers hand each response's headers to their transport's pacing: a fetch around
// the OpenAI SDK client's own, and a middleware for the Anthropic SDK. Both read the headers
// the SDK receives anyway, without `.withResponse()`.

/** A fetch that marks each request as it is sent and hands its response's headers to `pacing`. */
export function pacedFetch(pacing: Pacing, inner?: typeof fetch): typeof fetch {
  return async (input, init) => {
    const mark = pacing.sent();
    // The global fetch is looked up per call, as the SDK's default does.
    const response = await (inner ?? globalThis.fetch)(input, init);
    pacing.received(response.headers, mark);
    return response;
  };
}

/** Anthropic SDK middleware that hands each response's headers to `pacing`. */
export function pacingMiddleware(pacing: Pacing): Middleware {
  return async (request, next) => {
    const mark = pacing.sent();
    const response = await next(request);
    pacing.received(response.headers, mark);
    return response;
  };
}
