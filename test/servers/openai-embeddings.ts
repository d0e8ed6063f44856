import { countTokens, type Route } from './common.js';

/** The OpenAI embeddings endpoint of a test server, and what it was asked. */
export interface OpenAIEmbeddings {
  /** The route for `embeddings.create` (`POST /v1/embeddings`); pass it to `startOpenAIServer({ routes })`. */
  readonly route: Route;
  /** The `input` of every request received, in order. */
  readonly inputs: readonly (readonly string[])[];
}

/**
 * A deterministic embeddings endpoint: each text's vector is its letter counts (a to z), scaled to
 * length 1, so texts that share letters are close; usage is the servers' token count of the input.
 * Answers `encoding_format: 'float'` with arrays and `'base64'` (the SDK's default) with float32 bytes.
 */
export function createOpenAIEmbeddings(): OpenAIEmbeddings {
  const inputs: string[][] = [];
  const route: Route = {
    matches: (method, path) => method === 'POST' && path === '/v1/embeddings',
    handle: (request) => {
      const body = request.body as { model?: unknown; input?: unknown; encoding_format?: unknown };
      const input = typeof body.input === 'string' ? [body.input] : body.input;
      if (!Array.isArray(input) || !input.every((text) => typeof text === 'string') || typeof body.model !== 'string') {
        return { status: 400, body: { error: { message: '`model` and `input` (a string or an array of strings) are required.', type: 'invalid_request_error', param: null, code: null } } };
      }
      inputs.push(input);
      const data = input.map((text, index) => {
        const vector = letterCounts(text);
        const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
        return { object: 'embedding', index, embedding };
      });
      const tokens = input.reduce((sum, text) => sum + countTokens(text), 0);
      return { status: 200, body: { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
    },
  };
  return { route, inputs };
}

function letterCounts(text: string): number[] {
  const counts = new Array<number>(26).fill(0);
  for (const character of text.toLowerCase()) {
    const code = character.charCodeAt(0) - 97;
    if (code >= 0 && code < 26) counts[code] = (counts[code] ?? 0) + 1;
  }
  const norm = Math.sqrt(counts.reduce((sum, count) => sum + count * count, 0)) || 1;
  return counts.map((count) => count / norm);
}
