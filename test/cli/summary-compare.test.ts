import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, loadRun } from 'pauper';
import { pauper } from '../fixtures/cli.js';
import { journaledRun, tasks } from '../fixtures/report-runs.js';

let directory: string;
let baseline: string;
let better: string;
let again: string;
let disjoint: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-cli-'));
  [baseline, better, again, disjoint] = await Promise.all([
    journaledRun(directory, 'baseline', false),
    journaledRun(directory, 'better', true),
    journaledRun(directory, 'again', false),
    journaledRun(directory, 'disjoint', false, { evalTasks: tasks(['y', 'z']) }),
  ]);
});

describe('pauper summary', () => {
  it('prints with --json the numbers loadRun gives, unrounded', async () => {
    const result = await pauper('summary', better, '--json');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout) as { provider: string; costUsd: number; iterations: { train: { mean: number; band: unknown; taskMeans: Record<string, number> }; eval: { mean: number }; cumulative: unknown }[] };
    const run = await loadRun(better);
    expect(printed).toMatchObject({ provider: run.provider, model: run.model, costUsd: run.costUsd, status: 'finished: 3 iterations' });
    run.iterations.forEach((iteration, position) => {
      const json = printed.iterations[position]!;
      expect(json.train.mean).toBe(iteration.train.mean);
      expect(json.train.band).toEqual(iteration.train.band);
      expect(json.train.taskMeans).toEqual(Object.fromEntries([...iteration.train.taskMeans].map(([task, mean]) => [String(task), mean])));
      expect(json.eval.mean).toBe(iteration.eval!.mean);
      expect(json.cumulative).toEqual(iteration.cumulative);
    });
  });
});

describe('pauper compare', () => {
  it('prints each run\'s mean and the difference with its interval as compareRuns gives them, a better run marked significant', async () => {
    const result = await pauper('compare', baseline, better);
    expect(result.status).toBe(0);
    const comparison = compareRuns([await loadRun(baseline), await loadRun(better)]);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Comparing 2 runs on 4 held-out tasks (same task lists, paired by index); B against A, the baseline.');
    const header = lines.findIndex((line) => line.startsWith('iter'));
    comparison.iterations.forEach((iteration, position) => {
      const row = lines[header + 1 + position]!;
      const [a, b] = iteration.cells;
      const numbers = (row.match(/[-+]?\d+\.\d+/g) ?? []).map(Number);
      expect(numbers).toHaveLength(5);
      [a!.mean!, b!.mean!, b!.difference!.mean, b!.difference!.low, b!.difference!.high].forEach((value, index) => expect(numbers[index]).toBeCloseTo(value, 3));
      expect(b!.difference!.significant).toBe(true);
      expect(row.endsWith(' *')).toBe(true);
    });
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('finds two runs with the same seed 0 apart, nothing marked significant', async () => {
    const result = await pauper('compare', baseline, again, '--split', 'train');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('on 6 train tasks');
    const rows = result.stdout.split('\n').filter((line) => /^\s+\d+\s/.test(line));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/\+0\.000 {2}\[\+0\.000, \+0\.000\]$/);
  });

  it('prints with --json what compareRuns returns', async () => {
    const result = await pauper('compare', baseline, better, again, '--json', '--split', 'train');
    expect(result.status).toBe(0);
    const runs = await Promise.all([baseline, better, again].map((path) => loadRun(path)));
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(compareRuns(runs, { split: 'train' }))));
  });

  it('writes the comparison as HTML with --html, never over one of the journals', async () => {
    const html = join(directory, 'compare.html');
    const result = await pauper('compare', baseline, better, '--html', html);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^Wrote .*compare\.html \(\d+ KB\)\. Open it in a browser: file:\/\//);
    const page = await readFile(html, 'utf8');
    expect(page).toContain('<title>pauper compare: baseline.jsonl vs better.jsonl</title>');
    const refused = await pauper('compare', baseline, better, '--html', better);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/is one of the journals/);
    expect((await loadRun(better)).ended).toBe(true);
  });

  it('refuses, in one line with exit code 1, runs that share no task; and a split that is neither train nor eval with exit code 2', async () => {
    const none = await pauper('compare', baseline, disjoint);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe('pauper compare: the runs share no held-out task (matched by id): there is nothing to compare them on.\n');
    const split = await pauper('compare', baseline, better, '--split', 'test');
    expect(split.status).toBe(2);
    expect(split.stderr).toMatch(/^pauper compare: --split takes train or eval, got 'test'\. See pauper compare --help\.\n$/);
  });
});
