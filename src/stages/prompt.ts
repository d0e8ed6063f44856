import type { Folder } from './fold.js';
import { fewShotMessages } from './fold.js';
import type { Message } from '../core/messages.js';
import type { TokenCounter } from '../core/tokens.js';
import type { Example } from '../core/trajectory.js';

/** Builds the messages for one task from the kept examples. */
export type PromptBuilder<Task, Output = string, Info = unknown> = (
  task: Task,
  examples: readonly Example<Task, Output, Info>[],
) => Message[];

/** How a task becomes its own user turn(s). */
export type TaskRenderer<Task> = (task: Task) => string | readonly Message[];

/** Options of `defaultPrompt`. */
export interface DefaultPromptOptions<Task, Output = unknown, Info = unknown> {
  /** System prompt; none when omitted. */
  readonly system?: string | undefined;
  /**
   * The task's own turn(s).
   * @default a string task as it is; anything else as JSON
   */
  readonly render?: TaskRenderer<Task> | undefined;
  /**
   * How the examples are shown.
   * @default fewShotMessages()
   */
  readonly fold?: Folder<Task, Output, Info> | undefined;
  /**
   * Counts tokens for the folder's token budget (its `FoldContext.tokens`). A run passes the
   * counter for its provider's model (`tokenCounterFor(provider.model)`).
   * @default four characters a token
   */
  readonly tokens?: TokenCounter | undefined;
}

/**
 * The default prompt layout: system prompt, then the folded examples, then the
 * task. Everything before the task is the stable prefix providers cache.
 */
export function defaultPrompt<Task, Output = string, Info = unknown>(
  options: DefaultPromptOptions<Task, Output, Info> = {},
): PromptBuilder<Task, Output, Info> {
  const render = options.render ?? renderTask;
  const fold = options.fold ?? fewShotMessages();
  const tokens = options.tokens;
  return (task, examples) => {
    const rendered = render(task);
    const taskTurns: Message[] = typeof rendered === 'string' ? [{ role: 'user', content: rendered }] : [...rendered];
    return [
      ...(options.system === undefined ? [] : [{ role: 'system' as const, content: options.system }]),
      ...fold(examples, tokens === undefined ? { task } : { task, tokens }),
      ...taskTurns,
    ];
  };
}

/** A string task as it is; anything else as indented JSON. */
export function renderTask(task: unknown): string {
  return typeof task === 'string' ? task : JSON.stringify(task, null, 2);
}

/** The messages after the leading system messages. */
export function withoutSystem(messages: readonly Message[]): Message[] {
  let start = 0;
  while (messages[start]?.role === 'system') start++;
  return messages.slice(start);
}
