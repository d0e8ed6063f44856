import { appendFile } from 'node:fs/promises';
import type { IterationResult, RunResult } from '../core/results.js';
import type { Trajectory } from '../core/trajectory.js';
import type { SampledCompletion } from '../providers/spec.js';
import { JournalError } from './errors.js';
import { journalVersion } from './records.js';
import type { JournalCompletion, JournalIteration, JournalRunEnd, StoredRecord, StoredSample } from './records.js';

/** Appends records to a journal; the first write error stops it. */
export interface JournalWriter {
  /** Queues a record; nothing once writing has failed. */
  readonly write: (record: StoredRecord) => void;
  /** Throws the first write error, if one occurred. */
  readonly check: () => void;
  /**
   * Resolves once every record queued so far is on disk (records queued later need not be);
   * rejects with the first write error. Records queued together go out in one append.
   */
  readonly flush: () => Promise<void>;
  /**
   * `undefined` while less than the high-water mark waits to be written; else a promise that
   * resolves once the queue is back under it, or rejects with the first write error. A run
   * starts no new request while it waits, so a disk slower than the model holds the run back
   * instead of filling memory.
   */
  readonly belowHighWaterMark: () => Promise<void> | undefined;
  /** Characters queued or being appended, not yet on disk: what the journal holds in memory. Zero once writing has failed. */
  readonly unwritten: () => number;
}

/** What a run hears from its journal while writing it, and how the journal writes. */
export interface WriterOptions {
  /**
   * Called once per kind of value that could not be serialised (a BigInt, a
   * circular object) in an `output`, `parsed` or `info`: the record was written
   * with a marker in its place. @default warnings are dropped
   */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Characters that may wait to be written before `belowHighWaterMark` holds the run back. @default `highWaterMark` */
  readonly highWaterMark?: number | undefined;
  /** Appends text to the file: the one seam a test uses to make the disk slow or failing. @default `appendFile` */
  readonly append?: ((path: string, text: string) => Promise<void>) | undefined;
}

/**
 * Characters one `appendFile` writes at most (unless one line is longer): a
 * queue that grew while a write was slow goes out in several appends, never as
 * one string longer than a string may be.
 */
export const maxAppendLength = 4 * 1024 * 1024;

/**
 * Characters that may wait to be written before the run stops starting requests: two appends'
 * worth, so a full append can be on its way to disk while the next one fills (a slow disk gets
 * the fewest, largest writes), and the journal holds about 8 MiB however far the disk falls behind.
 */
export const highWaterMark = 2 * maxAppendLength;

/** How the writer settles a caller waiting on it (`flush`, `belowHighWaterMark`). */
interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: JournalError) => void;
}

/**
 * Appends records in order, each as one whole line within a single `appendFile`
 * call: lines queued while a write is in progress go out together in the next
 * append (several, past `maxAppendLength`), so the journal keeps up with a fast
 * run. A crash leaves at most a partial last line. A value that cannot be
 * serialised spoils only its own field (see `serialise`); the first write error
 * stops the journal: it drops what was queued and everything written after, and
 * `check`, `flush` and `belowHighWaterMark` throw it.
 */
export function createWriter(path: string, options: WriterOptions = {}): JournalWriter {
  const append = options.append ?? appendFile;
  const mark = options.highWaterMark ?? highWaterMark;
  let pending: string[] = [];
  let writing = false;
  let failure: JournalError | undefined;
  // Lines ever queued and ever appended, and characters not yet on disk.
  let queuedLines = 0;
  let writtenLines = 0;
  let unwritten = 0;
  // Waiting for line counts, in the order they were queued (so in the order they are written).
  const flushes: (Waiter & { readonly lines: number })[] = [];
  const rooms: Waiter[] = [];
  const warned = new Set<string>();
  const warn = (kind: string, message: string): void => {
    if (warned.has(kind)) return;
    warned.add(kind);
    options.onWarning?.(message);
  };
  const settle = (): void => {
    let done = 0;
    while (done < flushes.length && (failure !== undefined || (flushes[done]?.lines ?? 0) <= writtenLines)) done++;
    // One splice, not a shift each: a native-`n` request may wait on a thousand records.
    for (const waiter of flushes.splice(0, done)) {
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
    if (failure === undefined && unwritten >= mark) return;
    for (const waiter of rooms.splice(0)) {
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
  };
  const fail = (error: unknown): void => {
    failure = new JournalError(
      path,
      undefined,
      `could not write the journal (${firstLine(error)}). What was written before is kept: ` +
        'fix the cause (disk space, permissions), then run again with `resume: true` to continue.',
      { cause: error },
    );
    // Nothing more will be written: what waits is let go, not kept in memory.
    pending = [];
    unwritten = 0;
  };
  const drain = async (): Promise<void> => {
    writing = true;
    while (pending.length > 0 && failure === undefined) {
      const count = linesForNextAppend(pending, maxAppendLength);
      const text = pending.slice(0, count).join('');
      pending = pending.slice(count);
      try {
        await append(path, text);
        writtenLines += count;
        unwritten -= text.length;
      } catch (error) {
        fail(error);
      }
      settle();
    }
    writing = false;
  };
  const check = (): void => {
    if (failure !== undefined) throw failure;
  };
  return {
    write(record) {
      if (failure !== undefined) return;
      const line = serialise(record, path, warn);
      if (line === undefined) return;
      pending.push(line);
      queuedLines++;
      unwritten += line.length;
      if (!writing) void drain();
    },
    check,
    flush() {
      if (failure !== undefined) return Promise.reject(failure);
      if (writtenLines >= queuedLines) return Promise.resolve();
      return new Promise((resolve, reject) => flushes.push({ lines: queuedLines, resolve, reject }));
    },
    belowHighWaterMark() {
      if (failure !== undefined) return Promise.reject(failure);
      if (unwritten < mark) return undefined;
      return new Promise((resolve, reject) => rooms.push({ resolve, reject }));
    },
    unwritten: () => unwritten,
  };
}

/** How many lines from the start of `pending` the next append writes: as many whole ones as fit in `limit` characters, and at least one. */
export function linesForNextAppend(pending: readonly string[], limit: number): number {
  let count = 0;
  let length = 0;
  for (const line of pending) {
    if (count > 0 && length + line.length > limit) break;
    length += line.length;
    count++;
  }
  return count;
}

/** What marks a value the journal could not serialise; a resumed run restores this string in its place. */
const unserialisable = (problem: string): string => `[unserialisable: ${problem}]`;

/** Whether a journaled value is the marker `serialise` wrote in place of one it could not serialise. */
export function isUnserialisable(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('[unserialisable: ') && value.endsWith(']');
}

/**
 * One record as a JSON line. A value JSON cannot hold (a BigInt, a circular
 * object) can only be in a free-form field, `output`, `parsed` or an `info`:
 * that field is written as a marker with a warning, and the rest of the record
 * as it is, so one odd value never costs the record or the journal.
 */
function serialise(record: StoredRecord, path: string, warn: (kind: string, message: string) => void): string | undefined {
  try {
    return `${JSON.stringify(record)}\n`;
  } catch {
    const mark = (field: string, value: unknown): unknown => {
      if (value === undefined) return value;
      const problem = serialisationProblem(value);
      if (problem === undefined) return value;
      const resumed = field === 'parsed' ? 'a resumed run parses the text again' : 'a resumed run restores that string in its place';
      warn(
        `${record.type} ${field.replace(/\[\d+\]/, '[]')}: ${problem}`,
        `Journal ${path}: the ${field} of ${recordName(record)} could not be serialised (${problem}); it was journaled ` +
          `as "${unserialisable(problem)}" and ${resumed}. Make outputs and info JSON-serialisable to resume ` +
          'identically. Later values with the same problem are marked without another warning.',
      );
      return unserialisable(problem);
    };
    let marked: StoredRecord = record;
    if (record.type === 'sample') {
      marked = {
        ...record,
        output: mark('output', record.output),
        info: mark('info', record.info),
        steps: record.steps.map((step, index) => ({ ...step, info: mark(`steps[${index}].info`, step.info) })),
      };
    } else if (record.type === 'completion') {
      marked = { ...record, parsed: mark('parsed', record.parsed) };
    }
    try {
      return `${JSON.stringify(marked)}\n`;
    } catch (again) {
      // Not a free-form value: a bug rather than data; skip the record rather than the journal.
      const problem = firstLine(again);
      warn(`${record.type}: ${problem}`, `Journal ${path}: ${recordName(record)} could not be serialised (${problem}) and was not journaled.`);
      return undefined;
    }
  }
}

/** Why `value` cannot be serialised, or `undefined` when it can. */
function serialisationProblem(value: unknown): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (error) {
    return firstLine(error);
  }
}

/** The first line of an error's message (V8 explains a circular structure over several). */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** How a warning names a record: `sample train/0/1/2`, or `the iteration record`. */
function recordName(record: StoredRecord): string {
  return 'id' in record ? `${record.type} ${record.id}` : `the ${record.type} record`;
}

/**
 * The record of a finished sample; its prompt is journaled apart, by hash. A single-shot sample
 * whose text is `completionText`, the text of the completion record of its id journaled before it,
 * leaves out `text` and its final assistant turn, which would repeat it: the journal holds each
 * output once, and the reader takes them back from the completion record.
 */
export function sampleRecord(
  trajectory: Trajectory<unknown, unknown, unknown>,
  promptHash: string,
  time: string,
  completionText: string | undefined,
): StoredSample {
  // One literal in the journal's key order, not spreads of the common fields (about 7 µs a sample).
  // A field left out is `undefined`, which JSON.stringify leaves out of the line: a scored sample
  // ends `ok, reward, output, info`, a failed one `ok, reward, failure`.
  const journaledText = textIsJournaled(trajectory, completionText);
  return {
    v: journalVersion,
    type: 'sample',
    time,
    id: trajectory.id,
    split: trajectory.split,
    iteration: trajectory.iteration,
    taskIndex: trajectory.taskIndex,
    taskId: trajectory.taskId,
    index: trajectory.index,
    seed: trajectory.seed,
    promptHash,
    turns: journaledText ? trajectory.turns.slice(0, -1) : trajectory.turns.slice(),
    text: journaledText ? undefined : trajectory.text,
    steps: trajectory.steps.slice(),
    usage: trajectory.usage,
    costUsd: trajectory.costUsd,
    latencyMs: trajectory.latencyMs,
    sampledBy: trajectory.sampledBy,
    ok: trajectory.ok,
    reward: trajectory.ok ? trajectory.reward : null,
    // The output is written only when it is not the text itself (a schema parsed it).
    output: trajectory.ok && trajectory.output !== trajectory.text ? trajectory.output : undefined,
    info: trajectory.ok ? trajectory.info : undefined,
    failure: trajectory.ok ? undefined : { stage: trajectory.failure.stage, message: trajectory.failure.message },
  };
}

/** Whether a sample's text is `completionText` and its turns end with it as the answer: a single-shot sample its completion record holds whole. */
function textIsJournaled(trajectory: Trajectory<unknown, unknown, unknown>, completionText: string | undefined): boolean {
  const answer = trajectory.turns.at(-1);
  return (
    completionText !== undefined &&
    trajectory.text === completionText &&
    trajectory.steps.length === 0 &&
    answer?.role === 'assistant' &&
    answer.content === completionText
  );
}

/** The record of a completion as it arrives, before it is scored; `id` is the sample's trajectory id. */
export function completionRecord(
  id: string,
  promptHash: string,
  sampled: SampledCompletion & { readonly ok: true },
  time: string,
): JournalCompletion {
  const [split, iteration, taskIndex, index] = id.split('/');
  const { text, parsed, error } = sampled.completion;
  // One literal in the journal's key order, as `sampleRecord`; `undefined` fields stay out of the line.
  return {
    v: journalVersion,
    type: 'completion',
    time,
    id,
    split: split === 'eval' ? 'eval' : 'train',
    iteration: Number(iteration),
    taskIndex: Number(taskIndex),
    index: Number(index),
    seed: sampled.seed,
    promptHash,
    text,
    parsed,
    error,
    usage: sampled.usage,
    costUsd: sampled.costUsd,
    latencyMs: sampled.latencyMs,
    requestCompletions: sampled.requestCompletions,
    requestAsked: sampled.requestAsked,
  };
}

/** The record of an iteration: its examples, kept set and statistics. */
export function iterationRecord(result: IterationResult<unknown, unknown, unknown>): JournalIteration {
  return {
    v: journalVersion,
    type: 'iteration',
    time: new Date().toISOString(),
    iteration: result.iteration,
    examples: result.examples.map((example) => example.id),
    kept: result.kept.map((example) => example.id),
    train: result.train,
    eval: result.eval ?? null,
    usage: result.usage,
    costUsd: result.costUsd,
    wallTimeMs: result.wallTimeMs,
    ...(result.fineTunedModel === undefined ? {} : { model: result.fineTunedModel }),
  };
}

/** The record of the end of a run, with why it stopped early if it did. */
export function runEndRecord(result: RunResult<unknown, unknown, unknown>): JournalRunEnd {
  return {
    v: journalVersion,
    type: 'run-end',
    time: new Date().toISOString(),
    iterations: result.iterations.length,
    best: result.best?.id ?? null,
    usage: result.usage,
    costUsd: result.costUsd,
    wallTimeMs: result.wallTimeMs,
    stopped: result.stopped ?? null,
    ...(result.trainingCostUsd === undefined ? {} : { trainingCostUsd: result.trainingCostUsd }),
  };
}
