import { mkdtemp, readFile, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { iterate, JournalError, journalVersion, readJournal } from 'pauper';
import { loadJournal } from '../../src/journal/read.js';
import { deterministic, options } from '../fixtures/journal-run.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-'));
});

describe('journal: reading', () => {
  it('keeps no completion record for a reader of samples, and gives the same whole samples', async () => {
    const path = join(directory, 'samples-only.jsonl');
    await iterate(options(deterministic(), { journal: path }));
    const whole = await readJournal(path);
    expect(whole.completions.size).toBeGreaterThan(0);

    const { journal } = await loadJournal(path, { completions: false });
    expect(journal.completions.size).toBe(0);
    expect(journal.records.some((record) => record.type === 'completion')).toBe(false);
    expect([...journal.samples.values()]).toEqual([...whole.samples.values()]);
    expect(journal.records).toEqual(whole.records.filter((record) => record.type !== 'completion'));
  });

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

  it('names the line of a sample whose text is left to a completion record the journal lacks', async () => {
    const path = join(directory, 'no-completion.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const lines = (await readFile(path, 'utf8')).split('\n');
    const completion = lines.findIndex((line) => line.includes('"type":"completion"') && line.includes('"id":"train/0/0/0"'));
    lines.splice(completion, 1);
    await writeFile(path, lines.join('\n'));
    const line = lines.findIndex((text) => text.includes('"type":"sample"') && text.includes('"id":"train/0/0/0"')) + 1;
    await expect(readJournal(path)).rejects.toMatchObject({
      name: 'JournalError',
      line,
      message: expect.stringMatching(/sample train\/0\/0\/0 leaves its text to its completion record, and no completion record of it comes before/),
    });
  });

  it('refuses a journal written by a newer schema version', async () => {
    const path = join(directory, 'future.jsonl');
    await writeFile(path, `{"v":${journalVersion + 1},"type":"run-start"}\n`);
    await expect(readJournal(path)).rejects.toThrow(new RegExp(`version ${journalVersion + 1} is newer`));
  });
});
