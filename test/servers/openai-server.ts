import type { IncomingHttpHeaders } from 'node:http';
import {
  countTokens,
  createPrefixCache,
  echoResponder,
  startServer,
  tokenize,
  type Fault,
  type ServerOptions,
  type TestServer,
  type WireMessage,
} from './common.js';

/** Options of `startOpenAIServer`. */
export interface OpenAIServerOptions extends ServerOptions {
  /** Always return one choice, whatever `n` says (as Ollama does). @default false */
  readonly ignoreN?: boolean;
  /** Reasoning tokens reported per choice (added to completion tokens). @default 0 */
  readonly reasoningTokens?: number;
  /** Log-probability of the token at each position, when the request asks for logprobs. @default () => -0.25 */
  readonly tokenLogprob?: (position: number) => number;
  /** Report repeated message prefixes as `cached_tokens`. @default true */
  readonly promptCaching?: boolean;
}

/**
 * Starts a Chat Completions server on 127.0.0.1 (random port) that the real
 * `openai` SDK accepts. `url` ends in `/v1`; pass it as `baseURL`.
 */
export function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<TestServer> {
  const responder = options.responder ?? echoResponder;
  const cache = createPrefixCache();
  const tokenLogprob = options.tokenLogprob ?? (() => -0.25);
  const reasoningTokens = options.reasoningTokens ?? 0;

  return startServer(
    options,
    {
      matches: (path) => path.endsWith('/chat/completions'),
      apiKeyOf: (headers: IncomingHttpHeaders) => bearer(headers.authorization),
      errorBody: (status, message) => ({
        error: { message, type: errorType(status), param: null, code: status === 401 ? 'invalid_api_key' : null },
      }),
      respond: async (body, requestNumber, fault: Fault | undefined) => {
        const messages = readMessages(body.messages);
        if (messages === undefined || typeof body.model !== 'string') {
          return {
            status: 400,
            body: { error: { message: '`model` and `messages` are required.', type: 'invalid_request_error', param: null, code: null } },
          };
        }
        const n = typeof body.n === 'number' ? body.n : 1;
        const choiceCount = fault?.kind === 'fewer-choices' ? fault.choices : options.ignoreN === true ? 1 : n;
        const maxTokens =
          typeof body.max_completion_tokens === 'number'
            ? body.max_completion_tokens
            : typeof body.max_tokens === 'number'
              ? body.max_tokens
              : undefined;
        const lastUserMessage = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
        const choices = [];
        let completionTokens = 0;
        for (let index = 0; index < choiceCount; index += 1) {
          let text = await responder({ requestNumber, choiceIndex: index, messages, lastUserMessage, body });
          if (fault?.kind === 'refusal') text = fault.text;
          let finishReason = 'stop';
          if (maxTokens !== undefined && countTokens(text) > maxTokens) {
            text = text.slice(0, maxTokens * 4);
            finishReason = 'length';
          }
          completionTokens += countTokens(text) + reasoningTokens;
          const logprobs =
            body.logprobs === true
              ? {
                  content: tokenize(text).map((token, position) => ({
                    token,
                    logprob: tokenLogprob(position),
                    bytes: [...Buffer.from(token)],
                    top_logprobs: [],
                  })),
                  refusal: null,
                }
              : null;
          const refusal = fault?.kind === 'refusal' ? (fault.reason ?? "I'm sorry, I can't help with that.") : null;
          choices.push({
            index,
            message: { role: 'assistant', content: refusal !== null && text === '' ? null : text, refusal, annotations: [] },
            logprobs,
            finish_reason: finishReason,
          });
        }
        const messageTokens = messages.map((message) => countTokens(message.content) + 1);
        const promptTokens = messageTokens.reduce((sum, tokens) => sum + tokens, 0);
        let cachedTokens = 0;
        if (options.promptCaching !== false) {
          for (let length = 1; length <= messages.length; length += 1) {
            if (cache.lookup(JSON.stringify(messages.slice(0, length)))) {
              cachedTokens = messageTokens.slice(0, length).reduce((sum, tokens) => sum + tokens, 0);
            }
          }
        }
        const usage = {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: reasoningTokens * choiceCount,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        };
        return {
          status: 200,
          headers: { 'x-request-id': `req_${requestNumber}` },
          body: {
            id: `chatcmpl-${requestNumber}`,
            object: 'chat.completion',
            created: 1_700_000_000 + requestNumber,
            model: body.model,
            system_fingerprint: 'fp_test',
            service_tier: 'default',
            choices,
            ...(fault?.kind === 'no-usage' ? {} : { usage }),
          },
        };
      },
    },
    '/v1',
  );
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : header;
}

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 401) return 'invalid_request_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function readMessages(value: unknown): WireMessage[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const messages: WireMessage[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { role, content } = item as { role?: unknown; content?: unknown };
    if (typeof role !== 'string') return undefined;
    if (typeof content === 'string') messages.push({ role, content });
    else if (Array.isArray(content)) {
      const text = (content as { text?: unknown }[]).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
      messages.push({ role, content: text });
    } else return undefined;
  }
  return messages;
}
