import { createRequire } from 'node:module';
import type { Message } from './messages.js';

/**
 * Counts the tokens of text for one model: exactly, with the model's own encoding when it is
 * public (OpenAI's models, by `gpt-tokenizer`), else estimated at four characters a token.
 */
export interface TokenCounter {
  /** The encoding counted with (`o200k_base`, `cl100k_base`), or `estimate` (four characters a token). */
  readonly encoding: TokenEncoding | 'estimate';
  /** Whether counts are the model's own (its encoding is public) or an estimate. */
  readonly exact: boolean;
  /** Tokens of `text`. */
  count(text: string): number;
}

/** The public encodings pauper counts with. */
export type TokenEncoding = 'o200k_base' | 'cl100k_base';

/** A rough token count: four characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The counter for models whose encoding is not public: four characters a token. */
export const estimatedTokens: TokenCounter = { encoding: 'estimate', exact: false, count: estimateTokens };

/**
 * Tokens of a conversation: each message's content by `counter` plus 4 tokens of chat framing
 * (role and separators; OpenAI's own accounting adds 3–4 a message).
 * @default counter: four characters a token
 */
export function messagesTokens(messages: readonly Message[], counter: TokenCounter = estimatedTokens): number {
  let total = 0;
  for (const message of messages) total += 4 + counter.count(message.content);
  return total;
}

/**
 * The public encoding of a model, by name: `o200k_base` for GPT-4o, GPT-4.1, GPT-4.5, GPT-5 and
 * the o-series; `cl100k_base` for GPT-4, GPT-3.5 and the text-embedding-3 models. A fine-tuned
 * model (`ft:<base>:…`) and a dated snapshot count as their base model. `undefined` for others.
 */
export function encodingOf(model: string): TokenEncoding | undefined {
  const name = model.startsWith('ft:') ? (model.split(':')[1] ?? '') : model;
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)(\b|-|$)/.test(base)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada-002)(\b|-|$)/.test(base)) return 'cl100k_base';
  return undefined;
}

const counters = new Map<TokenEncoding, TokenCounter>();

/**
 * The token counter for a model: exact with its public encoding (see `encodingOf`), else the
 * four-characters-a-token estimate. The encoding's tables (~70 MB, ~0.3 s) load on the first count,
 * so a run that counts nothing pays nothing.
 * @example
 * tokenCounterFor('gpt-4.1-mini').count('Collect the coins.') // 5, exactly
 * tokenCounterFor('claude-haiku-4-5').exact // false: an estimate
 */
export function tokenCounterFor(model: string | undefined): TokenCounter {
  // A custom provider written in JavaScript may name no model: it is counted by the estimate.
  const encoding = typeof model === 'string' ? encodingOf(model) : undefined;
  if (encoding === undefined) return estimatedTokens;
  let counter = counters.get(encoding);
  if (counter === undefined) {
    let count: ((text: string) => number) | undefined;
    counter = {
      encoding,
      exact: true,
      count: (text) => {
        count ??= loadEncoding(encoding);
        return count(text);
      },
    };
    counters.set(encoding, counter);
  }
  return counter;
}

/** Loads an encoding's `countTokens` synchronously (folders and `estimate()` are synchronous). */
function loadEncoding(encoding: TokenEncoding): (text: string) => number {
  const load = createRequire(import.meta.url);
  const module = load(`gpt-tokenizer/encoding/${encoding}`) as {
    countTokens(text: string, options: { allowedSpecial: Set<string>; disallowedSpecial: Set<string> }): number;
  };
  // Special-token text in content (`<|endoftext|>`) is plain text to the API; gpt-tokenizer throws on it unless told.
  const asText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
  return (text) => module.countTokens(text, asText);
}
