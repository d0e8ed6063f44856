import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, ComparisonError, loadRun, pairedDifference } from 'pauper';
import type { RunSummary } from 'pauper';
import { journaledRun, tasks } from '../fixtures/report-runs.js';

let directory: string;
let baseline: RunSummary;
let better: RunSummary;
let again: RunSummary;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-compare-'));
  [baseline, better, again] = await Promise.all([
    journaledRun(directory, 'baseline', false).then((path) => loadRun(path)),
    journaledRun(directory, 'better', true).then((path) => loadRun(path)),
    journaledRun(directory, 'again', false).then((path) => loadRun(path)),
  ]);
});

describe('compareRuns', () => {
  it('finds a run that does better on every task significantly better, with a positive difference', () => {
    const comparison = compareRuns([baseline, better]);
    expect(comparison.split).toBe('eval');
    expect(comparison.tasks).toEqual({ by: 'index', shared: 4, perRun: [4, 4] });
    expect(comparison.iterations.map((iteration) => iteration.iteration)).toEqual([0, 1, 2]);
    for (const { cells } of comparison.iterations) {
      const difference = cells[1]!.difference!;
      expect(cells[0]!.difference).toBeNull();
      expect(difference.significant).toBe(true);
      expect(difference.mean).toBeGreaterThan(0);
      expect(difference.low).toBeGreaterThan(0);
      expect(difference.pairs).toBe(4);
      expect(cells[1]!.mean! - cells[0]!.mean!).toBeCloseTo(difference.mean, 12);
    }
  });

  it('finds two runs with the same seed 0 apart and not significant', () => {
    const comparison = compareRuns([baseline, again], { split: 'train' });
    for (const { cells } of comparison.iterations) {
      expect(cells[1]!.difference).toEqual({ mean: 0, low: 0, high: 0, pairs: 6, significant: false });
      expect(cells[1]!.mean).toBe(cells[0]!.mean);
    }
  });

  it("gives the same differences as pairedDifference over the runs' task means", () => {
    const comparison = compareRuns([baseline, better], { split: 'train' });
    comparison.iterations.forEach((iteration, position) => {
      const expected = pairedDifference(baseline.iterations[position]!.train.taskMeans, better.iterations[position]!.train.taskMeans);
      expect(iteration.cells[1]!.difference).toEqual(expected);
    });
  });

  it('puts cost per run, and cost per point of reward gained from the first iteration to the last', () => {
    const [first, second] = compareRuns([baseline, better]).runs;
    expect(first).toMatchObject({ path: baseline.path, provider: 'function', model: 'baseline', costUsd: baseline.costUsd, ended: true, stopped: null });
    expect(second!.costUsd).toBe(better.costUsd);
    expect(first!.costUsd).toBeGreaterThan(0);
    for (const run of [first!, second!]) {
      if (run.gain !== null && run.gain > 0) expect(run.costPerPoint).toBeCloseTo(run.costUsd! / run.gain, 12);
      else expect(run.costPerPoint).toBeNull();
    }
  });

  it('compares each run with the first when given more than two', () => {
    const comparison = compareRuns([baseline, better, again]);
    const last = comparison.iterations.at(-1)!.cells;
    expect(last[1]!.difference!.significant).toBe(true);
    expect(last[2]!.difference!.mean).toBe(0);
  });

  it('compares runs on different task lists on the tasks they share by id, and says how many', async () => {
    const other = await loadRun(await journaledRun(directory, 'other', true, { evalTasks: tasks(['h3', 'x', 'h1']) }));
    const comparison = compareRuns([baseline, other]);
    expect(comparison.tasks).toEqual({ by: 'id', shared: 2, perRun: [4, 3] });
    // h1 and h3 are the baseline's tasks 1 and 3: the pairs are those tasks in both runs.
    const difference = comparison.iterations[0]!.cells[1]!.difference!;
    expect(difference.pairs).toBe(2);
    const expected = [1, 3].map((task, position) => other.iterations[0]!.eval!.taskMeans.get(position === 0 ? 2 : 0)! - baseline.iterations[0]!.eval!.taskMeans.get(task)!);
    expect(difference.mean).toBeCloseTo((expected[0]! + expected[1]!) / 2, 12);
  });

  it('refuses runs that share no task, and task lists that differ without ids to match by', async () => {
    const disjoint = await loadRun(await journaledRun(directory, 'disjoint', false, { evalTasks: tasks(['y', 'z']) }));
    expect(() => compareRuns([baseline, disjoint])).toThrow(ComparisonError);
    expect(() => compareRuns([baseline, disjoint])).toThrow(/share no held-out task/);
    const anonymous = { ...baseline, options: { ...baseline.options, evalTasks: 'another list' }, tasks: { train: baseline.tasks.train, eval: ['eval/0', 'eval/1'] } };
    const anonymousToo = { ...anonymous, options: { ...anonymous.options, evalTasks: 'a third list' } };
    expect(() => compareRuns([anonymous, anonymousToo])).toThrow(/no ids to match them by/);
  });

  it('refuses a split a run does not have, and fewer than two runs', async () => {
    const trainOnly = await loadRun(await journaledRun(directory, 'train-only', false, { evalTasks: [] }));
    expect(compareRuns([baseline, trainOnly]).split).toBe('train');
    expect(() => compareRuns([baseline, trainOnly], { split: 'eval' })).toThrow(/has no held-out tasks/);
    expect(() => compareRuns([baseline])).toThrow(/two runs or more/);
  });
});
