import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fromFunction, iterate, JournalError } from 'pauper';
import { loadRun } from '../../src/report/runs.js';
import { deterministic, lastUser, options } from '../fixtures/journal-run.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-report-'));
});

describe('a journaled run, summarised', () => {
  it("gives each iteration's statistics, usage and cost as the run itself reported them", async () => {
    const path = join(directory, 'run.jsonl');
    // Billed per call, so the costs compared below are not all zero.
    const provider = fromFunction((request) => `${lastUser(request)}:${(request.seed ?? 0) % 1000}`, { costPerCall: 0.0013 });
    const result = await iterate({ ...options(deterministic(), { journal: path }), provider });
    const run = await loadRun(path);
    expect(run).toMatchObject({ entry: 'iterate', provider: provider.name, model: provider.model, seed: 7, ended: true, stopped: undefined });
    expect(result.costUsd).toBeGreaterThan(0);
    expect(run.iterations).toHaveLength(result.iterations.length);
    result.iterations.forEach((reported, position) => {
      const summary = run.iterations[position]!;
      const { usage: _usage, costUsd: _cost, wallTimeMs: _wall, ...trainStats } = reported.train;
      expect(summary).toMatchObject({ iteration: reported.iteration, complete: true, usage: reported.usage, costUsd: reported.costUsd });
      expect(summary.train).toMatchObject(trainStats);
      expect(summary.eval).toMatchObject({ mean: reported.eval!.mean, samples: reported.eval!.samples });
      expect(summary.kept).toEqual(reported.kept.map((example) => example.id));
      // The band is over task means: it holds the mean of those means.
      const taskMeans = [...summary.train.taskMeans.values()];
      const meanOfTasks = taskMeans.reduce((sum, value) => sum + value, 0) / taskMeans.length;
      expect(summary.train.band!.mean).toBeCloseTo(meanOfTasks, 12);
      expect(summary.train.band!.low).toBeLessThanOrEqual(meanOfTasks);
      expect(summary.train.band!.high).toBeGreaterThanOrEqual(meanOfTasks);
    });
    expect(run.iterations.at(-1)!.cumulative).toEqual({ usage: result.usage, costUsd: result.costUsd });
    expect(run.costUsd).toBe(result.costUsd);
  });

  it('summarises a run still being written: the unfinished iteration shows what it has, a partial line is skipped', async () => {
    const path = join(directory, 'full.jsonl');
    await iterate(options(deterministic(), { journal: path }));
    const lines = (await readFile(path, 'utf8')).split('\n');
    const isSample = (line: string, taskIndex: number) => line.includes('"type":"sample"') && line.includes(`"id":"train/1/${taskIndex}/`);
    // Cut after iteration 1's first task's samples, before its second's.
    const cut = lines.findIndex((line) => isSample(line, 1));
    expect(lines.slice(0, cut).some((line) => isSample(line, 0))).toBe(true);
    const partial = join(directory, 'partial.jsonl');
    await writeFile(partial, `${lines.slice(0, cut).join('\n')}\n{"v":2,"type":"sam`);
    const run = await loadRun(partial);
    expect(run.ended).toBe(false);
    expect(run.iterations.map((iteration) => iteration.complete)).toEqual([true, false]);
    expect(run.iterations[1]!.train.samples).toBeGreaterThan(0);
    expect(run.iterations[1]!.train.samples).toBeLessThan(9);
    expect(run.warnings).toHaveLength(1);
  });

  it('is a JournalError for a file that holds no run', async () => {
    const path = join(directory, 'empty.jsonl');
    await writeFile(path, '');
    await expect(loadRun(path)).rejects.toThrow(JournalError);
    await expect(loadRun(path)).rejects.toThrow(/holds no run/);
  });
});
