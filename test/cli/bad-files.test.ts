import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pauper, type BinRun } from '../fixtures/cli.js';
import { journaledRun } from '../fixtures/report-runs.js';

let directory: string;
let journal: string;
const bad: Record<string, string> = {};
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-cli-files-'));
  journal = await journaledRun(directory, 'good', false);
  bad['a missing path'] = join(directory, 'missing.jsonl');
  bad['an empty file'] = join(directory, 'empty.jsonl');
  await writeFile(bad['an empty file'], '');
  bad['a directory'] = join(directory, 'folder');
  await mkdir(bad['a directory']);
  bad['a file of random text'] = join(directory, 'notes.txt');
  await writeFile(bad['a file of random text'], 'Dear diary,\ntoday the maze had eleven coins.\n');
  bad['a JSON file that is not a journal'] = join(directory, 'package.json');
  await writeFile(bad['a JSON file that is not a journal'], '{"name":"something","version":"1.0.0"}\n');
});

const kinds = ['a missing path', 'an empty file', 'a directory', 'a file of random text', 'a JSON file that is not a journal'];
const commands = {
  summary: (path: string) => pauper('summary', path),
  compare: (path: string) => pauper('compare', journal, path),
};

// Each case is one run of the bin; they run at once, so the file stays quick.
const results = new Map<string, BinRun>();
beforeAll(async () => {
  const cases = Object.entries(commands).flatMap(([name, run]) => kinds.map((kind) => [`${name} ${kind}`, run(bad[kind]!)] as const));
  for (const [key, result] of await Promise.all(cases.map(async ([key, result]) => [key, await result] as const))) results.set(key, result);
});

describe.each(Object.keys(commands))('pauper %s given a file that is no journal', (name) => {
  it.each(kinds)(
    'prints one line naming %s on stderr and exits 1, without a stack trace',
    (kind) => {
      const path = bad[kind]!;
      const result = results.get(`${name} ${kind}`)!;
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(path);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );
});

describe.each(Object.entries(commands))('pauper %s given a journal with a damaged last line', (name, run) => {
  it('works, and notes the skipped line', async () => {
    const damaged = join(directory, `damaged-${name}.jsonl`);
    await writeFile(damaged, `${await readFile(journal, 'utf8')}{"v":2,"type":"samp`);
    const result = await run(damaged);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(name === 'summary' ? /iter {2}train/ : /B - A/);
    expect(`${result.stdout}${result.stderr}`).toMatch(/note: .*skipped a partial last line/);
  });
});
