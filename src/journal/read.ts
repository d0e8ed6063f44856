import type { Message } from '../core/messages.js';
import { JournalError } from './errors.js';
import { eachLine } from './lines.js';
import { parseRecord, wholeSample } from './parse.js';
import { createTaskIndex } from './task-index.js';
import type { TaskIndex } from './task-index.js';
import type {
  JournalCompletion,
  JournalFineTune,
  JournalEmbeddings,
  JournalIteration,
  JournalRecord,
  JournalRunEnd,
  JournalRunStart,
  JournalSample,
} from './records.js';

/** A journal read back: its records, and the latest record per sample, prompt and iteration. */
export interface Journal {
  /** Every valid record, in file order. */
  readonly records: readonly JournalRecord[];
  readonly start: JournalRunStart | undefined;
  /** The latest record of each sample, by trajectory id (a resumed run may write a sample again). */
  readonly samples: ReadonlyMap<string, JournalSample>;
  /** The latest completion record of each single-shot sample, by trajectory id. */
  readonly completions: ReadonlyMap<string, JournalCompletion>;
  /** Prompt messages by `promptHash`. */
  readonly prompts: ReadonlyMap<string, readonly Message[]>;
  /** The latest record of each iteration. */
  readonly iterations: ReadonlyMap<number, JournalIteration>;
  /** The latest record of each fine-tuning job, by the iteration it trained after. */
  readonly fineTunes: ReadonlyMap<number, JournalFineTune>;
  /** Each embedded text's vector and the record of its batch, by `<embedder>:<text hash>` (a `nearest` folder's). */
  readonly embeddings: ReadonlyMap<string, { readonly vector: readonly number[]; readonly batch: JournalEmbeddings }>;
  readonly end: JournalRunEnd | undefined;
  /** What the reader skipped, e.g. a partial last line left by a crash. Never logged. */
  readonly warnings: readonly string[];
}

/**
 * Reads and validates a journal. A bad line throws `JournalError` with its
 * line number; a partial last line (a crash mid-write) is skipped with a
 * warning in `warnings`.
 * @example
 * const journal = await readJournal('runs/maze.jsonl');
 * for (const sample of journal.samples.values()) console.log(sample.id, sample.reward);
 */
export async function readJournal(path: string): Promise<Journal> {
  return (await loadJournal(path)).journal;
}

/** A journal read back, and where its complete lines end. */
export interface LoadedJournal {
  readonly journal: Journal;
  /** Bytes of the complete lines; anything after is a partial line. */
  readonly completeBytes: number;
  /** With `lean`: where each task's sample and completion records are (`journal.samples` and `completions` are then empty). */
  readonly index: TaskIndex | undefined;
}

/** How `loadJournal` keeps what it reads. */
export interface LoadOptions {
  /**
   * For a run that resumes the journal: sample and completion records are validated as they are
   * read, then left in the file; `index` says where each task's are, for the run to read them
   * when the task starts (see `readTask`). Memory then grows with the journal's other records,
   * not its samples. @default false
   */
  readonly lean?: boolean;
  /**
   * Whether `records` and `completions` keep completion records. Without them (for a reader of
   * samples, such as a report) only each completion's text is kept, for the sample records that
   * leave their text to it, and `completions` is empty. @default true
   */
  readonly completions?: boolean;
}

/** Reads a journal as `readJournal` does, and says how many of its bytes are complete lines. */
export async function loadJournal(path: string, options: LoadOptions = {}): Promise<LoadedJournal> {
  const index = options.lean === true ? createTaskIndex() : undefined;
  const keepCompletions = options.completions ?? true;
  // Without completion records, their texts: the string is the sample's own once it takes it.
  const texts = new Map<string, { readonly text: string }>();
  const records: JournalRecord[] = [];
  let start: JournalRunStart | undefined;
  let end: JournalRunEnd | undefined;
  const samples = new Map<string, JournalSample>();
  const completions = new Map<string, JournalCompletion>();
  const prompts = new Map<string, readonly Message[]>();
  const iterations = new Map<number, JournalIteration>();
  const fineTunes = new Map<number, JournalFineTune>();
  const embeddings = new Map<string, { readonly vector: readonly number[]; readonly batch: JournalEmbeddings }>();
  const read = await eachLine(path, (text, line, offset, bytes) => {
    if (text.trim() === '') return;
    const stored = parseRecord(path, line, text);
    if ((start === undefined) !== (stored.type === 'run-start')) {
      throw new JournalError(path, line, start === undefined ? 'the first record must be `run-start`.' : 'a second `run-start`: a journal holds one run.');
    }
    if (index !== undefined && (stored.type === 'sample' || stored.type === 'completion')) {
      index.add(path, line, offset, bytes, stored);
      return;
    }
    if (!keepCompletions && stored.type === 'completion') {
      texts.set(stored.id, { text: stored.text });
      return;
    }
    const record = stored.type === 'sample' ? wholeSample(path, line, stored, keepCompletions ? completions : texts) : stored;
    records.push(record);
    if (record.type === 'completion') completions.set(record.id, record);
    else if (record.type === 'run-start') start = record;
    else if (record.type === 'prompt') prompts.set(record.hash, record.messages);
    else if (record.type === 'sample') samples.set(record.id, record);
    else if (record.type === 'iteration') iterations.set(record.iteration, record);
    else if (record.type === 'fine-tune') fineTunes.set(record.iteration, record);
    else if (record.type === 'run-end') end = record;
    else if (record.type === 'embeddings') {
      record.hashes.forEach((hash, position) => {
        const vector = record.vectors[position];
        if (vector !== undefined) embeddings.set(`${record.embedder}:${hash}`, { vector, batch: record });
      });
    }
  });
  const warnings: string[] = [];
  if (read.partialBytes > 0) {
    warnings.push(`${path}:${read.lines + 1}: skipped a partial last line (${read.partialBytes} bytes), the trace of a crash mid-write.`);
  }
  const journal = { records, start, samples, completions, prompts, iterations, fineTunes, embeddings, end, warnings };
  return { journal, completeBytes: read.completeBytes, index };
}
