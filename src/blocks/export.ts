import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import type { Trajectory } from '../core/trajectory.js';

/** One line of an OpenAI chat fine-tuning file. */
export interface FineTuningRecord {
  readonly messages: readonly Message[];
}

/** Options of `fineTuningRecords` and `writeFineTuningJsonl`. */
export interface FineTuningOptions {
  /**
   * The system message of every record: a string replaces the run's, `null` leaves it out
   * (to teach the behaviour without the prompt).
   * @default the system message the trajectory was sampled with, if any
   */
  readonly system?: string | null;
}

/**
 * Turns scored trajectories into chat fine-tuning records: the system message,
 * then the task's own turns (every turn of a multi-turn episode), ending with
 * the model's answer. The few-shot examples folded into the prompt are left
 * out: fine-tuning should teach the model to answer without them. Failed
 * trajectories, and any not ending with an assistant turn, are skipped.
 * @example
 * const records = fineTuningRecords(run.examples);
 */
export function fineTuningRecords(
  trajectories: readonly Trajectory<unknown, unknown, unknown>[],
  options: FineTuningOptions = {},
): FineTuningRecord[] {
  if (!Array.isArray(trajectories as unknown)) throw new ConfigError('trajectories', trajectories, 'an array of trajectories');
  const system = options.system;
  if (system !== undefined && system !== null && typeof system !== 'string') {
    throw new ConfigError('system', system, 'a string, or null to leave the system message out');
  }
  const records: FineTuningRecord[] = [];
  for (const trajectory of trajectories) {
    if (!trajectory.ok || trajectory.turns.at(-1)?.role !== 'assistant') continue;
    const own = trajectory.prompt.filter((message, index) => message.role === 'system' && index === 0);
    const head: Message[] = system === null ? [] : system === undefined ? own : [{ role: 'system', content: system }];
    records.push({ messages: [...head, ...trajectory.turns.map(({ role, content }) => ({ role, content }))] });
  }
  return records;
}

/** What a write produced. */
export interface ExportSummary {
  readonly path: string;
  /** Lines written. */
  readonly records: number;
  /** Trajectories left out (failed, or not ending with an assistant turn). */
  readonly skipped: number;
}

/**
 * Writes trajectories (e.g. a run's kept `examples`, or any filtered set) as an
 * OpenAI chat fine-tuning JSONL file, one `{ "messages": [...] }` per line.
 * Parent directories are created; the file is replaced whole.
 * @example
 * await writeFineTuningJsonl('out/train.jsonl', run.trajectories.filter((t) => t.ok && t.reward >= 1));
 */
export async function writeFineTuningJsonl(
  path: string,
  trajectories: readonly Trajectory<unknown, unknown, unknown>[],
  options: FineTuningOptions = {},
): Promise<ExportSummary> {
  const records = fineTuningRecords(trajectories, options);
  await writeLines(path, records);
  return { path, records: records.length, skipped: trajectories.length - records.length };
}

/**
 * Writes trajectories as plain JSONL, one per line, failed ones included (their
 * failure as `{ stage, message }`). Parent directories are created.
 */
export async function writeTrajectoriesJsonl(
  path: string,
  trajectories: readonly Trajectory<unknown, unknown, unknown>[],
): Promise<ExportSummary> {
  if (!Array.isArray(trajectories as unknown)) throw new ConfigError('trajectories', trajectories, 'an array of trajectories');
  const lines = trajectories.map((trajectory) =>
    trajectory.ok ? trajectory : { ...trajectory, failure: { stage: trajectory.failure.stage, message: trajectory.failure.message } },
  );
  await writeLines(path, lines);
  return { path, records: lines.length, skipped: 0 };
}

async function writeLines(path: string, values: readonly unknown[]): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new ConfigError('path', path, 'a file path');
  await mkdir(dirname(path), { recursive: true });
  // Written beside the target, then renamed: a crash never leaves half a file.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, values.map((value) => `${JSON.stringify(value)}\n`).join(''));
  await rename(temporary, path);
}
