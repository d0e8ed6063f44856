import type { IncomingHttpHeaders } from 'node:http';
import {
  countTokens,
  type Fault,
  createTimedPrefixCache,
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
 * `cache_control` block was written by a response sent before the request
 * arrived reports `cache_read_input_tokens`; any other reports
 * `cache_creation_input_tokens` (as with the real API, requests sent together
 * with a new prefix each write it). Like the real API, an
 * `output_config.format.schema` with a JSON Schema keyword structured output
 * does not support (`minimum`, `maxLength`, `minItems: 2`, ...) is a 400.
 * Pass `url` as `baseURL`.
 */
export function startAnthropicServer(options: AnthropicServerOptions = {}): Promise<TestServer> {
  const responder = options.responder ?? echoResponder;
  const cache = createTimedPrefixCache();

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
      respond: async (body, requestNumber, fault: Fault | undefined, receivedAt) => {
        const blocks = readBlocks(body);
        if (typeof blocks === 'string') return { status: 400, body: errorBody(400, blocks) };
        const schemaProblem = checkOutputConfig(body.output_config);
        if (schemaProblem !== undefined) return { status: 400, body: errorBody(400, schemaProblem) };
        if (typeof body.max_tokens !== 'number') {
          return { status: 400, body: errorBody(400, 'max_tokens: Field required') };
        }
        if (typeof body.model !== 'string') return { status: 400, body: errorBody(400, 'model: Field required') };
        const messages: WireMessage[] = blocks.filter((block) => block.role !== 'system').map(({ role, text }) => ({ role, content: text }));
        const lastUserMessage = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
        let text = await responder({ requestNumber, choiceIndex: 0, messages, lastUserMessage, body });
        let stopReason = 'end_turn';
        if (fault?.kind === 'refusal') {
          text = fault.text;
          stopReason = 'refusal';
        }
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
          if (cache.hit(key, receivedAt)) cacheRead = prefixTokens;
          else {
            cacheWrite = prefixTokens;
            cache.written(key);
          }
        }
        const usage = {
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
        };
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
            ...(fault?.kind === 'no-usage' ? {} : { usage }),
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

/** String formats structured output supports; other keywords are rejected as by the real API. */
const SUPPORTED_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);
const ANY_TYPE_KEYWORDS = new Set(['type', 'description', 'title', 'enum', 'const', 'anyOf', 'allOf', '$ref', '$defs']);
const TYPE_KEYWORDS: Readonly<Record<string, ReadonlySet<string>>> = {
  object: new Set(['properties', 'required', 'additionalProperties']),
  array: new Set(['items', 'minItems']),
  string: new Set(['format']),
};

/** The API's 400 message for an `output_config` whose schema structured output cannot take, if any. */
function checkOutputConfig(outputConfig: unknown): string | undefined {
  if (outputConfig === undefined) return undefined;
  const schema = (outputConfig as { format?: { schema?: unknown } } | null)?.format?.schema;
  if (typeof schema !== 'object' || schema === null) return 'output_config.format.schema: Field required';
  const problem = checkSchema(schema as Record<string, unknown>);
  return problem === undefined ? undefined : `output_config.format.schema: ${problem}`;
}

function checkSchema(schema: Readonly<Record<string, unknown>>): string | undefined {
  const type = typeof schema.type === 'string' ? schema.type : undefined;
  const allowed = TYPE_KEYWORDS[type ?? ''];
  const label = type === undefined ? 'this schema' : `'${type}' type`;
  for (const [keyword, value] of Object.entries(schema)) {
    if (!ANY_TYPE_KEYWORDS.has(keyword) && !allowed?.has(keyword)) return `For ${label}, property '${keyword}' is not supported`;
    if (keyword === 'minItems' && value !== 0 && value !== 1) {
      return `For 'array' type, property 'minItems' only supports values 0 and 1`;
    }
    if (keyword === 'format' && !SUPPORTED_FORMATS.has(String(value))) {
      return `For 'string' type, format '${String(value)}' is not supported`;
    }
  }
  if (type === 'object' && schema.additionalProperties !== false) {
    return `For 'object' type, 'additionalProperties' must be explicitly set to false`;
  }
  const children = [
    ...Object.values((schema.properties ?? {}) as Record<string, unknown>),
    ...Object.values((schema.$defs ?? {}) as Record<string, unknown>),
    ...(Array.isArray(schema.anyOf) ? schema.anyOf : []),
    ...(Array.isArray(schema.allOf) ? schema.allOf : []),
    ...(schema.items === undefined ? [] : [schema.items]),
  ];
  for (const child of children) {
    if (typeof child !== 'object' || child === null) continue;
    const problem = checkSchema(child as Record<string, unknown>);
    if (problem !== undefined) return problem;
  }
  return undefined;
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
