import { z } from 'zod';
import { JournalError } from './errors.js';
import { journalVersion, recordSchema } from './records.js';
import type { JournalCompletion, JournalSample, StoredRecord, StoredSample } from './records.js';

// One journal line as a record: validated, made whole, and kept compactly.

/**
 * A function that makes a record share the values that repeat across records: the prompt hash and task id
 * strings, and a usage equal to one seen before (records are read back, never changed).
 */
export function sharing(): (record: { promptHash: string; taskId?: string; usage: JournalSample['usage'] }) => void {
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
  if (completion === undefined) throw textMissing(path, line, record.id);
  // `concat`, not a spread: a spread leaves 19 slots of room behind two turns.
  return sampleOf(record, completion.text, record.turns.concat({ role: 'assistant', content: completion.text }));
}

/** A sample record at `line` that leaves its text to a completion record no line before holds. */
export function textMissing(path: string, line: number, id: string): JournalError {
  return new JournalError(
    path,
    line,
    `sample ${id} leaves its text to its completion record, and no completion record of it comes before. ` +
      'The journal was edited or damaged: remove this line (a resumed run samples it again), or start a new journal.',
  );
}

/**
 * A completion record as a literal of one shape: the validator builds it by assignment, past the
 * room an object has for its own fields (about 110 bytes more a record).
 */
export function completionOf(record: JournalCompletion): JournalCompletion {
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
