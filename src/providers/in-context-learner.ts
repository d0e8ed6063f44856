import { ConfigError } from '../core/errors.js';
import { estimateTokens } from '../core/tokens.js';
import type { Message } from '../core/messages.js';
import type { Provider } from './spec.js';
import type { Rng } from '../core/random.js';
import { createRng, deriveSeed, randomInt } from '../core/random.js';

/** Options of `inContextLearner`. */
export interface InContextLearnerOptions {
  /** Characters of context the n-gram model conditions on. @default 4 */
  readonly order?: number;
  /** Symbols it may produce when exploring or when its prompt has no examples. @default the characters of the examples, or a-z when there are none */
  readonly alphabet?: string;
  /** Shortest reply. @default 1 */
  readonly minLength?: number;
  /** Longest reply. @default 32 */
  readonly maxLength?: number;
  /** Chance, at temperature 1, that a character is drawn uniformly from the alphabet instead of the model. @default 0.05 */
  readonly exploration?: number;
  /** Model name reported in results. @default 'in-context-ngram' */
  readonly model?: string;
}

const turnEnd = '\n';

/**
 * An offline stand-in model that learns only in context. It is NOT an LLM: at
 * each call it fits a character n-gram model on the assistant turns in its
 * prompt (the folded examples) and samples from it with the request's
 * temperature and seed. With no examples it emits random strings over
 * `alphabet`. It lets the loop run, and visibly learn, with no key and no network.
 *
 * @example
 * const provider = inContextLearner({ alphabet: 'UDLR', minLength: 4, maxLength: 16 });
 */
export function inContextLearner(options: InContextLearnerOptions = {}): Provider {
  const order = options.order ?? 4;
  const minLength = options.minLength ?? 1;
  const maxLength = options.maxLength ?? 32;
  const exploration = options.exploration ?? 0.05;
  if (!Number.isInteger(order) || order < 1) throw new ConfigError('order', order, 'an integer of at least 1');
  if (!Number.isInteger(minLength) || minLength < 0) throw new ConfigError('minLength', minLength, 'an integer of at least 0');
  if (!Number.isInteger(maxLength) || maxLength < Math.max(1, minLength)) {
    throw new ConfigError('maxLength', maxLength, `an integer of at least ${Math.max(1, minLength)} (and minLength)`);
  }
  if (!(exploration >= 0 && exploration <= 1)) throw new ConfigError('exploration', exploration, 'a number from 0 to 1');
  if (options.alphabet !== undefined && (typeof options.alphabet !== 'string' || options.alphabet.length === 0 || options.alphabet.includes(turnEnd))) {
    throw new ConfigError('alphabet', options.alphabet, 'a non-empty string without newlines');
  }
  return {
    name: 'in-context-learner',
    model: options.model ?? 'in-context-ngram',
    capabilities: { nativeN: true, temperature: true, seed: true, promptCaching: false, batch: false },
    async sample(request, { n, signal }) {
      signal?.throwIfAborted();
      const { examples, conversation } = assistantTurns(request.messages, request.cachePrefixLength);
      const model = fit(examples, order);
      const alphabet = options.alphabet ?? (uniqueCharacters(examples) || 'abcdefghijklmnopqrstuvwxyz');
      const temperature = request.temperature ?? 1;
      const texts = Array.from({ length: n }, (_, index) => {
        const rng = createRng(deriveSeed(request.seed ?? 0, 'completion', index));
        const context = turnEnd.repeat(order) + conversation.map((turn) => turn + turnEnd).join('');
        return generate(model, context, { order, alphabet, minLength, maxLength, temperature, exploration, rng });
      });
      const inputTokens = request.messages.reduce((sum, message) => sum + estimateTokens(message.content) + 4, 0);
      const outputTokens = texts.reduce((sum, text) => sum + estimateTokens(text), 0);
      return {
        completions: texts.map((text) => ({ text, finishReason: 'stop' })),
        usage: { requests: 1, inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens, reasoningTokens: 0 },
        costUsd: 0,
      };
    },
  };
}

/** Assistant turns of the example prefix, and those of the conversation after it. */
function assistantTurns(messages: readonly Message[], prefixLength: number | undefined) {
  const cut = prefixLength ?? messages.length;
  const pick = (part: readonly Message[]) =>
    part.filter((message) => message.role === 'assistant').map((message) => message.content.replaceAll(turnEnd, ' '));
  return { examples: pick(messages.slice(0, cut)), conversation: pick(messages.slice(cut)) };
}

/** Counts of the next character for every context of length 0 to `order`. */
type NGramCounts = Map<string, Map<string, number>>;

function fit(turns: readonly string[], order: number): NGramCounts {
  const counts: NGramCounts = new Map();
  if (turns.length === 0) return counts;
  const text = turnEnd.repeat(order) + turns.map((turn) => turn + turnEnd).join('');
  for (let i = order; i < text.length; i++) {
    const next = text[i] as string;
    for (let length = 0; length <= order; length++) {
      const context = text.slice(i - length, i);
      const row = counts.get(context) ?? new Map<string, number>();
      row.set(next, (row.get(next) ?? 0) + 1);
      counts.set(context, row);
    }
  }
  return counts;
}

interface GenerateSettings {
  readonly order: number;
  readonly alphabet: string;
  readonly minLength: number;
  readonly maxLength: number;
  readonly temperature: number;
  readonly exploration: number;
  readonly rng: Rng;
}

function generate(model: NGramCounts, start: string, settings: GenerateSettings): string {
  const { order, alphabet, minLength, maxLength, temperature, rng } = settings;
  if (model.size === 0) {
    const length = randomInt(rng, minLength, maxLength);
    return Array.from({ length }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
  }
  let context = start;
  let output = '';
  const explore = settings.exploration * Math.min(1, temperature);
  while (output.length < maxLength) {
    let next: string;
    if (rng() < explore) {
      next = alphabet[Math.floor(rng() * alphabet.length)] as string;
    } else {
      next = drawNext(model, context, order, temperature, rng, output.length >= minLength);
      if (next === turnEnd && output.length < minLength) next = alphabet[Math.floor(rng() * alphabet.length)] as string;
    }
    if (next === turnEnd) break;
    output += next;
    context += next;
  }
  return output;
}

/** Draws the next character from the longest context seen, tempered; `turnEnd` only when `mayEnd`. */
function drawNext(model: NGramCounts, context: string, order: number, temperature: number, rng: Rng, mayEnd: boolean): string {
  for (let length = Math.min(order, context.length); length >= 0; length--) {
    const row = model.get(context.slice(context.length - length));
    if (row === undefined) continue;
    const choices = [...row].filter(([symbol]) => mayEnd || symbol !== turnEnd).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (choices.length === 0) continue;
    if (temperature === 0) return choices.reduce((best, choice) => (choice[1] > best[1] ? choice : best))[0];
    const weights = choices.map(([, count]) => count ** (1 / temperature));
    let target = rng() * weights.reduce((sum, weight) => sum + weight, 0);
    for (let i = 0; i < choices.length; i++) {
      target -= weights[i] as number;
      if (target < 0) return (choices[i] as [string, number])[0];
    }
    return (choices[choices.length - 1] as [string, number])[0];
  }
  return turnEnd;
}

function uniqueCharacters(turns: readonly string[]): string {
  return [...new Set(turns.join(''))].sort().join('');
}
