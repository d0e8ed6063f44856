import { ConfigError, PauperError } from '../core/errors.js';
import { stableJson } from '../core/fingerprint.js';

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

/** A value as a difference shows it: its JSON, or `unset`. */
function show(value: unknown): string {
  return value === undefined ? 'unset' : (stableJson(value) ?? String(value));
}
