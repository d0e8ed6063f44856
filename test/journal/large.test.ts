import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { constants } from 'node:buffer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { iterate, JournalError, readJournal } from 'pauper';
import { deterministic, options } from '../fixtures/journal-run.js';

// Journals longer than a JavaScript string can hold (constants.MAX_STRING_LENGTH, about 512 MiB):
// written by a long run without error, they must read back and resume.

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-large-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Writes `lines` to `path` through a stream, waiting whenever it is full: the file is never one string. */
async function writeLines(path: string, lines: Iterable<string | Buffer>): Promise<number> {
  const stream = createWriteStream(path);
  for (const line of lines) {
    if (!stream.write(line)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
  return stream.bytesWritten;
}

const marker = '\u0000filler\u0000';

/**
 * A record line with every output text (`text`, and the assistant turn holding it) lengthened
 * by `filler`: as pieces, the filler one shared Buffer, so no long string is built or escaped.
 */
function lengthened(line: string, filler: Buffer): Buffer[] {
  const record = JSON.parse(line) as { text?: string; turns?: { role: string; content: string }[] | undefined };
  if (typeof record.text !== 'string') return [Buffer.from(`${line}\n`)];
  const text = record.text;
  record.text = text + marker;
  record.turns = record.turns?.map((turn) => (turn.role === 'assistant' && turn.content === text ? { ...turn, content: text + marker } : turn));
  const pieces = `${JSON.stringify(record)}\n`.split(JSON.stringify(marker).slice(1, -1));
  return pieces.flatMap((piece, index) => (index === 0 ? [Buffer.from(piece)] : [filler, Buffer.from(piece)]));
}

describe('journal: reading past the length of a string', () => {
  // Writes and reads over 512 MiB twice: seconds alone, more beside other test files.
  it('reads a journal over 512 MiB, and resumes its run without a request', { timeout: 120_000 }, async () => {
    const small = join(directory, 'small.jsonl');
    const settings = { iterations: 0, samples: 60, evalTasks: [] };
    await iterate(options(deterministic(), { ...settings, journal: small }));
    const lines = (await readFile(small, 'utf8')).split('\n').filter((line) => line !== '');
    // Each output text gets the same share of the target size, however many times the layout stores it.
    const texts = lines.reduce((sum, line) => sum + lengthened(line, Buffer.alloc(0)).length - 1, 0) / 2;
    const filler = Buffer.alloc(Math.ceil((constants.MAX_STRING_LENGTH + 2 ** 20) / texts), 'x');

    const path = join(directory, 'large.jsonl');
    const bytes = await writeLines(path, lines.flatMap((line) => lengthened(line, filler)));
    expect(bytes).toBeGreaterThan(constants.MAX_STRING_LENGTH);

    const journal = await readJournal(path);
    expect(journal.samples.size).toBe(3 * 60);
    expect(journal.samples.get('train/0/2/59')?.text).toMatch(/^c:\d+:\d+x+$/);
    expect(journal.samples.get('train/0/2/59')?.text.length).toBeGreaterThan(filler.length);

    const provider = deterministic();
    const run = await iterate(options(provider, { ...settings, journal: path, resume: true }));
    expect(provider.calls).toHaveLength(0);
    expect(run.resumed?.restored).toBe(3 * 60);
    const tail = filler.toString('latin1');
    expect(run.trajectories.every((trajectory) => trajectory.text.endsWith(tail))).toBe(true);
  });

  it('names the line when one line is longer than a string can hold', { timeout: 120_000 }, async () => {
    const small = join(directory, 'small.jsonl');
    await iterate(options(deterministic(), { iterations: 0, samples: 1, evalTasks: [], journal: small }));
    const [start] = (await readFile(small, 'utf8')).split('\n');
    const path = join(directory, 'long-line.jsonl');
    const chunk = Buffer.alloc(2 ** 24, 'x');
    const chunks = Math.ceil((constants.MAX_STRING_LENGTH + 1) / chunk.length);
    await writeLines(path, [`${start}\n`, ...Array.from({ length: chunks }, () => chunk), '\n']);

    const error = await readJournal(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ path, line: 2 });
    expect((error as Error).message).toMatch(/long-line\.jsonl:2: .*longer than a string can hold/);
  });
});
