import { constants } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { JournalError } from './errors.js';

/** What `eachLine` read: its complete lines, their bytes, and the bytes after the last newline. */
export interface LinesRead {
  readonly lines: number;
  readonly completeBytes: number;
  readonly partialBytes: number;
}

/**
 * The most bytes a line can have and still decode to a string: UTF-8 spends at most three bytes
 * per UTF-16 code unit. A longer one is refused before it is gathered, so a damaged file without
 * newlines cannot exhaust memory.
 */
const maxLineBytes = 3 * constants.MAX_STRING_LENGTH;

/**
 * Calls `onLine` with each complete line of a file (its text, without the newline, and its
 * 1-based number) as the file streams in. Lines are split on 0x0a in Buffers and decoded one at
 * a time: the file is never one string, so a journal longer than a string can hold reads back.
 * A line too long for a string is a `JournalError` naming it.
 */
export async function eachLine(path: string, onLine: (text: string, line: number) => void): Promise<LinesRead> {
  const batches = lineBatches(path);
  for (let next = await batches.next(); ; next = await batches.next()) {
    if (next.done === true) return next.value;
    for (const [text, line] of next.value) onLine(text, line);
  }
}

/**
 * The complete lines of a file as `eachLine` reads them, one batch per chunk read (about 1 MiB
 * of lines): for a reader that pauses between lines, such as an async generator, so the file
 * is read only as fast as the lines are taken. Returns what `eachLine` returns.
 */
export async function* lineBatches(path: string): AsyncGenerator<readonly (readonly [text: string, line: number])[], LinesRead, undefined> {
  let pending: Buffer[] = [];
  let partialBytes = 0;
  let lines = 0;
  let completeBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    const batch: [string, number][] = [];
    let from = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, from)) {
      const tail = chunk.subarray(from, newline);
      lines++;
      batch.push([decode(path, lines, pending.length === 0 ? tail : Buffer.concat([...pending, tail])), lines]);
      completeBytes += partialBytes + tail.length + 1;
      pending = [];
      partialBytes = 0;
      from = newline + 1;
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      partialBytes += chunk.length - from;
      if (partialBytes > maxLineBytes) throw tooLong(path, lines + 1, `over ${maxLineBytes} bytes`);
    }
    if (batch.length > 0) yield batch;
  }
  return { lines, completeBytes, partialBytes };
}

/** A line's bytes as text; a `JournalError` naming the line when it is longer than a string can hold. */
function decode(path: string, line: number, bytes: Buffer): string {
  try {
    return bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STRING_TOO_LONG') throw error;
    throw tooLong(path, line, `${bytes.length} bytes`, error);
  }
}

/** A line no string can hold: pauper never writes one (it writes each record as one string), so the file is damaged or not a journal. */
function tooLong(path: string, line: number, size: string, cause?: unknown): JournalError {
  return new JournalError(
    path,
    line,
    `this line (${size}) is longer than a string can hold (${constants.MAX_STRING_LENGTH} characters), so it cannot be read. ` +
      'pauper writes no such line: the file is damaged or not a journal. Remove the line, or start a new journal.',
    { cause },
  );
}
