import type { Usage } from './usage.js';

/** What an embedder returns for a batch of texts: one vector per text, in order, and what the call cost. */
export interface Embedded {
  readonly vectors: readonly (readonly number[])[];
  /** Usage of the call (tokens read). @default none: free */
  readonly usage?: Usage;
  /** US dollars the call cost; `null` when the price is unknown. @default 0 */
  readonly costUsd?: number | null;
}

/** What an embedding function is told besides the texts. */
export interface EmbedContext {
  /** The run's signal: stop on abort. */
  readonly signal: AbortSignal;
}

/**
 * Turns texts into vectors compared by cosine similarity: a batch in, one vector per text out
 * (or `{ vectors, usage, costUsd }` when the call is paid). Async, and told the run's signal.
 */
export type EmbedFunction = (
  texts: readonly string[],
  context: EmbedContext,
) => readonly (readonly number[])[] | Embedded | Promise<readonly (readonly number[])[] | Embedded>;

/** An embedding model: its function and the names the journal and results record. */
export interface Embedder {
  /** Family, e.g. `openai` or `hashed-ngrams`. */
  readonly name: string;
  /** Model name; with `name`, what a journaled embedding is keyed by (another model embeds again). */
  readonly model: string;
  /** Most texts per call. @default 256 */
  readonly batchSize?: number;
  readonly embed: EmbedFunction;
}

/** Cosine similarity of two vectors of the same length; 0 when either is all zeros. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
