import type { Embedder, EmbedFunction } from '../core/embedding.js';
import { cosine } from '../core/embedding.js';
import { ConfigError, PauperError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import type { Example } from '../core/trajectory.js';
import type { FoldContext, Folder } from './fold.js';
import { fewShotMessages } from './fold.js';
import { renderTask } from './prompt.js';
import { byReward } from './select.js';

/** Options of `nearest`. */
export interface NearestOptions<Task = unknown> {
  /** The embedding model: an `Embedder` (e.g. `hashedNgrams()`, `openaiEmbeddings()`) or a function `(texts, { signal }) => vectors`. */
  readonly embed: Embedder | EmbedFunction;
  /** The text embedded for a task. @default a string task as it is, anything else as JSON */
  readonly text?: (task: Task) => string;
  /** How the chosen examples are folded: any folder of the task type (its output and info types are the run's). @default fewShotMessages() */
  readonly fold?: Folder<Task, never, never>;
}

/** What the run reads off a `nearest` folder: the embedder and the text of a task. */
export interface NearestSpec {
  readonly k: number;
  readonly embedder: Embedder;
  readonly text: (task: unknown) => string;
  readonly fold: Folder<unknown, unknown, unknown>;
}

/** A folder that shows each task the k kept examples whose tasks are most like it (see `nearest`). */
export interface NearestFolder<Task = unknown> {
  <Output, Info>(examples: readonly Example<Task, Output, Info>[], context: FoldContext<Task>): Message[];
  /** What the run embeds before it builds prompts. */
  readonly nearest: NearestSpec;
}

/** The vectors of a run's task texts, by text: filled by the run before any prompt with examples is built. */
export interface TaskEmbeddings {
  readonly spec: NearestSpec;
  readonly vectors: Map<string, readonly number[]>;
}

/**
 * A folder that, for each task, folds the `k` kept examples whose tasks are most similar to it
 * (cosine similarity of their embeddings), instead of the same examples for every task. The run
 * embeds every task once, before its first prompt with examples (a batch per `batchSize` texts,
 * cached by text and journaled, so a resumed run embeds nothing again). The chosen examples are
 * folded in one fixed order (by reward, as `fewShotMessages` does), so tasks with the same
 * neighbours get byte-identical prefixes.
 *
 * @example
 * await iterate({ provider, tasks, reward, fold: nearest(3, { embed: hashedNgrams() }) });
 */
export function nearest<Task = unknown>(k: number, options: NearestOptions<Task>): NearestFolder<Task> {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError('nearest(k)', k, 'an integer of at least 1');
  if (typeof options !== 'object' || options === null) throw new ConfigError('nearest(k, options)', options, 'an options object with `embed`');
  const embedder = embedderOf(options.embed);
  if (options.text !== undefined && typeof options.text !== 'function') throw new ConfigError('nearest({ text })', options.text, 'a function (task) => string');
  if (options.fold !== undefined && typeof options.fold !== 'function') throw new ConfigError('nearest({ fold })', options.fold, 'a folder');
  const spec: NearestSpec = {
    k,
    embedder,
    text: (options.text ?? renderTask) as (task: unknown) => string,
    fold: (options.fold ?? fewShotMessages()) as Folder<unknown, unknown, unknown>,
  };
  const unbound = (examples: readonly Example<unknown, unknown, unknown>[], context: FoldContext<unknown>): Message[] => {
    if (examples.length === 0) return [...spec.fold([], context)];
    throw new ConfigError(
      'fold',
      'nearest(...)',
      "nearest() given as iterate(), evaluate() or bestOfN()'s own `fold`: the run embeds the tasks before it folds; " +
        'inside a custom `prompt` it has no embeddings',
    );
  };
  return Object.assign(unbound, { nearest: spec }) as NearestFolder<Task>;
}

/** Whether a folder is a `nearest` folder. */
export function isNearest(fold: unknown): fold is NearestFolder {
  return typeof fold === 'function' && typeof (fold as Partial<NearestFolder>).nearest === 'object';
}

/**
 * The `nearest` folder of one run, reading the run's embeddings. A task or example whose text was
 * not embedded is a bug of the run, not of the user: a `PauperError` says so.
 */
export function boundNearest<Task, Output, Info>(embeddings: TaskEmbeddings): Folder<Task, Output, Info> {
  const { spec, vectors } = embeddings;
  const vectorOf = (task: unknown): readonly number[] => {
    const text = spec.text(task);
    const vector = vectors.get(text);
    if (vector === undefined) throw new PauperError(`nearest(): the task ${JSON.stringify(text.slice(0, 60))} was not embedded before its prompt was built.`);
    return vector;
  };
  return (examples, context) => {
    if (examples.length === 0) return spec.fold([], context);
    const target = vectorOf(context.task);
    const chosen = examples
      .map((example) => ({ example, similarity: cosine(target, vectorOf(example.task)) }))
      .sort((a, b) => b.similarity - a.similarity || byReward(a.example, b.example))
      .slice(0, spec.k)
      .map(({ example }) => example)
      // One order whatever the similarities: the same neighbours give the same bytes (a shared cache prefix).
      .sort(byReward);
    return spec.fold(chosen as readonly Example<unknown, unknown, unknown>[], context);
  };
}

/** An `Embedder` from what `nearest({ embed })` was given. */
function embedderOf(embed: unknown): Embedder {
  if (typeof embed === 'function') return { name: 'function', model: 'function', embed: embed as EmbedFunction };
  const given = embed as Partial<Embedder> | null;
  if (typeof given !== 'object' || given === null || typeof given.embed !== 'function' || typeof given.name !== 'string' || typeof given.model !== 'string') {
    throw new ConfigError('nearest({ embed })', embed, 'an Embedder (hashedNgrams(), openaiEmbeddings({ model })) or a function (texts, { signal }) => vectors');
  }
  if (given.batchSize !== undefined && (!Number.isInteger(given.batchSize) || given.batchSize < 1)) {
    throw new ConfigError('nearest({ embed }).batchSize', given.batchSize, 'an integer of at least 1');
  }
  return given as Embedder;
}
