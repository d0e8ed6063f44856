import type { IterationResult } from './results.js';
import type { Usage } from './usage.js';

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Base class of every error pauper throws. */
export class PauperError extends Error {
  override name = 'PauperError';
}

/** An option was missing or invalid. Thrown before any work starts. */
export class ConfigError extends PauperError {
  override name = 'ConfigError';
  /** The option's name, e.g. `samples` or `provider.model`. */
  readonly option: string;
  /** The value given. */
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string, options?: { readonly cause?: unknown }) {
    super(`Invalid option \`${option}\`: expected ${expected}, got ${describe(value)}.`, options);
    this.option = option;
    this.value = value;
  }
}

/** Options for `ProviderError`. */
export interface ProviderErrorOptions {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly isRetryable: boolean;
  readonly provider: string;
  readonly cause?: unknown;
  /** What the failed response was billed, when it was (see `ProviderError.paid`). */
  readonly paid?: { readonly usage: Usage; readonly costUsd: number | null };
}

/** A model request failed: HTTP status, connection error, timeout or malformed response. */
export class ProviderError extends PauperError {
  override name = 'ProviderError';
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  /** Response headers, when there was a response. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the transport layer retries this error. */
  readonly isRetryable: boolean;
  /** Provider family that failed. */
  readonly provider: string;
  /**
   * What a response that came back unusable was billed (an answer with no choices): its usage and
   * cost are charged to the run, so a failure that was paid for still shows in the totals and budgets.
   */
  readonly paid: { readonly usage: Usage; readonly costUsd: number | null } | undefined;

  constructor(message: string, options: ProviderErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.headers = options.headers ?? {};
    this.isRetryable = options.isRetryable;
    this.provider = options.provider;
    this.paid = options.paid;
  }
}

/** A completion could not be parsed into the output type. */
export class ParseError extends PauperError {
  override name = 'ParseError';
  /** The text that failed to parse. */
  readonly text: string;

  constructor(message: string, text: string, options?: { cause?: unknown }) {
    super(message, options);
    this.text = text;
  }
}

/** The reward function threw, or returned something that is not a finite number. */
export class RewardError extends PauperError {
  override name = 'RewardError';
  /** The sample being scored (its output text). */
  readonly sample: unknown;

  constructor(message: string, sample: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.sample = sample;
  }
}

/** More samples failed than `maxErrors` allows. Carries every failure so far. */
export class TooManyErrorsError extends PauperError {
  override name = 'TooManyErrorsError';
  /** The failure reasons, in the order they happened. */
  readonly failures: readonly string[];
  /**
   * The iterations `iterate()` completed before it stopped, with their trajectories:
   * what was paid for is not lost. Empty from `evaluate` and `bestOfN`. The task, output
   * and info types are the run's; narrow them with
   * `error.completedIterations as readonly IterationResult<Task, Output, Info>[]`.
   */
  readonly completedIterations: readonly IterationResult<unknown, unknown, unknown>[];
  /** The `maxErrors` the run allowed. */
  readonly maxErrors: number;

  constructor(
    maxErrors: number,
    failures: readonly string[],
    completedIterations: readonly IterationResult<unknown, unknown, unknown>[] = [],
  ) {
    super(
      `${failures.length} ${failures.length === 1 ? 'sample' : 'samples'} failed, more than maxErrors (${maxErrors}). ` +
        `First failure: ${(failures[0] ?? 'none').replace(/\.$/, '')}. Fix the cause, or raise \`maxErrors\`.`,
    );
    this.failures = failures;
    this.maxErrors = maxErrors;
    this.completedIterations = completedIterations;
  }
}

/**
 * A request was refused because it could have crossed a budget: the error of each failed
 * entry `sample()` returns for a request its `gate` refused (never sent, never charged).
 * `iterate()` does not throw it: its budget ends the run normally, with `result.stopped`.
 */
export class BudgetExceededError extends PauperError {
  override name = 'BudgetExceededError';
  /** Which budget: `maxCostUsd`, `maxSamples` or `maxTokens`, or `'budget'` when the gate did not say. */
  readonly budget: string;

  constructor(budget: string, message: string) {
    super(message);
    this.budget = budget;
  }
}

/**
 * A fine-tuning job between iterations failed or was cancelled. What the run sampled is kept:
 * in `completedIterations` and its journal. `resume: true` then trains a new job on the same file.
 */
export class FineTuneError extends PauperError {
  override name = 'FineTuneError';
  /** The job's id, or `undefined` when it could not be created. */
  readonly jobId: string | undefined;
  /** How it ended: `failed` or `cancelled`. */
  readonly status: 'failed' | 'cancelled';
  /** The iteration whose kept set it trained on. */
  readonly iteration: number;
  /** The iterations the run completed, with their trajectories (narrow as for `TooManyErrorsError`). */
  readonly completedIterations: readonly IterationResult<unknown, unknown, unknown>[];

  constructor(
    details: { readonly jobId: string | undefined; readonly status: 'failed' | 'cancelled'; readonly iteration: number; readonly reason: string },
    completedIterations: readonly IterationResult<unknown, unknown, unknown>[] = [],
    options?: { readonly cause?: unknown },
  ) {
    super(
      `The fine-tuning job ${details.jobId ?? '(not created)'} on the kept set of iteration ${details.iteration} ${details.status === 'failed' ? 'failed' : 'was cancelled'}: ` +
        `${details.reason.replace(/\.$/, '')}. The ${completedIterations.length} completed iterations are kept (error.completedIterations, and the journal); ` +
        'fix the cause, then run again with `resume: true` to train a new job on the same file.',
      options,
    );
    this.jobId = details.jobId;
    this.status = details.status;
    this.iteration = details.iteration;
    this.completedIterations = completedIterations;
  }
}

/**
 * A batch runs outside the run (files for a self-hosted cluster) and has no results yet: its
 * input file is written and journaled. Run it, put its output where `outputPath` says, and resume.
 */
export class BatchPendingError extends PauperError {
  override name = 'BatchPendingError';
  /** The batch input file written for the engine. */
  readonly inputPath: string;
  /** Where the run reads the engine's output file from when resumed. */
  readonly outputPath: string;

  constructor(message: string, inputPath: string, outputPath: string) {
    super(message);
    this.inputPath = inputPath;
    this.outputPath = outputPath;
  }
}

/**
 * A run with `trajectories: 'journal'` left its trajectories in its journal instead of its
 * result: reading `result.trajectories` (of the run or of an iteration) throws this, naming
 * the journal and how to read them from it.
 */
export class TrajectoriesNotKeptError extends PauperError {
  override name = 'TrajectoriesNotKeptError';
  /** The journal that holds them. */
  readonly journal: string;
  /** The iteration asked for; `undefined` for the whole run. */
  readonly iteration: number | undefined;

  constructor(journal: string, iteration?: number) {
    const filter = iteration === undefined ? '' : `, { iteration: ${iteration} }`;
    super(
      `This run left its trajectories in its journal (\`trajectories: 'journal'\`), not in its result. ` +
        `Read them from there: \`for await (const sample of readSamples(${JSON.stringify(journal)}${filter}))\`, or loadRun() for ` +
        "statistics; or run with `trajectories: 'memory'` to keep them in the result.",
    );
    this.journal = journal;
    this.iteration = iteration;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return 'an object';
  }
}
