import { z } from 'zod';
import type { Message } from '../core/messages.js';
import { JournalError } from './errors.js';
import { eachLine } from './lines.js';
import { journalVersion, recordSchema } from './records.js';
import type {
  JournalCompletion,
  JournalFineTune,
  JournalEmbeddings,
  JournalIteration,
  JournalRecord,
  JournalRunEnd,
  JournalRunStart,
  JournalSample,
  StoredRecord,
  StoredSample,
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
  /** Its maps are the reader's own: a resumed run lets go of each sample's records once it has restored it. */
  readonly journal: Journal & { readonly samples: Map<string, JournalSample>; readonly completions: Map<string, JournalCompletion> };
  /** Bytes of the complete lines; anything after is a partial line. */
  readonly completeBytes: number;
}

/** How `loadJournal` keeps what it reads. */
export interface LoadOptions {
  /**
   * For a run that resumes the journal: `records` leaves out sample and completion records (the
   * maps hold the latest of each), and the strings and usages that repeat from record to record
   * (prompt hashes, task ids, identical usages) are shared, not one copy per record. @default false
   */
  readonly lean?: boolean;
}

/** Reads a journal as `readJournal` does, and says how many of its bytes are complete lines. */
export async function loadJournal(path: string, options: LoadOptions = {}): Promise<LoadedJournal> {
  const lean = options.lean ?? false;
  const share = sharing();
  const records: JournalRecord[] = [];
  let start: JournalRunStart | undefined;
  let end: JournalRunEnd | undefined;
  const samples = new Map<string, JournalSample>();
  const completions = new Map<string, JournalCompletion>();
  const prompts = new Map<string, readonly Message[]>();
  const iterations = new Map<number, JournalIteration>();
  const fineTunes = new Map<number, JournalFineTune>();
  const embeddings = new Map<string, { readonly vector: readonly number[]; readonly batch: JournalEmbeddings }>();
  const read = await eachLine(path, (text, line) => {
    if (text.trim() === '') return;
    const stored = parseRecord(path, line, text);
    const record = stored.type === 'sample' ? wholeSample(path, line, stored, completions) : stored;
    if ((start === undefined) !== (record.type === 'run-start')) {
      throw new JournalError(path, line, start === undefined ? 'the first record must be `run-start`.' : 'a second `run-start`: a journal holds one run.');
    }
    if (!lean || (record.type !== 'sample' && record.type !== 'completion')) records.push(record);
    if (lean && (record.type === 'sample' || record.type === 'completion')) share(record);
    if (record.type === 'completion') {
      completions.set(record.id, lean ? completionOf(record) : record);
      return;
    }
    if (record.type === 'run-start') start = record;
    else if (record.type === 'prompt') prompts.set(record.hash, record.messages);
    else if (record.type === 'sample') samples.set(record.id, record);
    else if (record.type === 'iteration') iterations.set(record.iteration, record);
    else if (record.type === 'fine-tune') fineTunes.set(record.iteration, record);
    else if (record.type === 'run-end') end = record;
    else if (record.type === 'embeddings') {
      record.hashes.forEach((hash, index) => {
        const vector = record.vectors[index];
        if (vector !== undefined) embeddings.set(`${record.embedder}:${hash}`, { vector, batch: record });
      });
    }
  });
  const warnings: string[] = [];
  if (read.partialBytes > 0) {
    warnings.push(`${path}:${read.lines + 1}: skipped a partial last line (${read.partialBytes} bytes), the trace of a crash mid-write.`);
  }
  const journal = { records, start, samples, completions, prompts, iterations, fineTunes, embeddings, end, warnings };
  return { journal, completeBytes: read.completeBytes };
}

/**
 * Makes a record share the values that repeat across records: the prompt hash and task id
 * strings, and a usage equal to one seen before (records are read back, never changed).
 */
function sharing(): (record: { promptHash: string; taskId?: string; usage: JournalSample['usage'] }) => void {
  const strings = new Map<string, string>();
  const usages = new Map<string, JournalSample['usage']>();
  const shared = (value: string): string => {
    const known = strings.get(value);
    if (known !== undefined) return known;
    strings.set(value, value);
    return value;
  };
  return (record) => {
    record.promptHash = shared(record.promptHash);
    if (record.taskId !== undefined) record.taskId = shared(record.taskId);
    const { usage } = record;
    const key = `${usage.requests},${usage.inputTokens},${usage.cachedInputTokens},${usage.cacheWriteTokens},${usage.outputTokens},${usage.reasoningTokens}`;
    const known = usages.get(key);
    // Bounded: a run whose usages all differ shares none, and keeps no map of them either.
    if (known === undefined && usages.size < 4096) usages.set(key, usage);
    else if (known !== undefined) record.usage = known;
  };
}

/** One line of a journal as a valid record; a `JournalError` naming the line otherwise. */
export function parseRecord(path: string, line: number, text: string): StoredRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JournalError(path, line, `not valid JSON (${(error as Error).message}).`, { cause: error });
  }
  const version = (value as { v?: unknown } | null)?.v;
  if (typeof version === 'number' && version > journalVersion) {
    throw new JournalError(path, line, `journal version ${version} is newer than this pauper reads (${journalVersion}); upgrade pauper.`);
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) throw new JournalError(path, line, `not a valid record: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * A sample record whole. One that left its text to its completion record (version 2) gets it
 * back from the latest completion record of its id before it, and its turns end with it as the
 * assistant's answer: the string is the completion's own, so a journal read back holds it once.
 */
export function wholeSample(
  path: string,
  line: number,
  record: StoredSample,
  completions: ReadonlyMap<string, Pick<JournalCompletion, 'text'>>,
): JournalSample {
  if (record.text !== undefined) return sampleOf(record, record.text, record.turns);
  const completion = completions.get(record.id);
  if (completion === undefined) {
    throw new JournalError(
      path,
      line,
      `sample ${record.id} leaves its text to its completion record, and no completion record of it comes before. ` +
        'The journal was edited or damaged: remove this line (a resumed run samples it again), or start a new journal.',
    );
  }
  // `concat`, not a spread: a spread leaves 19 slots of room behind two turns.
  return sampleOf(record, completion.text, record.turns.concat({ role: 'assistant', content: completion.text }));
}

/**
 * A completion record as a literal of one shape: the validator builds it by assignment, past the
 * room an object has for its own fields (about 110 bytes more a record).
 */
function completionOf(record: JournalCompletion): JournalCompletion {
  return {
    v: record.v,
    type: record.type,
    time: record.time,
    id: record.id,
    split: record.split,
    iteration: record.iteration,
    taskIndex: record.taskIndex,
    index: record.index,
    seed: record.seed,
    promptHash: record.promptHash,
    text: record.text,
    ...('parsed' in record ? { parsed: record.parsed } : {}),
    ...(record.error === undefined ? {} : { error: record.error }),
    usage: record.usage,
    costUsd: record.costUsd,
    latencyMs: record.latencyMs,
    ...(record.requestCompletions === undefined ? {} : { requestCompletions: record.requestCompletions }),
    ...(record.requestAsked === undefined ? {} : { requestAsked: record.requestAsked }),
  };
}

/**
 * A sample record with its text and turns, built field by field in the schema's order: copying
 * it with an object rest and spread gave every record a hidden class of its own (about 500
 * bytes each, beside the record), which a journal of a million samples cannot afford.
 */
function sampleOf(record: StoredSample, text: string, turns: JournalSample['turns']): JournalSample {
  return {
    v: record.v,
    type: record.type,
    time: record.time,
    id: record.id,
    split: record.split,
    iteration: record.iteration,
    taskIndex: record.taskIndex,
    taskId: record.taskId,
    index: record.index,
    seed: record.seed,
    promptHash: record.promptHash,
    turns,
    text,
    steps: record.steps,
    ok: record.ok,
    reward: record.reward,
    ...('output' in record ? { output: record.output } : {}),
    ...('info' in record ? { info: record.info } : {}),
    ...(record.failure === undefined ? {} : { failure: record.failure }),
    usage: record.usage,
    costUsd: record.costUsd,
    latencyMs: record.latencyMs,
    ...(record.sampledBy === undefined ? {} : { sampledBy: record.sampledBy }),
  };
}
