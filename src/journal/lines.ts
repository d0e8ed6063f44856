import { constants } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
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
 * Calls `onLine` with each complete line of a file (its text, without the newline, its 1-based
 * number, the byte offset it starts at and its length in bytes) as the file streams in. Lines
 * are split on 0x0a in Buffers and decoded one at a time: the file is never one string, so a
 * journal longer than a string can hold reads back. A line too long for a string is a
 * `JournalError` naming it.
 */
export async function eachLine(path: string, onLine: (text: string, line: number, offset: number, bytes: number) => void): Promise<LinesRead> {
  const batches = lineBatches(path);
  for (let next = await batches.next(); ; next = await batches.next()) {
    if (next.done === true) return next.value;
    for (const [text, line, offset, bytes] of next.value) onLine(text, line, offset, bytes);
  }
}

/**
 * The complete lines of a file as `eachLine` reads them, one batch per chunk read (about 1 MiB
 * of lines): for a reader that pauses between lines, such as an async generator, so the file
 * is read only as fast as the lines are taken. Returns what `eachLine` returns.
 */
export async function* lineBatches(path: string): AsyncGenerator<readonly (readonly [text: string, line: number, offset: number, bytes: number])[], LinesRead, undefined> {
  let pending: Buffer[] = [];
  let partialBytes = 0;
  let lines = 0;
  let completeBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    const batch: [string, number, number, number][] = [];
    let from = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, from)) {
      const tail = chunk.subarray(from, newline);
      lines++;
      batch.push([decode(path, lines, pending.length === 0 ? tail : Buffer.concat([...pending, tail])), lines, completeBytes, partialBytes + tail.length]);
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

/**
 * Runs of whole lines in a file, as flat triples: the byte offset a run starts at, where its last
 * line ends (before its newline), and the 1-based number of its first line.
 */
export type LineRuns = readonly number[];

/** The most bytes `eachLineIn` reads at once, unless one line is longer. */
const windowBytes = 4 * 1024 * 1024;

/**
 * Calls `onLine` with each line of the runs `runs` names, in their order, reading them by
 * position: runs close together are read in one window of at most 4 MiB (a longer line alone),
 * so only the runs asked for are held, never the file.
 */
export async function eachLineIn(path: string, runs: LineRuns, onLine: (text: string, line: number) => void): Promise<void> {
  if (runs.length === 0) return;
  const file = await open(path, 'r');
  try {
    for (let first = 0; first < runs.length; ) {
      const start = runs[first] ?? 0;
      let last = first;
      while (last + 3 < runs.length && (runs[last + 4] ?? 0) - start <= windowBytes) last += 3;
      const end = runs[last + 1] ?? 0;
      const window = Buffer.allocUnsafe(end - start);
      for (let filled = 0; filled < window.length; ) {
        const { bytesRead } = await file.read(window, filled, window.length - filled, start + filled);
        if (bytesRead === 0) throw new JournalError(path, runs[first + 2], 'the file is shorter than when it was read: another process changed it. Resume again.');
        filled += bytesRead;
      }
      for (let run = first; run <= last; run += 3) {
        let line = runs[run + 2] ?? 0;
        let from = (runs[run] ?? 0) - start;
        const to = (runs[run + 1] ?? 0) - start;
        for (let newline = window.indexOf(0x0a, from); ; newline = window.indexOf(0x0a, from)) {
          const stop = newline === -1 || newline > to ? to : newline;
          onLine(decode(path, line, window.subarray(from, stop)), line);
          if (stop === to) break;
          line++;
          from = stop + 1;
        }
      }
      first = last + 3;
    }
  } finally {
    await file.close();
  }
}
