import type {
  Message as WireResponse,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  Usage as WireUsage,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { ConfigError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import type { Message } from '../core/messages.js';
import { findModelEntry } from '../core/pricing.js';
import type { Usage } from '../core/usage.js';
import { malformedResponse, parseCompletion, type OutputSchema } from './shared.js';
import type { Completion, SampleRequest } from './spec.js';

// The Messages API wire: requests built from pauper's, responses read back.

const EPHEMERAL = Object.freeze({ type: 'ephemeral' as const });

/**
 * The wire request: system messages go to the top-level `system`, the last block
 * of message `cachePrefixLength - 1` gets an ephemeral cache breakpoint, and a
 * schema (already `toAnthropicSchema`'d) goes to `output_config.format`.
 */
export function buildBody(
  model: string,
  request: SampleRequest,
  maxOutputTokens: number,
  wireSchema: Record<string, unknown> | undefined,
): MessageCreateParamsNonStreaming {
  const prefix = request.cachePrefixLength ?? 0;
  if (!Number.isInteger(prefix) || prefix < 0) {
    throw new ConfigError('cachePrefixLength', request.cachePrefixLength, 'an integer >= 0');
  }
  const breakpoint = Math.min(prefix, request.messages.length) - 1;
  const system: TextBlockParam[] = [];
  const messages: MessageParam[] = [];
  request.messages.forEach((message, index) => {
    const cached = index === breakpoint;
    if (message.role === 'system') {
      system.push(cached ? { type: 'text', text: message.content, cache_control: EPHEMERAL } : { type: 'text', text: message.content });
    } else {
      messages.push({
        role: message.role,
        content: cached ? [{ type: 'text', text: message.content, cache_control: EPHEMERAL }] : message.content,
      });
    }
  });
  if (messages.length === 0) {
    throw new ConfigError('messages', request.messages, 'at least one user or assistant message (Anthropic needs one)');
  }
  const body: MessageCreateParamsNonStreaming = { model, max_tokens: request.maxOutputTokens ?? maxOutputTokens, messages };
  if (system.length > 0) body.system = system;
  if (wireSchema !== undefined) body.output_config = { format: { type: 'json_schema', schema: wireSchema } };
  return body;
}

/** String formats Anthropic structured output supports (the SDK's list). */
/**
 * The shortest prefix Anthropic caches, in tokens, by model (dated snapshots match
 * their base id). A model not listed is taken to need the most, so that a prefix
 * too short to be cached is not held back for nothing.
 */
const minimumCachedTokens: Readonly<Record<string, number>> = Object.freeze({
  'claude-opus-4-5': 4096,
  'claude-haiku-4-5': 4096,
  'claude-3-5-haiku': 2048,
  'claude-3-haiku': 2048,
  'claude-opus-4': 1024,
  'claude-opus-4-0': 1024,
  'claude-opus-4-1': 1024,
  'claude-sonnet-4': 1024,
  'claude-sonnet-4-0': 1024,
  'claude-sonnet-4-5': 1024,
  'claude-3-7-sonnet': 1024,
  'claude-3-5-sonnet': 1024,
  'claude-3-opus': 1024,
});
const unknownModelMinimumCachedTokens = 4096;

/**
 * What identifies a cached prefix for the warmer, or `undefined` when it is too short to be
 * cached. Tokens are over-estimated (3 characters each), so a prefix the API would cache is
 * never taken for a short one.
 */
export function cachedPrefixKey(model: string, prefix: readonly Message[]): string | undefined {
  if (prefix.length === 0) return undefined;
  const characters = prefix.reduce((sum, message) => sum + message.content.length, 0);
  const minimum = findModelEntry(model, minimumCachedTokens) ?? unknownModelMinimumCachedTokens;
  if (characters / 3 < minimum) return undefined;
  return contentHash([model, prefix]);
}

export function validateMessage(name: string, message: WireResponse): WireResponse {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    throw malformedResponse(name, 'no `content` array');
  }
  return message;
}

export async function toCompletion<Output>(
  schema: OutputSchema<Output> | undefined,
  message: WireResponse,
): Promise<Completion<Output>> {
  const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const base = { text, ...(message.stop_reason ? { finishReason: message.stop_reason } : {}) };
  // A refusal is a failed sample even when it carries partial text; the text stays for the journal.
  if (message.stop_reason === 'refusal') return { ...base, error: 'The model refused to answer (stop_reason: refusal).' };
  return { ...base, ...(await parseCompletion(schema, text)) };
}

/**
 * Usage of one Messages response. Anthropic's `input_tokens` excludes cache
 * reads and writes; they are added so `inputTokens` counts every prompt token.
 */
export function usageOf(usage: WireUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return {
    requests: 1,
    inputTokens: (usage.input_tokens ?? 0) + cacheRead + cacheWrite,
    cachedInputTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: usage.output_tokens ?? 0,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens ?? 0,
  };
}
