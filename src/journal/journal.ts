import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ConfigError, PauperError } from '../core/errors.js';
import type { IterationResult, RunResult } from '../core/results.js';
import type { SampledCompletion } from '../providers/spec.js';
import { contentHash, stableJson } from '../core/fingerprint.js';
import type { Message } from '../core/messages.js';
import type { Trajectory } from '../core/trajectory.js';

/** The version of pauper written into every journal's `run-start` record. Kept equal to package.json by a test. */
export const libraryVersion = '0.1.0';

/** The journal schema version, the `v` field of every record. */
export const journalVersion = 1 as const;

const count = z.number().int().nonnegative();
const usageSchema = z.object({
  requests: count,
  inputTokens: count,
  cachedInputTokens: count,
  cacheWriteTokens: count,
  outputTokens: count,
  reasoningTokens: count,
});
const messageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
const splitSchema = z.enum(['train', 'eval']);
const statsSchema = z.object({
  samples: count,
  scored: count,
  failed: count,
  mean: z.number().nullable(),
  median: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  p10: z.number().nullable(),
  p90: z.number().nullable(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  wallTimeMs: z.number(),
});
const stoppedSchema = z.object({ reason: z.string(), iteration: count, message: z.string() });
const base = { v: z.literal(journalVersion), time: z.string() };

const runStartSchema = z.object({
  ...base,
  type: z.literal('run-start'),
  version: z.string(),
  seed: count,
  fingerprint: z.string(),
  resume: z.record(z.string(), z.unknown()),
  config: z.record(z.string(), z.unknown()),
  tasks: z.array(z.string()),
  evalTasks: z.array(z.string()),
});
const resumeSchema = z.object({
  ...base,
  type: z.literal('resume'),
  version: z.string(),
  fingerprint: z.string(),
  journaled: count,
});
const promptSchema = z.object({ ...base, type: z.literal('prompt'), hash: z.string(), messages: z.array(messageSchema) });
const sampleSchema = z.object({
  ...base,
  type: z.literal('sample'),
  id: z.string(),
  split: splitSchema,
  iteration: count,
  taskIndex: count,
  taskId: z.string(),
  index: count,
  seed: count,
  promptHash: z.string(),
  turns: z.array(messageSchema),
  text: z.string(),
  steps: z.array(z.object({ message: z.string(), reply: z.string(), info: z.unknown().optional() })),
  ok: z.boolean(),
  reward: z.number().nullable(),
  output: z.unknown().optional(),
  info: z.unknown().optional(),
  failure: z.object({ stage: z.enum(['request', 'parse', 'reward', 'rollout']), message: z.string() }).optional(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  latencyMs: z.number(),
});
const completionSchema = z.object({
  ...base,
  type: z.literal('completion'),
  id: z.string(),
  split: splitSchema,
  iteration: count,
  taskIndex: count,
  index: count,
  seed: count,
  promptHash: z.string(),
  text: z.string(),
  parsed: z.unknown().optional(),
  error: z.string().optional(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  latencyMs: z.number(),
  /** How many completions the request that made this one returned: resuming tells a complete native-`n` request from a torn one. */
  requestCompletions: count.optional(),
  /** How many completions that request asked for: one asked for several and answered with one means the server ignores `n`. */
  requestAsked: count.optional(),
});
const iterationSchema = z.object({
  ...base,
  type: z.literal('iteration'),
  iteration: count,
  examples: z.array(z.string()),
  kept: z.array(z.string()),
  train: statsSchema,
  eval: statsSchema.nullable(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  wallTimeMs: z.number(),
});
const runEndSchema = z.object({
  ...base,
  type: z.literal('run-end'),
  iterations: count,
  best: z.string().nullable(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  wallTimeMs: z.number(),
  stopped: stoppedSchema.nullable(),
});
const recordSchema = z.discriminatedUnion('type', [
  runStartSchema,
  resumeSchema,
  promptSchema,
  completionSchema,
  sampleSchema,
  iterationSchema,
  runEndSchema,
]);

/** The first record: what the run was started with (no secrets, no functions). */
export type JournalRunStart = z.infer<typeof runStartSchema>;
/** Written each time a run is resumed from the journal. */
export type JournalResume = z.infer<typeof resumeSchema>;
/** A prompt's messages, written once before the first sample that used it. */
export type JournalPrompt = z.infer<typeof promptSchema>;
/** A single-shot completion, written as it arrives (before scoring), so a crash mid-scoring costs no request. */
export type JournalCompletion = z.infer<typeof completionSchema>;
/** One sample: its task, prompt hash, own turns, output, reward or failure, usage and cost. */
export type JournalSample = z.infer<typeof sampleSchema>;
/** One iteration's examples, kept set (trajectory ids) and statistics. */
export type JournalIteration = z.infer<typeof iterationSchema>;
/** The end of the run, with why it stopped early if it did. */
export type JournalRunEnd = z.infer<typeof runEndSchema>;
/** One line of a journal. */
export type JournalRecord = z.infer<typeof recordSchema>;

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
  readonly end: JournalRunEnd | undefined;
  /** What the reader skipped, e.g. a partial last line left by a crash. Never logged. */
  readonly warnings: readonly string[];
}

/**
 * A journal line is not valid JSON or not a valid record (only a partial last
 * line is skipped instead), or the journal could not be written (`line` unset).
 */
export class JournalError extends PauperError {
  override name = 'JournalError';
  /** The journal's path. */
  readonly path: string;
  /** The 1-based line number of the bad line; `undefined` when writing failed. */
  readonly line: number | undefined;

  constructor(path: string, line: number | undefined, problem: string, options?: { cause?: unknown }) {
    super(`${line === undefined ? path : `${path}:${line}`}: ${problem}`, options);
    this.path = path;
    this.line = line;
  }
}

/** One setting that differs between a journal and the options given to resume it. */
export interface JournalDifference {
  /** The setting, e.g. `samples`, or `prompt of <trajectory id>`. */
  readonly field: string;
  /** Its value in the journal. */
  readonly journal: unknown;
  /** Its value in the options given now. */
  readonly current: unknown;
}

/** `resume: true` with options that do not match the journal's run. Names every difference. */
export class JournalMismatchError extends ConfigError {
  override name = 'JournalMismatchError';
  /** Every setting that differs, journal value first. */
  readonly differences: readonly JournalDifference[];

  constructor(path: string, differences: readonly JournalDifference[], hint: string) {
    super('resume', path, 'options matching the journal');
    const listed = differences.map((difference) =>
      `${difference.field}: ${show(difference.journal)} → ${show(difference.current)}`,
    );
    this.message = `Cannot resume ${path}: ${listed.join(', ')}. ${hint}`;
    this.differences = differences;
  }
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : (stableJson(value) ?? String(value));
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

interface LoadedJournal {
  readonly journal: Journal;
  /** Bytes of the complete lines; anything after is a partial line. */
  readonly completeBytes: number;
}

async function loadJournal(path: string): Promise<LoadedJournal> {
  const buffer = await readFile(path);
  const completeBytes = buffer.lastIndexOf(0x0a) + 1;
  const lines = buffer.subarray(0, completeBytes).toString('utf8').split('\n');
  lines.pop(); // after the final newline
  const warnings: string[] = [];
  if (completeBytes < buffer.length) {
    warnings.push(
      `${path}:${lines.length + 1}: skipped a partial last line (${buffer.length - completeBytes} bytes), the trace of a crash mid-write.`,
    );
  }
  const records: JournalRecord[] = [];
  let start: JournalRunStart | undefined;
  let end: JournalRunEnd | undefined;
  const samples = new Map<string, JournalSample>();
  const completions = new Map<string, JournalCompletion>();
  const prompts = new Map<string, readonly Message[]>();
  const iterations = new Map<number, JournalIteration>();
  lines.forEach((text, position) => {
    const line = position + 1;
    if (text.trim() === '') return;
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
    const record = parsed.data;
    if ((records.length === 0) !== (record.type === 'run-start')) {
      throw new JournalError(path, line, records.length === 0 ? 'the first record must be `run-start`.' : 'a second `run-start`: a journal holds one run.');
    }
    records.push(record);
    if (record.type === 'run-start') start = record;
    else if (record.type === 'prompt') prompts.set(record.hash, record.messages);
    else if (record.type === 'sample') samples.set(record.id, record);
    else if (record.type === 'completion') completions.set(record.id, record);
    else if (record.type === 'iteration') iterations.set(record.iteration, record);
    else if (record.type === 'run-end') end = record;
  });
  return { journal: { records, start, samples, completions, prompts, iterations, end, warnings }, completeBytes };
}

/** What collecting needs of the run's journal: the loop and the stages call it directly. */
export interface RunJournal {
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
  /** Records a paid completion as soon as it arrives, before it is scored. Throws the journal's write error once one occurred. */
  completion(id: string, prompt: readonly Message[], completion: SampledCompletion & { readonly ok: true }): void;
  /** Records a finished sample (restored ones are not written again). Throws the journal's write error once one occurred. */
  sample(trajectory: Trajectory<unknown, unknown, unknown>): void;
}

/** A journaled sample: finished, or a completion still to score. */
export type Journaled<Task, Output, Info> = (
  | { readonly trajectory: Trajectory<Task, Output, Info> }
  | { readonly index: number; readonly completion: SampledCompletion & { readonly ok: true } }
) & {
  /** How many completions its request returned, when the journal says (journals written since this field came). */
  readonly requestCompletions: number | undefined;
  /** How many completions its request asked for, when the journal says. */
  readonly requestAsked: number | undefined;
};


/** What iterate tells the journal about the run; `resume` holds the settings a resume must match. */
export interface JournalRunConfig {
  readonly seed: number;
  readonly resume: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly string[];
  readonly evalTasks: readonly string[];
}

/** What a run hears from its journal while writing it. */
export interface JournalWriteOptions {
  /**
   * Called once per kind of value that could not be serialised (a BigInt, a
   * circular object) in an `output`, `parsed` or `info`: the record was written
   * with a marker in its place. @default warnings are dropped
   */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** A journal open for appending, and (on resume) what it already holds. */
export interface OpenJournal extends RunJournal {
  /** Records an iteration's kept set and statistics (a resumed run writes it again only if it changed). */
  readonly iteration: (result: IterationResult<unknown, unknown, unknown>) => void;
  /** Records the end of the run. */
  readonly end: (result: RunResult<unknown, unknown, unknown>) => void;
  /** Resolves once every record so far is on disk; rejects with the first write error (a `JournalError`). */
  readonly flush: () => Promise<void>;
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
  options: JournalWriteOptions = {},
): Promise<OpenJournal> {
  const loaded = await loadJournal(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  const fingerprint = contentHash(config.resume);
  const writer = createWriter(path, options.onWarning);
  const writtenPrompts = new Set<string>();
  // Iterations already journaled: a resumed run recomputes them, and writes them again only if they changed.
  const journaledIterations = new Map<number, string>();
  let held: Journal | undefined;
  let journaled = 0;
  const warnings = [...(loaded?.journal.warnings ?? [])];
  if (loaded === undefined || loaded.journal.start === undefined) {
    // No file, or one a crash left before its first complete line: start afresh.
    await mkdir(dirname(path), { recursive: true });
    if (loaded !== undefined) await truncate(path, 0);
    writer.write({
      v: journalVersion,
      type: 'run-start',
      time: new Date().toISOString(),
      version: libraryVersion,
      seed: config.seed,
      fingerprint,
      resume: config.resume,
      config: config.config,
      tasks: [...config.tasks],
      evalTasks: [...config.evalTasks],
    });
  } else {
    const { journal } = loaded;
    const start = loaded.journal.start;
    if (!resume) {
      throw new ConfigError('journal', path, 'a new file, or `resume: true` to continue the run it holds');
    }
    const differences = diff(start.resume, config.resume).map((difference) => withTaskCounts(difference, start, config));
    if (differences.length > 0) {
      throw new JournalMismatchError(path, differences, 'Resume with the options the run started with, or start a new journal.');
    }
    // A crash mid-write leaves a partial line; drop it so the next record starts on its own line.
    if (journal.warnings.length > 0) await truncate(path, loaded.completeBytes);
    for (const hash of journal.prompts.keys()) writtenPrompts.add(hash);
    for (const [iteration, record] of journal.iterations) journaledIterations.set(iteration, iterationSummary(record));
    journaled = journal.samples.size;
    held = journal;
    writer.write({
      v: journalVersion,
      type: 'resume',
      time: new Date().toISOString(),
      version: libraryVersion,
      fingerprint,
      journaled,
    });
  }

  // Every sample of a task shares one prompt array; hash it once, and write it before its first sample.
  const promptHashes = new WeakMap<readonly Message[], string>();
  const promptHash = (prompt: readonly Message[], time: string): string => {
    let hash = promptHashes.get(prompt);
    if (hash === undefined) {
      hash = contentHash(prompt);
      promptHashes.set(prompt, hash);
    }
    if (!writtenPrompts.has(hash)) {
      writtenPrompts.add(hash);
      writer.write({ v: journalVersion, type: 'prompt', time, hash, messages: [...prompt] });
    }
    return hash;
  };
  return {
    restore: (id, task, prompt, singleShot) => (held === undefined ? undefined : restore(path, held, id, task, prompt, singleShot)),
    completion(id, prompt, sampled) {
      // A journal that cannot be written stops the run here, before more is paid for and lost.
      writer.check();
      const time = new Date().toISOString();
      const [split, iteration, taskIndex, index] = id.split('/');
      const { text, parsed, error } = sampled.completion;
      writer.write({
        v: journalVersion,
        type: 'completion',
        time,
        id,
        split: split === 'eval' ? 'eval' : 'train',
        iteration: Number(iteration),
        taskIndex: Number(taskIndex),
        index: Number(index),
        seed: sampled.seed,
        promptHash: promptHash(prompt, time),
        text,
        ...(parsed === undefined ? {} : { parsed }),
        ...(error === undefined ? {} : { error }),
        usage: sampled.usage,
        costUsd: sampled.costUsd,
        latencyMs: sampled.latencyMs,
        requestCompletions: sampled.requestCompletions,
        requestAsked: sampled.requestAsked,
      });
    },
    sample(trajectory) {
      writer.check();
      const time = new Date().toISOString();
      writer.write(sampleRecord(trajectory, promptHash(trajectory.prompt, time), time));
    },
    iteration(result) {
      const record: JournalIteration = {
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
      };
      if (journaledIterations.get(result.iteration) !== iterationSummary(record)) writer.write(record);
    },
    end(result) {
      writer.write({
        v: journalVersion,
        type: 'run-end',
        time: new Date().toISOString(),
        iterations: result.iterations.length,
        best: result.best?.id ?? null,
        usage: result.usage,
        costUsd: result.costUsd,
        wallTimeMs: result.wallTimeMs,
        stopped: result.stopped ?? null,
      });
    },
    flush: writer.flush,
    resuming: held !== undefined,
    journaled,
    warnings,
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

function diff(journal: Readonly<Record<string, unknown>>, current: Readonly<Record<string, unknown>>): JournalDifference[] {
  const fields = [...new Set([...Object.keys(journal), ...Object.keys(current)])].sort();
  return fields
    .filter((field) => stableJson(journal[field]) !== stableJson(current[field]))
    .map((field) => ({ field, journal: journal[field], current: current[field] }));
}

/**
 * Appends records in order, each as one whole line within a single `appendFile`
 * call: lines queued while a write is in progress go out together in the next
 * one, so the journal keeps up with a fast run. A crash leaves at most a
 * partial last line. A value that cannot be serialised spoils only its own
 * field (see `serialise`); the first write error stops the journal, and
 * `check` and `flush` throw it.
 */
function createWriter(
  path: string,
  onWarning: ((message: string) => void) | undefined,
): { write: (record: JournalRecord) => void; check: () => void; flush: () => Promise<void> } {
  let pending: string[] = [];
  let writing: Promise<void> | undefined;
  let failure: JournalError | undefined;
  const warned = new Set<string>();
  const warn = (kind: string, message: string): void => {
    if (warned.has(kind)) return;
    warned.add(kind);
    onWarning?.(message);
  };
  const drain = async (): Promise<void> => {
    while (pending.length > 0 && failure === undefined) {
      const lines = pending.join('');
      pending = [];
      try {
        await appendFile(path, lines);
      } catch (error) {
        failure = new JournalError(
          path,
          undefined,
          `could not write the journal (${firstLine(error)}). What was written before is kept: ` +
            'fix the cause (disk space, permissions), then run again with `resume: true` to continue.',
          { cause: error },
        );
      }
    }
    writing = undefined;
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
      writing ??= drain();
    },
    check,
    async flush() {
      while (writing !== undefined) await writing;
      check();
    },
  };
}

/** What marks a value the journal could not serialise; a resumed run restores this string in its place. */
const unserialisable = (problem: string): string => `[unserialisable: ${problem}]`;

/** Whether a journaled value is the marker `serialise` wrote in place of one it could not serialise. */
function isUnserialisable(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('[unserialisable: ') && value.endsWith(']');
}

/**
 * One record as a JSON line. A value JSON cannot hold (a BigInt, a circular
 * object) can only be in a free-form field, `output`, `parsed` or an `info`:
 * that field is written as a marker with a warning, and the rest of the record
 * as it is, so one odd value never costs the record or the journal.
 */
function serialise(record: JournalRecord, path: string, warn: (kind: string, message: string) => void): string | undefined {
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
    let marked: JournalRecord = record;
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
function recordName(record: JournalRecord): string {
  return 'id' in record ? `${record.type} ${record.id}` : `the ${record.type} record`;
}

function sampleRecord(trajectory: Trajectory<unknown, unknown, unknown>, promptHash: string, time: string): JournalSample {
  const common = {
    v: journalVersion,
    type: 'sample' as const,
    time,
    id: trajectory.id,
    split: trajectory.split,
    iteration: trajectory.iteration,
    taskIndex: trajectory.taskIndex,
    taskId: trajectory.taskId,
    index: trajectory.index,
    seed: trajectory.seed,
    promptHash,
    turns: [...trajectory.turns],
    text: trajectory.text,
    steps: [...trajectory.steps],
    usage: trajectory.usage,
    costUsd: trajectory.costUsd,
    latencyMs: trajectory.latencyMs,
  };
  if (!trajectory.ok) {
    return {
      ...common,
      ok: false,
      reward: null,
      failure: { stage: trajectory.failure.stage, message: trajectory.failure.message },
    };
  }
  // The output is written only when it is not the text itself (a schema parsed it).
  return {
    ...common,
    ok: true,
    reward: trajectory.reward,
    ...(trajectory.output === trajectory.text ? {} : { output: trajectory.output }),
    ...(trajectory.info === undefined ? {} : { info: trajectory.info }),
  };
}

/**
 * What a journal holds of sample `id` for a resumed run: the trajectory of a
 * scored sample; the completion of a single-shot sample to score again (its
 * scoring never finished, or its parsing or scoring failed); nothing when it
 * must be requested (again).
 */
function restore<Task, Output, Info>(
  path: string,
  journal: Journal,
  id: string,
  task: Task,
  prompt: readonly Message[],
  singleShot: boolean,
): Journaled<Task, Output, Info> | 'stale' | undefined {
  const record = journal.samples.get(id);
  const completion = singleShot ? journal.completions.get(id) : undefined;
  const hash = record?.promptHash ?? completion?.promptHash;
  // A failed request cost nothing: sample it again.
  if (hash === undefined || (completion === undefined && record?.failure?.stage === 'request')) return undefined;
  const current = contentHash(prompt);
  if (hash !== current) {
    if ((record ?? completion)!.iteration > 0) return 'stale';
    // Iteration 0 has no examples: its prompts change only when the prompt builder did.
    throw new JournalMismatchError(
      path,
      [{ field: `prompt of ${id}`, journal: hash, current }],
      'The prompt builder (`render`, `system`, `prompt`) changed since the run started; resume with the same one, or start a new journal.',
    );
  }
  const rescore = record === undefined || (singleShot && !record.ok && record.failure?.stage !== 'request');
  if (rescore) {
    // The completion is paid for: score it now, so an interrupted or fixed scorer costs no request.
    const source = completion ?? record;
    if (source === undefined) return undefined;
    // A parsed value the journal could not hold is left out: the schema parses the text again instead of the marker.
    const parsed = isUnserialisable(completion?.parsed) ? undefined : completion?.parsed;
    const error = completion?.error;
    return {
      index: source.index,
      requestCompletions: completion?.requestCompletions,
      requestAsked: completion?.requestAsked,
      completion: {
        ok: true,
        completion: { text: source.text, ...(parsed === undefined ? {} : { parsed }), ...(error === undefined ? {} : { error }) },
        usage: source.usage,
        costUsd: source.costUsd,
        latencyMs: source.latencyMs,
        seed: source.seed,
        requestCompletions: completion?.requestCompletions ?? 1,
        requestAsked: completion?.requestAsked ?? 1,
      },
    };
  }
  return {
    trajectory: trajectoryOf<Task, Output, Info>(record, task, prompt),
    requestCompletions: completion?.requestCompletions,
    requestAsked: completion?.requestAsked,
  };
}

function trajectoryOf<Task, Output, Info>(record: JournalSample, task: Task, prompt: readonly Message[]): Trajectory<Task, Output, Info> {
  const common = {
    id: record.id,
    split: record.split,
    iteration: record.iteration,
    taskIndex: record.taskIndex,
    taskId: record.taskId,
    index: record.index,
    task,
    prompt,
    turns: record.turns,
    text: record.text,
    steps: record.steps.map((step) =>
      step.info === undefined ? { message: step.message, reply: step.reply } : { message: step.message, reply: step.reply, info: step.info },
    ),
    usage: record.usage,
    costUsd: record.costUsd,
    latencyMs: record.latencyMs,
    seed: record.seed,
  };
  if (!record.ok || record.reward === null) {
    const failure = record.failure ?? { stage: 'rollout' as const, message: 'failed' };
    return { ...common, ok: false, reward: null, failure: { ...failure, error: new PauperError(failure.message) } };
  }
  return {
    ...common,
    ok: true,
    reward: record.reward,
    output: (record.output === undefined ? record.text : record.output) as Output,
    info: record.info as Info | undefined,
  };
}
