import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { compiled } from '../children.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('examples/teacher-student.ts runs offline and the student\'s held-out curve rises on the teacher\'s examples', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [compiled('examples/teacher-student.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
    timeout: 30_000,
  });
  const rows = stdout
    .split('\n')
    .map((line) => /^\s+(\d+)\s+(-?[\d.]+)\s+(-?[\d.]+)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ iteration: Number(match[1]), teacher: Number(match[2]), student: Number(match[3]) }));
  expect(rows.map((row) => row.iteration)).toEqual([0, 1, 2, 3]);
  const [baseline, ...later] = rows;
  for (const row of later) expect(row.student).toBeGreaterThan((baseline?.student ?? 0) + 0.2);
  expect(stdout).toMatch(/teacher {2}solver\/random-search-4000: 96 samples, \$0\.9600/);
  expect(stdout).toMatch(/student {2}in-context-learner\/ngram-student: 64 samples/);
  expect(stdout).toMatch(/embedder hashed-ngrams\/n3-d1024: 10 texts embedded/);
});
