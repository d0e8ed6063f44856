import { mkdtemp, readFile, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { iterate, JournalError, readJournal } from 'pauper';
import { deterministic, options } from '../fixtures/journal-run.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-'));
});

describe('journal: reading', () => {
  it('reports the line number of a bad line with a typed error', async () => {
    const path = join(directory, 'bad.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[3] = '{"v":1,"type":"sample","id":42}';
    await writeFile(path, lines.join('\n'));
    const error = await readJournal(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ line: 4, path });
    expect((error as Error).message).toMatch(/bad\.jsonl:4: not a valid record/);

    lines[3] = '{"v":1,"type":';
    await writeFile(path, lines.join('\n'));
    await expect(readJournal(path)).rejects.toMatchObject({ line: 4, message: expect.stringMatching(/not valid JSON/) });
  });

  it('skips a partial last line with a returned warning', async () => {
    const path = join(directory, 'partial.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const complete = await readJournal(path);
    await appendFile(path, '{"v":1,"type":"sample","id":"train/0/0');
    const journal = await readJournal(path);
    expect(journal.records).toEqual(complete.records);
    expect(journal.warnings).toHaveLength(1);
    expect(journal.warnings[0]).toMatch(/partial last line/);
  });

  it('refuses a journal written by a newer schema version', async () => {
    const path = join(directory, 'future.jsonl');
    await writeFile(path, '{"v":2,"type":"run-start"}\n');
    await expect(readJournal(path)).rejects.toThrow(/version 2 is newer/);
  });
});
