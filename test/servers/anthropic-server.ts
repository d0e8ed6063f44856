import type { IncomingHttpHeaders } from 'node:http';
import {
  countTokens,
  createPrefixCache,
  echoResponder,
  startServer,
  type ServerOptions,
  type TestServer,
  type WireMessage,
} from './common.js';

/** Options of `startAnthropicServer`. */
export type AnthropicServerOptions = ServerOptions;

interface Block {
  readonly role: string;
  readonly text: string;
  readonly cached: boolean;
}

/**
 * Starts a Messages API server on 127.0.0.1 (random port) that the real
 * `@anthropic-ai/sdk` accepts. A request whose prefix up to its last
 * `cache_control` block was seen before reports `cache_read_input_tokens`;
 * a new one reports `cache_creation_input_tokens`. Pass `url` as `baseURL`.
 */
export function startAnthropicServer(options: AnthropicServerOptions = {}): Promise<TestServer> {
  const responder = options.responder ?? echoResponder;
  const cache = createPrefixCache();

  const errorBody = (status: number, message: string): unknown => ({
    type: 'error',
    error: { type: errorType(status), message },
  });

  return startServer(
    options,
    {
      matches: (path) => path.endsWith('/v1/messages'),
      apiKeyOf: (headers: IncomingHttpHeaders) => {
        const key = headers['x-api-key'];
        if (typeof key === 'string') return key;
        const authorization = headers.authorization;
        return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : authorization;
      },
      errorBody,
      respond: async (body, requestNumber) => {
        const blocks = readBlocks(body);
        if (typeof blocks === 'string') return { status: 400, body: errorBody(400, blocks) };
        if (typeof body.max_tokens !== 'number') {
          return { status: 400, body: errorBody(400, 'max_tokens: Field required') };
        }
        if (typeof body.model !== 'string') return { status: 400, body: errorBody(400, 'model: Field required') };
        const messages: WireMessage[] = blocks.filter((block) => block.role !== 'system').map(({ role, text }) => ({ role, content: text }));
        const lastUserMessage = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
        let text = await responder({ requestNumber, choiceIndex: 0, messages, lastUserMessage, body });
        let stopReason = 'end_turn';
        if (countTokens(text) > body.max_tokens) {
          text = text.slice(0, body.max_tokens * 4);
          stopReason = 'max_tokens';
        }
        const tokens = blocks.map((block) => countTokens(block.text) + 1);
        const total = tokens.reduce((sum, count) => sum + count, 0);
        const breakpoint = blocks.map((block) => block.cached).lastIndexOf(true);
        let cacheRead = 0;
        let cacheWrite = 0;
        if (breakpoint >= 0) {
          const prefixTokens = tokens.slice(0, breakpoint + 1).reduce((sum, count) => sum + count, 0);
          const key = JSON.stringify(blocks.slice(0, breakpoint + 1).map(({ role, text: blockText }) => [role, blockText]));
          if (cache.lookup(key)) cacheRead = prefixTokens;
          else cacheWrite = prefixTokens;
        }
        return {
          status: 200,
          headers: { 'request-id': `req_${requestNumber}` },
          body: {
            id: `msg_${requestNumber}`,
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: [{ type: 'text', text, citations: null }],
            stop_reason: stopReason,
            stop_sequence: null,
            stop_details: null,
            container: null,
            diagnostics: null,
            usage: {
              input_tokens: total - cacheRead - cacheWrite,
              output_tokens: countTokens(text),
              cache_creation_input_tokens: cacheWrite,
              cache_read_input_tokens: cacheRead,
              cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
              output_tokens_details: null,
              server_tool_use: null,
              service_tier: 'standard',
              inference_geo: null,
              speed: null,
            },
          },
        };
      },
    },
    '',
  );
}

/** System blocks then message blocks, in prompt order; an error message when the shape is wrong. */
function readBlocks(body: Readonly<Record<string, unknown>>): Block[] | string {
  const blocks: Block[] = [];
  const { system, messages } = body;
  if (typeof system === 'string') blocks.push({ role: 'system', text: system, cached: false });
  else if (Array.isArray(system)) {
    for (const block of system as unknown[]) {
      const read = readBlock('system', block);
      if (typeof read === 'string') return `system: ${read}`;
      blocks.push(read);
    }
  } else if (system !== undefined) return 'system: expected a string or an array of text blocks';
  if (!Array.isArray(messages)) return 'messages: Field required';
  for (const [index, message] of (messages as unknown[]).entries()) {
    if (typeof message !== 'object' || message === null) return `messages.${index}: expected an object`;
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (role !== 'user' && role !== 'assistant') return `messages.${index}.role: expected user or assistant`;
    if (typeof content === 'string') blocks.push({ role, text: content, cached: false });
    else if (Array.isArray(content)) {
      for (const block of content as unknown[]) {
        const read = readBlock(role, block);
        if (typeof read === 'string') return `messages.${index}.content: ${read}`;
        blocks.push(read);
      }
    } else return `messages.${index}.content: expected a string or an array of blocks`;
  }
  return blocks;
}

function readBlock(role: string, value: unknown): Block | string {
  if (typeof value !== 'object' || value === null) return 'expected a block object';
  const { type, text, cache_control: cacheControl } = value as { type?: unknown; text?: unknown; cache_control?: unknown };
  if (type !== 'text' || typeof text !== 'string') return 'only text blocks are supported';
  if (cacheControl !== undefined && cacheControl !== null) {
    const kind = (cacheControl as { type?: unknown }).type;
    if (kind !== 'ephemeral') return 'cache_control.type: expected ephemeral';
  }
  return { role, text, cached: cacheControl !== undefined && cacheControl !== null };
}

function errorType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  return 'api_error';
}
