import { ConfigError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import type { TokenCounter } from '../core/tokens.js';
import { estimatedTokens, messagesTokens } from '../core/tokens.js';
import { byReward } from './select.js';
import type { Example } from '../core/trajectory.js';

/** What a folder knows besides the examples. */
export interface FoldContext<Task> {
  /** The task the prompt is for. */
  readonly task: Task;
  /**
   * Counts tokens for the run's model: exact where its encoding is public (OpenAI's models), else an
   * estimate of four characters a token. The token budgets of the built-in folders use it.
   * @default four characters a token
   */
  readonly tokens?: TokenCounter;
}

/**
 * Turns kept examples into the messages that go between the system prompt and
 * the task. A pure function: the same examples give the same bytes, so the
 * example prefix stays stable and provider prompt caches hit. A custom folder
 * sees the run's own task, output and info types, and may return a readonly array.
 */
export type Folder<Task = unknown, Output = unknown, Info = unknown> = (
  examples: readonly Example<Task, Output, Info>[],
  context: FoldContext<Task>,
) => readonly Message[];

/** A folder for any task type: what the built-in folders return. It fits every `Folder<Task, Output, Info>`. */
export type AnyFolder = <Task, Output, Info>(
  examples: readonly Example<Task, Output, Info>[],
  context: FoldContext<Task>,
) => Message[];

/** Options shared by the built-in folders. */
export interface FoldOptions {
  /**
   * Token budget for the examples, counted with the run's model's own encoding where it is public
   * (OpenAI's models; see `tokenCounterFor`), else estimated at four characters a token.
   * When they do not fit, the lowest-reward examples are left out first.
   * @default Infinity
   */
  readonly maxExampleTokens?: number;
}

/**
 * Folds each example as prior conversation turns (user, assistant, ...),
 * lowest reward first so the best example sits next to the task.
 */
export function fewShotMessages(options: FoldOptions = {}): AnyFolder {
  renamedBudget('fewShotMessages', options);
  const maxExampleTokens = checkBudget('fewShotMessages({ maxExampleTokens })', options.maxExampleTokens);
  const cost = countedOnce((example, tokens) => messagesTokens(example.turns, tokens));
  return (examples, context) =>
    withinBudget(examples, maxExampleTokens, (example) => cost(example, context.tokens)).flatMap((example) => [
      ...example.turns,
    ]);
}

/** Options of `inlineBlock`. */
export interface InlineBlockOptions extends FoldOptions {
  /**
   * The line above the examples.
   * @default 'Earlier attempts and their scores, lowest score first (higher is better):'
   */
  readonly header?: string;
}

/**
 * Folds all examples into one user message that lists them with their scores
 * in ascending order of score: the OPRO meta-prompt layout. Multi-turn
 * examples appear as transcripts.
 */
export function inlineBlock(options: InlineBlockOptions = {}): AnyFolder {
  renamedBudget('inlineBlock', options);
  const maxExampleTokens = checkBudget('inlineBlock({ maxExampleTokens })', options.maxExampleTokens);
  const header = options.header ?? 'Earlier attempts and their scores, lowest score first (higher is better):';
  const cost = countedOnce((example, tokens) => tokens.count(formatExample(example, 0)));
  return (examples, context) => {
    const kept = withinBudget(examples, maxExampleTokens, (example) => cost(example, context.tokens));
    if (kept.length === 0) return [];
    const body = kept.map((example, position) => formatExample(example, position + 1)).join('\n\n');
    return [{ role: 'user', content: `${header}\n\n${body}` }];
  };
}

function formatExample(example: Example<unknown, unknown, unknown>, number: number): string {
  const heading = `### Attempt ${number} (score ${formatScore(example.reward)})`;
  const single = example.turns.length === 2 && example.turns[0]?.role === 'user' && example.turns[1]?.role === 'assistant';
  if (single) return `${heading}\nInput:\n${example.turns[0]?.content}\nOutput:\n${example.turns[1]?.content}`;
  const transcript = example.turns
    .map((message) => `${message.role === 'assistant' ? 'Assistant' : 'User'}: ${message.content}`)
    .join('\n');
  return `${heading}\n${transcript}`;
}

function formatScore(reward: number): string {
  return Number.isInteger(reward) ? String(reward) : String(Number(reward.toPrecision(6)));
}

/**
 * An example's token count, counted once per example and encoding: the same kept examples are
 * folded into every task's prompt, and an exact count costs ~0.1 ms per thousand characters.
 * Budgets without a limit count nothing.
 */
function countedOnce(
  count: (example: Example<unknown, unknown, unknown>, tokens: TokenCounter) => number,
): (example: Example<unknown, unknown, unknown>, tokens: TokenCounter | undefined) => number {
  const counted = new WeakMap<object, { readonly encoding: string; readonly tokens: number }>();
  return (example, tokens = estimatedTokens) => {
    const known = counted.get(example);
    if (known !== undefined && known.encoding === tokens.encoding) return known.tokens;
    const fresh = count(example, tokens);
    counted.set(example, { encoding: tokens.encoding, tokens: fresh });
    return fresh;
  };
}

/**
 * Keeps the highest-reward examples whose estimated tokens fit the budget,
 * returned in ascending order of reward (ties in a fixed order). An example
 * larger than the whole budget is left out.
 */
function withinBudget<Task, Output, Info>(
  examples: readonly Example<Task, Output, Info>[],
  maxExampleTokens: number,
  cost: (example: Example<Task, Output, Info>) => number,
): Example<Task, Output, Info>[] {
  const kept: Example<Task, Output, Info>[] = [];
  let used = 0;
  if (maxExampleTokens === Number.POSITIVE_INFINITY) return [...examples].sort(byReward).reverse();
  for (const example of [...examples].sort(byReward)) {
    const tokens = cost(example);
    // An example larger than the whole budget is skipped, so it cannot empty the prompt;
    // otherwise the first that does not fit ends the list, so the lowest rewards go first.
    if (tokens > maxExampleTokens) continue;
    if (used + tokens > maxExampleTokens) break;
    used += tokens;
    kept.push(example);
  }
  return kept.reverse();
}

/** The fold's token budget was `maxTokens` before 0.2: a JavaScript caller still passing it must not get no budget silently. */
function renamedBudget(folder: string, options: object): void {
  const old = (options as { maxTokens?: unknown }).maxTokens;
  if (old !== undefined) throw new ConfigError(`${folder}({ maxTokens })`, old, 'no `maxTokens`: the token budget of the examples is `maxExampleTokens`');
}

function checkBudget(option: string, value: number | undefined): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (!(value > 0)) throw new ConfigError(option, value, 'a positive number of tokens');
  return value;
}
