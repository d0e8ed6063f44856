import { appendFile, truncate } from 'node:fs/promises';
import { ConfigError } from '../core/errors.js';
import { contentHash, stableJson } from '../core/fingerprint.js';
import type { Message } from '../core/messages.js';
import type { IterationResult, RunResult } from '../core/results.js';
import type { Split, Trajectory } from '../core/trajectory.js';
import type { SampledCompletion } from '../providers/spec.js';
import { JournalError, JournalMismatchError } from './errors.js';
import type { JournalDifference } from './errors.js';
import { lockJournal, type JournalLock } from './lock.js';
import { loadJournal } from './read.js';
import type { Journal, LoadedJournal } from './read.js';
import { journalVersion, libraryVersion } from './records.js';
import type { JournalEmbeddings, JournalFineTune, JournalIteration, JournalRunStart, JournalSourceChange } from './records.js';
import { restore } from './restore.js';
import { changedPrompt, readTask } from './task-index.js';
import type { TaskIndex } from './task-index.js';
import { batchRecord, journaledBatches, type BatchEvent, type JournaledBatches } from './batches.js';
import type { Journaled } from './restore.js';
import { completionRecord, createWriter, iterationRecord, runEndRecord, sampleRecord } from './write.js';
import type { JournalWriter, WriterOptions } from './write.js';

/** What collecting needs of the run's journal: the loop and the stages call it directly. */
export interface RunJournal {
  /**
   * The journaled records of a task (named as its sample ids are), read from the file when the
   * task starts; `undefined` when the journal holds none of them. Each task is read once, and
   * its records are let go when the caller drops what this returns.
   */
  heldTask(split: Split, iteration: number, taskIndex: number): Promise<JournaledTask> | undefined;
  /**
   * Records a paid completion as soon as it arrives, before it is scored; resolves once it is
   * on disk (a request keeps its concurrency slot until then, so a crash loses at most the
   * requests in flight). Throws the journal's write error once one occurred.
   */
  completion(id: string, prompt: readonly Message[], completion: SampledCompletion & { readonly ok: true }): Promise<void>;
  /** Records a finished sample (restored ones are not written again). Throws the journal's write error once one occurred. */
  sample(trajectory: Trajectory<unknown, unknown, unknown>): void;
  /** The batches the journal held when it was opened, by entry `custom_id` (empty for a new journal). */
  readonly batches: JournaledBatches;
  /** Records a batch's file, id or end; resolves once it is on disk, so the id survives a crash that follows. */
  batch(event: BatchEvent): Promise<void>;
  /** The vector the journal holds of a text (by embedder `<name>/<model>` and text hash), with the batch record it came in. */
  embedded(embedder: string, hash: string): { readonly vector: readonly number[]; readonly batch: JournalEmbeddings } | undefined;
  /** Records a batch of embeddings as the embedder returns it; resolves once it is on disk. */
  embeddings(record: Omit<JournalEmbeddings, 'v' | 'type' | 'time'>): Promise<void>;
  /** `undefined` while the journal keeps up; else resolves once its queue is under the high-water mark (see `JournalWriter`). */
  belowHighWaterMark(): Promise<void> | undefined;
}

/** A task's journaled records, read back for a resumed run. */
export interface JournaledTask {
  /**
   * What the journal holds of sample `id`: its finished trajectory, rebuilt around the
   * run's task and prompt; or only its completion, to be scored now (a crash interrupted
   * its scoring, or its parsing or scoring failed); `undefined` when it must be sampled
   * (again); `'stale'` when it was made with a prompt the run no longer builds (the run
   * diverged, e.g. a fixed scorer changed the kept set).
   */
  restore<Task, Output, Info>(
    id: string,
    task: Task,
    prompt: readonly Message[],
    singleShot: boolean,
  ): Journaled<Task, Output, Info> | 'stale' | undefined;
}

/** What iterate tells the journal about the run; `resume` holds the settings a resume must match. */
export interface JournalRunConfig {
  readonly seed: number;
  readonly resume: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly string[];
  readonly evalTasks: readonly string[];
  /** Source text hashes of the run's own functions (reward, prompt builder), by option name. */
  readonly sources: Readonly<Record<string, string>>;
  /** Functions whose changed source a resume accepts (recorded in its `resume` record). */
  readonly acceptChanged: readonly string[];
  /**
   * The prompts the run builds at one iteration it can know before sampling (iterate: 0, when
   * there are no examples yet): a resume compares them with the journal's before writing anything.
   */
  readonly knownPrompts?: { readonly iteration: number; readonly prompt: (split: Split, taskIndex: number) => readonly Message[] };
}

/** A fine-tuning record's fields, as the loop gives them. */
export type FineTuneStep = Omit<JournalFineTune, 'v' | 'type' | 'time'>;

/** A journal open for appending, and (on resume) what it already holds. */
export interface OpenJournal extends RunJournal {
  /** Records an iteration's kept set and statistics (a resumed run writes it again only if it changed). */
  readonly iteration: (result: IterationResult<unknown, unknown, unknown>) => void;
  /** Records the end of the run. */
  readonly end: (result: RunResult<unknown, unknown, unknown>) => void;
  /** Records a step of a fine-tuning job (file, job, end); resolves once it is on disk. Throws the journal's write error once one occurred. */
  readonly fineTune: (step: FineTuneStep) => Promise<void>;
  /** The latest fine-tuning step the journal held when opened, by the iteration it trained after: what a resume continues. */
  readonly heldFineTunes: ReadonlyMap<number, JournalFineTune>;
  /** Resolves once every record so far is on disk; rejects with the first write error (a `JournalError`). */
  readonly flush: () => Promise<void>;
  /** Characters not yet on disk: what the journal holds in memory (zero once a write failed). */
  readonly unwritten: () => number;
  /** Writes what is queued, then lets another run open the journal (its lock file is removed). Never rejects. */
  readonly close: () => Promise<void>;
  /** Whether the journal held a run that this one continues. */
  readonly resuming: boolean;
  /** Samples the journal held when it was opened. */
  readonly journaled: number;
  /** Warnings from reading it (a skipped partial line). */
  readonly warnings: readonly string[];
}

/**
 * Opens a journal for a run: a new file (its parent directories created), or
 * with `resume` an existing one whose settings must match `config`. A missing
 * file with `resume` starts a new journal.
 */
export async function openJournal(
  path: string,
  resume: boolean,
  config: JournalRunConfig,
  options: WriterOptions = {},
): Promise<OpenJournal> {
  const lock = await lockJournal(path, (error) => unusable(path, error));
  try {
    const loaded = await loadJournal(path, { lean: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error instanceof JournalError ? error : unusable(path, error);
    });
    const writer = createWriter(path, options);
    const warnings = [...(loaded?.journal.warnings ?? [])];
    if (loaded?.index === undefined || loaded.journal.start === undefined) {
      await startJournal(path, loaded, config, writer);
      return journalFor(path, writer, undefined, warnings, lock);
    }
    if (!resume) {
      throw new ConfigError('journal', path, 'a new file, or `resume: true` to continue the run it holds');
    }
    await continueJournal(path, loaded, loaded.index, loaded.journal.start, config, writer);
    return journalFor(path, writer, { journal: loaded.journal, index: loaded.index }, warnings, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Starts a journal afresh: no file, or one a crash left before its first complete line. */
async function startJournal(path: string, loaded: LoadedJournal | undefined, config: JournalRunConfig, writer: JournalWriter): Promise<void> {
  try {
    // The directory exists: taking the lock made it. Written before the run pays for its first request: a path that cannot hold a journal fails now.
    if (loaded !== undefined) await truncate(path, 0);
    else await appendFile(path, '');
  } catch (error) {
    throw unusable(path, error);
  }
  writer.write({
    v: journalVersion,
    type: 'run-start',
    time: new Date().toISOString(),
    version: libraryVersion,
    seed: config.seed,
    fingerprint: contentHash(config.resume),
    resume: config.resume,
    config: config.config,
    tasks: [...config.tasks],
    evalTasks: [...config.evalTasks],
    sources: { ...config.sources },
  });
}

/** Continues the run a journal holds, once its settings match `config`; a `JournalMismatchError` names each that does not. */
async function continueJournal(
  path: string,
  loaded: LoadedJournal,
  index: TaskIndex,
  start: JournalRunStart,
  config: JournalRunConfig,
  writer: JournalWriter,
): Promise<void> {
  const differences = diff(start.resume, config.resume).map((difference) => withTaskCounts(difference, start, config));
  if (differences.length > 0) {
    throw new JournalMismatchError(path, differences, 'Resume with the options the run started with, or start a new journal.');
  }
  const accepted = changedSources(path, loaded.journal, config);
  refuseChangedPrompts(path, index, config);
  // A crash mid-write leaves a partial line; drop it so the next record starts on its own line.
  if (loaded.journal.warnings.length > 0) await truncate(path, loaded.completeBytes);
  writer.write({
    v: journalVersion,
    type: 'resume',
    time: new Date().toISOString(),
    version: libraryVersion,
    fingerprint: contentHash(config.resume),
    journaled: index.samples(),
    sources: { ...config.sources },
    ...(accepted.length === 0 ? {} : { accepted }),
  });
}

/**
 * The functions whose source text changed since the journal's run (or its latest resume), once
 * the run accepts each; a `JournalMismatchError` names those it does not accept. Journals written
 * before sources were recorded have nothing to compare.
 */
function changedSources(path: string, journal: Journal, config: JournalRunConfig): JournalSourceChange[] {
  const journaled = latestSources(journal);
  if (journaled === undefined) return [];
  const names = [...new Set([...Object.keys(journaled), ...Object.keys(config.sources)])].sort();
  const changed = names
    .filter((name) => journaled[name] !== config.sources[name])
    .map((name) => ({ field: name, journal: journaled[name] ?? null, current: config.sources[name] ?? null }));
  const refused = changed.filter((change) => !config.acceptChanged.includes(change.field));
  if (refused.length > 0) {
    const names = refused.map((change) => `'${change.field}'`).join(', ');
    throw new JournalMismatchError(
      path,
      refused.map((change) => ({ field: `${change.field} (source text hash)`, journal: change.journal ?? undefined, current: change.current ?? undefined })),
      `The source text of ${names} changed since the journal's run: its scores or prompts would mix with the journaled ones. ` +
        `Resume with the same function, start a new journal, or pass \`resume: { acceptChanged: [${names}] }\` to continue ` +
        '(journaled samples keep what the old function gave; the journal records the change).',
    );
  }
  return changed;
}

/** The function sources the journal last recorded: its latest `resume` record's, else its `run-start`'s. */
function latestSources(journal: Journal): Readonly<Record<string, string>> | undefined {
  let sources = journal.start?.sources;
  for (const record of journal.records) if (record.type === 'resume' && record.sources !== undefined) sources = record.sources;
  return sources;
}

/**
 * Refuses, before anything is written, a resume whose prompts at `knownPrompts.iteration` differ
 * from the journal's (a prompt builder changed in what it closes over, or in its source text
 * when not accepted): the latest sample and completion record of each sample are compared, from
 * the index, without reading them. With `prompt` or `render` accepted, those samples are sampled
 * again instead.
 */
function refuseChangedPrompts(path: string, index: TaskIndex, config: JournalRunConfig): void {
  const known = config.knownPrompts;
  if (known === undefined || config.acceptChanged.includes('prompt') || config.acceptChanged.includes('render')) return;
  const changed = changedPrompt(index, known.iteration, (split, taskIndex) => contentHash(known.prompt(split, taskIndex)));
  if (changed !== undefined) {
    throw new JournalMismatchError(
      path,
      [{ field: `prompt of ${changed.id}`, journal: changed.journal, current: changed.current }],
      'The prompt builder (`render`, `system`, `prompt`) changed since the run started; resume with the same one, or start a new journal.',
    );
  }
}

/** The record-writing methods of a journal open for a run; `held` is what it already held when resuming (its samples in `index`). */
function journalFor(
  path: string,
  writer: JournalWriter,
  resumed: { readonly journal: Journal; readonly index: TaskIndex } | undefined,
  warnings: readonly string[],
  lock: JournalLock,
): OpenJournal {
  const held = resumed?.journal;
  const promptHash = promptWriter(writer, new Set(held?.prompts.keys()));
  // Iterations already journaled: a resumed run recomputes them, and writes them again only if they changed.
  const journaledIterations = new Map<number, string>();
  for (const [iteration, record] of held?.iterations ?? []) journaledIterations.set(iteration, iterationSummary(record));
  // The text of each completion journaled by this run and not yet followed by its sample: the sample record then leaves it out.
  const completionTexts = new Map<string, string>();
  const journaled = resumed?.index.samples() ?? 0;
  return {
    heldTask(split, iteration, taskIndex) {
      const records = resumed?.index.take(split, iteration, taskIndex);
      if (records === undefined) return undefined;
      // Read when the task starts and let go when it ends: a resumed run never holds the whole
      // journal, nor the journal beside the trajectories rebuilt from it.
      return readTask(path, records).then((task) => ({
        restore<Task, Output, Info>(id: string, base: Task, prompt: readonly Message[], singleShot: boolean) {
          const found = restore<Task, Output, Info>(task, id, base, prompt, singleShot);
          // A completion to score again leaves its text, so its sample record can still leave the text to the completion record.
          const text = task.completions.get(id)?.text;
          if (found !== undefined && found !== 'stale' && 'completion' in found && text !== undefined) completionTexts.set(id, text);
          task.samples.delete(id);
          task.completions.delete(id);
          return found;
        },
      }));
    },
    completion(id, prompt, sampled) {
      // A journal that cannot be written stops the run here, before more is paid for and lost.
      writer.check();
      const time = new Date().toISOString();
      writer.write(completionRecord(id, promptHash(prompt, time), sampled, time));
      completionTexts.set(id, sampled.completion.text);
      return writer.flush();
    },
    sample(trajectory) {
      writer.check();
      const time = new Date().toISOString();
      const completionText = completionTexts.get(trajectory.id);
      completionTexts.delete(trajectory.id);
      writer.write(sampleRecord(trajectory, promptHash(trajectory.prompt, time), time, completionText));
    },
    batches: journaledBatches(held),
    batch(event) {
      writer.check();
      writer.write(batchRecord(event));
      return writer.flush();
    },
    embedded: (embedder, hash) => held?.embeddings.get(`${embedder}:${hash}`),
    embeddings(record) {
      writer.check();
      writer.write({ v: journalVersion, type: 'embeddings', time: new Date().toISOString(), ...record });
      return writer.flush();
    },
    iteration(result) {
      const record = iterationRecord(result);
      if (journaledIterations.get(result.iteration) !== iterationSummary(record)) writer.write(record);
    },
    end(result) {
      writer.write(runEndRecord(result));
    },
    fineTune(step) {
      writer.check();
      writer.write({ v: journalVersion, type: 'fine-tune', time: new Date().toISOString(), ...step });
      return writer.flush();
    },
    heldFineTunes: held?.fineTunes ?? new Map(),
    belowHighWaterMark: writer.belowHighWaterMark,
    flush: writer.flush,
    unwritten: writer.unwritten,
    close: async () => {
      await writer.flush().catch(() => {});
      await lock.release();
    },
    resuming: held !== undefined,
    journaled,
    warnings,
  };
}

/**
 * Every sample of a task shares one prompt array: hash it once, and write it
 * before its first sample. `written` holds the hashes the journal already has.
 */
function promptWriter(writer: JournalWriter, written: Set<string>): (prompt: readonly Message[], time: string) => string {
  const hashes = new WeakMap<readonly Message[], string>();
  return (prompt, time) => {
    let hash = hashes.get(prompt);
    if (hash === undefined) {
      hash = contentHash(prompt);
      hashes.set(prompt, hash);
    }
    if (!written.has(hash)) {
      written.add(hash);
      writer.write({ v: journalVersion, type: 'prompt', time, hash, messages: [...prompt] });
    }
    return hash;
  };
}

/** An iteration record without its timings, to tell whether a resumed run changed it. */
function iterationSummary(record: JournalIteration): string {
  const { time: _time, wallTimeMs: _wallTime, train, eval: held, ...rest } = record;
  return stableJson({ ...rest, train: { ...train, wallTimeMs: 0 }, eval: held === null ? null : { ...held, wallTimeMs: 0 } }) ?? '';
}

/** Task lists compare by hash; a mismatch names their sizes too (`1 task, hash 2a50…` → `none`). */
function withTaskCounts(
  difference: JournalDifference,
  start: { readonly tasks: readonly string[]; readonly evalTasks: readonly string[] },
  config: { readonly tasks: readonly string[]; readonly evalTasks: readonly string[] },
): JournalDifference {
  const { field } = difference;
  if (field !== 'tasks' && field !== 'evalTasks') return difference;
  const described = (count: number, hash: unknown): string =>
    count === 0 ? 'none' : `${count} ${count === 1 ? 'task' : 'tasks'}, hash ${String(hash)}`;
  return {
    field,
    journal: described(start[field].length, difference.journal),
    current: described(config[field].length, difference.current),
  };
}

/** The settings whose values differ between the journal and now, by name. */
function diff(journal: Readonly<Record<string, unknown>>, current: Readonly<Record<string, unknown>>): JournalDifference[] {
  const fields = [...new Set([...Object.keys(journal), ...Object.keys(current)])].sort();
  return fields
    .filter((field) => stableJson(journal[field]) !== stableJson(current[field]))
    .map((field) => ({ field, journal: journal[field], current: current[field] }));
}

/** The journal's path cannot be read or written (a directory, a parent that is a file, no permission). */
function unusable(path: string, error: unknown): JournalError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const why = code === 'EISDIR' ? 'it is a directory' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a parent of it is a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error instanceof Error ? error.message : String(error));
  return new JournalError(path, undefined, `cannot be used as a journal: ${why}. Give \`journal\` a file path in a directory you can write to.`, { cause: error });
}
