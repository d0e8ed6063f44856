import type { parseArgs, ParseArgsConfig } from 'node:util';
import { PauperError } from '../core/errors.js';

/** Where a command writes: results to `out` (stdout), messages to `err` (stderr). */
export interface Output {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Exit codes, as common Node CLIs use them. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/** One subcommand of `pauper`. */
export interface Command {
  readonly name: string;
  /** One line for `pauper --help`. */
  readonly summary: string;
  /** The command's `--help`. */
  readonly usage: string;
  /** Its options, as `node:util` `parseArgs` takes them (`--help` is added). */
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Runs it with its parsed arguments; resolves with the exit code. */
  readonly run: (parsed: ReturnType<typeof parseArgs>, output: Output) => Promise<number>;
}

/** A command's error as one line on stderr and an exit code, never a stack trace: bad arguments are 2, the rest 1. */
export function failure(error: unknown, command: Command, output: Output): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    output.err(`pauper ${command.name}: ${(error as Error).message}. See pauper ${command.name} --help.`);
    return exitCodes.usage;
  }
  if (error instanceof UsageError) {
    output.err(`pauper ${command.name}: ${error.message} See pauper ${command.name} --help.`);
    return exitCodes.usage;
  }
  output.err(`pauper ${command.name}: ${fileProblem(error)}`);
  return exitCodes.failed;
}

/** Arguments a command cannot work with (a missing journal path); exit code 2. */
export class UsageError extends PauperError {
  override name = 'UsageError';
}

/** What went wrong reading a file, in one line. */
function fileProblem(error: unknown): string {
  const { code, path } = (error ?? {}) as { code?: unknown; path?: unknown };
  if (code === 'ENOENT') return `${String(path)}: no such file.`;
  if (code === 'EISDIR') return `${String(path)}: a directory, not a journal file.`;
  if (code === 'EACCES' || code === 'EPERM') return `${String(path)}: permission denied.`;
  if (error instanceof PauperError) return error.message.split('\n')[0] ?? error.message;
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
}
