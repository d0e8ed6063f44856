import type { Split } from '../core/trajectory.js';
import { JournalError } from './errors.js';
import { eachLineIn } from './lines.js';
import { completionOf, parseRecord, sharing, textMissing, wholeSample } from './parse.js';
import type { JournalCompletion, JournalSample, StoredSample } from './records.js';

// Where each task's sample and completion records lie in a journal, so a resumed run reads a
// task's records when the task starts and lets them go when it ends: a resume holds a few
// numbers per journaled sample, not the samples. One pass over the file builds it (see
// `loadJournal` with `lean`), with the few facts the resume needs before any task starts.

/** The most bytes one run of a task's adjacent records spans, so reading a task never needs a larger buffer (one longer line aside). */
const runBytes = 4 * 1024 * 1024;

/** Sample indices this high are kept in a task's `others` map instead of its arrays: a damaged or edited id cannot make the arrays huge. */
const maxIndex = 2 ** 20;

/** One task's records: where they are, and per sample the prompt hash of its latest sample and completion record. */
export interface TaskRecords {
  readonly split: Split;
  readonly iteration: number;
  readonly taskIndex: number;
  /** Runs of adjacent records in file order (see `LineRuns`). */
  readonly runs: number[];
  /** The distinct prompt hashes of the task's records. */
  readonly hashes: string[];
  /** By sample index: 1 + the position in `hashes` of its latest sample record's prompt hash; 0 without one. */
  samples: Uint32Array;
  /** The same for its latest completion record. */
  completions: Uint32Array;
  /** The same for samples whose id does not end in a small index, by id. */
  readonly others: Map<string, { sample: number; completion: number }>;
}

/** The latest record of each of a task's samples, as a resumed run restores them. */
export interface HeldTask {
  readonly samples: Map<string, JournalSample>;
  readonly completions: Map<string, JournalCompletion>;
}

/** Where a journal's sample and completion records are, by task (`<split>/<iteration>/<taskIndex>`, the sample id without its index). */
export interface TaskIndex {
  /** Records a sample or completion record read at `offset` (`bytes` long, line `line`); a `JournalError` for a sample whose text no completion before it holds. */
  add(path: string, line: number, offset: number, bytes: number, record: StoredSample | JournalCompletion): void;
  /** How many distinct samples the journal holds. */
  readonly samples: () => number;
  /** Every task's entry, in the order of their first record. */
  readonly tasks: () => IterableIterator<TaskRecords>;
  /** The task's entry, taken out: each task is restored once. */
  readonly take: (split: Split, iteration: number, taskIndex: number) => TaskRecords | undefined;
}

/** An empty index, filled by `add` as the journal is read. */
export function createTaskIndex(): TaskIndex {
  const tasks = new Map<string, TaskRecords>();
  let samples = 0;
  return {
    add(path, line, offset, bytes, record) {
      const cut = record.id.lastIndexOf('/');
      const key = record.id.slice(0, cut);
      let task = tasks.get(key);
      if (task === undefined) {
        task = { split: record.split, iteration: record.iteration, taskIndex: record.taskIndex, runs: [], hashes: [], samples: new Uint32Array(16), completions: new Uint32Array(16), others: new Map() };
        tasks.set(key, task);
      }
      extend(task.runs, offset, bytes, line);
      let slot = task.hashes.indexOf(record.promptHash);
      if (slot === -1) slot = task.hashes.push(record.promptHash) - 1;
      const suffix = record.id.slice(cut + 1);
      const index = /^\d{1,7}$/.test(suffix) ? Number(suffix) : maxIndex;
      const other = index < maxIndex ? undefined : (task.others.get(suffix) ?? { sample: 0, completion: 0 });
      if (other !== undefined) task.others.set(suffix, other);
      const held = other ?? { sample: at(task.samples, index), completion: at(task.completions, index) };
      if (record.type === 'completion') held.completion = slot + 1;
      else {
        if (record.text === undefined && held.completion === 0) throw textMissing(path, line, record.id);
        if (held.sample === 0) samples++;
        held.sample = slot + 1;
      }
      if (other === undefined) {
        if (index >= task.samples.length) {
          task.samples = grown(task.samples, index);
          task.completions = grown(task.completions, index);
        }
        task.samples[index] = held.sample;
        task.completions[index] = held.completion;
      }
    },
    samples: () => samples,
    tasks: () => tasks.values(),
    take(split, iteration, taskIndex) {
      const key = [split, iteration, taskIndex].join('/');
      const task = tasks.get(key);
      tasks.delete(key);
      return task;
    },
  };
}

/**
 * Reads a task's records back from the journal at `path` and keeps the latest of each sample, as
 * `loadJournal` would have: samples whole (a version-2 sample gets its text from the completion
 * record before it), completions as literals of one shape, repeated strings and usages shared.
 */
export async function readTask(path: string, task: TaskRecords): Promise<HeldTask> {
  const samples = new Map<string, JournalSample>();
  const completions = new Map<string, JournalCompletion>();
  const share = sharing();
  await eachLineIn(path, task.runs, (text, line) => {
    const stored = parseRecord(path, line, text);
    if (stored.type === 'completion') {
      share(stored);
      completions.set(stored.id, completionOf(stored));
    } else if (stored.type === 'sample') {
      const sample = wholeSample(path, line, stored, completions);
      share(sample);
      samples.set(sample.id, sample);
    } else {
      throw new JournalError(path, line, `a ${stored.type} record where a sample or completion record was: another process changed the file. Resume again.`);
    }
  });
  return { samples, completions };
}

/**
 * The first journaled sample of `iteration` whose latest sample or completion record was made
 * with a prompt other than `current(split, taskIndex)`'s hash, from the index alone (no record is
 * read); `undefined` when there is none.
 */
export function changedPrompt(
  index: TaskIndex,
  iteration: number,
  current: (split: Split, taskIndex: number) => string,
): { readonly id: string; readonly journal: string | undefined; readonly current: string } | undefined {
  for (const task of index.tasks()) {
    if (task.iteration !== iteration) continue;
    const now = current(task.split, task.taskIndex);
    const changed = (slot: number): boolean => slot > 0 && task.hashes[slot - 1] !== now;
    const found = (suffix: string | number, slot: number) => ({ id: [task.split, task.iteration, task.taskIndex, suffix].join('/'), journal: task.hashes[slot - 1], current: now });
    for (const slots of [task.completions, task.samples]) {
      const at = slots.findIndex(changed);
      if (at !== -1) return found(at, slots[at] ?? 0);
    }
    for (const [suffix, held] of task.others) {
      if (changed(held.completion)) return found(suffix, held.completion);
      if (changed(held.sample)) return found(suffix, held.sample);
    }
  }
  return undefined;
}

/** Adds a line to the runs: the last run grows when the line follows it directly (and the run stays under `runBytes`). */
function extend(runs: number[], offset: number, bytes: number, line: number): void {
  const last = runs.length - 3;
  if (last >= 0 && runs[last + 1] === offset - 1 && offset + bytes - (runs[last] ?? 0) <= runBytes) runs[last + 1] = offset + bytes;
  else runs.push(offset, offset + bytes, line);
}

/** An array's value at `index`, 0 past its end. */
function at(array: Uint32Array, index: number): number {
  return index < array.length ? (array[index] ?? 0) : 0;
}

/** `array` copied into one that holds `index`. */
function grown(array: Uint32Array, index: number): Uint32Array {
  let length = array.length;
  while (length <= index) length *= 2;
  const larger = new Uint32Array(length);
  larger.set(array);
  return larger;
}
