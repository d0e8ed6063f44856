import type { HandlerResult } from './common.js';

/** What becomes of one batch entry besides a normal answer. */
export type EntryFault = 'errored' | 'expired' | 'cancelled';

/** How a test server's batch engine behaves. */
export interface BatchEngineOptions {
  /** Milliseconds from creation until a batch ends; its status moves through its stages evenly over it. @default 0 */
  readonly processingMs?: number;
  /** An entry's fault by its `custom_id` and its place in the batch (0-based). @default none */
  readonly entryFault?: (customId: string, position: number) => EntryFault | undefined;
  /** Fails the `batchNumber`-th batch (1-based) whole, with this message. @default none */
  readonly failBatch?: (batchNumber: number) => string | undefined;
}

/** One entry as a batch holds it. */
export interface EngineEntry {
  readonly customId: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** One entry's outcome: the completion endpoint's answer, or its fault. */
export type EntryOutcome = { readonly customId: string; readonly fault: EntryFault } | { readonly customId: string; readonly fault: undefined; readonly result: HandlerResult };

/** A batch held by the engine. */
export interface EngineBatch {
  readonly id: string;
  readonly number: number;
  readonly entries: readonly EngineEntry[];
  readonly createdAt: number;
  /** Set when the batch failed whole. */
  readonly failure: string | undefined;
  /** Set once it has run (at the first look after `processingMs`). */
  outcomes: EntryOutcome[] | undefined;
}

/**
 * The part both wire servers' batch endpoints share: batches created, their stage by elapsed
 * time (0 to 1), and each entry run through the server's completion endpoint when it ends.
 */
export function createBatchEngine(prefix: string, options: BatchEngineOptions) {
  const batches = new Map<string, EngineBatch>();
  const processingMs = options.processingMs ?? 0;
  return {
    batches,
    create(entries: readonly EngineEntry[]): EngineBatch {
      const number = batches.size + 1;
      const batch: EngineBatch = { id: `${prefix}${number}`, number, entries, createdAt: performance.now(), failure: options.failBatch?.(number), outcomes: undefined };
      batches.set(batch.id, batch);
      return batch;
    },
    /** How far along a batch is, 0 to 1. */
    progress(batch: EngineBatch): number {
      return processingMs <= 0 ? 1 : Math.min(1, (performance.now() - batch.createdAt) / processingMs);
    },
    /** Runs a batch's entries once (when it ends), each through `complete`. */
    async run(batch: EngineBatch, complete: (body: Readonly<Record<string, unknown>>) => Promise<HandlerResult>): Promise<EntryOutcome[]> {
      if (batch.outcomes !== undefined) return batch.outcomes;
      const outcomes: EntryOutcome[] = [];
      for (const [position, entry] of batch.entries.entries()) {
        const fault = options.entryFault?.(entry.customId, position);
        outcomes.push(fault === undefined ? { customId: entry.customId, fault, result: await complete(entry.body) } : { customId: entry.customId, fault });
      }
      batch.outcomes ??= outcomes;
      return batch.outcomes;
    },
  };
}
