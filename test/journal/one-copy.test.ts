import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { v010Options, v010Provider } from '../fixtures/v010-run.js';
import type { SampleRequest } from 'pauper';
import { iterate, journalVersion, memoryCache, readJournal, scripted } from 'pauper';
import { canonical } from '../fixtures/canonical.js';
import { lastUser, options, reward } from '../fixtures/journal-run.js';

// A journal stores each single-shot output once: in its completion record. The sample record
// leaves its text and final assistant turn to it, and the reader puts them back.

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-'));
});

/** A distinctive output per sample (no one a part of another), of a realistic length; `reward` reads its seed digits. */
const marker = (request: SampleRequest, index: number): string => `<${lastUser(request)}:${(request.seed ?? 0) % 1000}:${index}>`;
const distinctive = () =>
  scripted((request, { index }) => `${marker(request, index)} ${'the quick brown fox jumps over the lazy dog. '.repeat(20)}`);

/** Lines of the journal at `path`, parsed, but the prompts: later prompts show kept samples as examples, the model's input. */
async function recordLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '' && !line.includes('"type":"prompt"'));
}

/** How many times `text` occurs in `lines`. */
function occurrences(lines: readonly string[], text: string): number {
  return lines.reduce((count, line) => count + line.split(text).length - 1, 0);
}

describe('journal: one copy of each text', () => {
  it("holds each single-shot sample's text once, and reads every sample back whole", async () => {
    const path = join(directory, 'run.jsonl');
    const run = await iterate(options(distinctive(), { journal: path, reward: (sample) => reward({ text: sample.text.split(' ')[0]!.slice(1, -1) }) }));
    const lines = await recordLines(path);
    const journal = await readJournal(path);

    expect(run.trajectories.length).toBe(3 * 4 * 3);
    for (const trajectory of run.trajectories) {
      expect(occurrences(lines, trajectory.text.split(' ')[0]!)).toBe(1);
      expect(journal.samples.get(trajectory.id)).toMatchObject({ text: trajectory.text, turns: trajectory.turns });
    }
    // `records` holds the same whole samples.
    const sampleRecords = journal.records.filter((record) => record.type === 'sample');
    expect(sampleRecords).toEqual([...journal.samples.values()]);
  });

  it('keeps the text of a sample without a completion record, a cache hit, in its own record', async () => {
    const cache = memoryCache();
    await iterate(options(distinctive(), { cache, iterations: 0 }));
    const path = join(directory, 'cached.jsonl');
    const run = await iterate(options(distinctive(), { cache, iterations: 0, journal: path }));
    const lines = await recordLines(path);
    const journal = await readJournal(path);

    expect(journal.completions.size).toBe(0);
    for (const trajectory of run.trajectories) {
      // The sample record's `text` and its assistant turn.
      expect(occurrences(lines, trajectory.text.split(' ')[0]!)).toBe(2);
      expect(journal.samples.get(trajectory.id)).toMatchObject({ text: trajectory.text, turns: trajectory.turns });
    }
  });

  it('resumes a crashed run to the result of an uninterrupted one, and a finished one without a request', async () => {
    const full = join(directory, 'full.jsonl');
    const reference = await iterate(options(distinctive(), { journal: full }));
    const lines = (await readFile(full, 'utf8')).split('\n');
    const crashed = join(directory, 'crashed.jsonl');
    await writeFile(crashed, `${lines.slice(0, Math.floor(lines.length / 2)).join('\n')}\n`);

    const again = distinctive();
    expect(canonical(await iterate(options(again, { journal: crashed, resume: true })))).toEqual(canonical(reference));
    expect(again.calls.length).toBeGreaterThan(0);
    const none = distinctive();
    const finished = await iterate(options(none, { journal: full, resume: true }));
    expect(none.calls).toHaveLength(0);
    expect(canonical(finished)).toEqual(canonical(reference));
  });

  it('resumes a version-1 journal, appending version-2 samples that read back whole', async () => {
    const path = join(directory, 'v0.1.0.jsonl');
    await copyFile(fileURLToPath(new URL('../fixtures/journals/v0.1.0.jsonl', import.meta.url)), path);
    // A crash after the last completions, before their samples were scored.
    const lines = (await readFile(path, 'utf8')).split('\n');
    await writeFile(path, `${lines.slice(0, 41).join('\n')}\n`);

    const provider = v010Provider();
    const run = await iterate(v010Options(provider, path));
    expect(provider.calls).toHaveLength(0);
    expect(run.resumed).toMatchObject({ restored: 18, rescored: 3 });

    const appended = (await readFile(path, 'utf8')).split('\n').slice(41).filter((line) => line.includes('"type":"sample"'));
    expect(appended).toHaveLength(3);
    for (const line of appended) {
      expect(JSON.parse(line)).toMatchObject({ v: journalVersion, turns: [{ role: 'user', content: 'held out' }] });
      expect(JSON.parse(line)).not.toHaveProperty('text');
    }
    const journal = await readJournal(path);
    expect(journal.samples.get('eval/1/0/2')).toMatchObject({
      v: journalVersion,
      text: 'answer 1441176028 5',
      turns: [{ role: 'user', content: 'held out' }, { role: 'assistant', content: 'answer 1441176028 5' }],
    });
    expect(journal.samples.get('train/1/1/2')).toMatchObject({ v: 1, text: 'answer 1088338960 5' });
  });
});
