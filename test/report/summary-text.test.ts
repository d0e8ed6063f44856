import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRun } from 'pauper';
import { summaryText } from '../../src/report/summary-text.js';
import { journaledRun } from '../fixtures/report-runs.js';

let directory: string;
let path: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-summary-'));
  path = await journaledRun(directory, 'run', true);
});

/** The numbers of a reward table row: decimals and both sides of `failed/samples`, in order. */
const numbersOf = (line: string): number[] => (line.match(/-?\d+\.\d+|\d+(?=\/)|(?<=\/)\d+/g) ?? []).map(Number);

describe('summaryText', () => {
  it('prints each iteration as loadRun summarises it: train mean and band, median, p10, p90, max, failures, held-out mean and band', async () => {
    const run = await loadRun(path);
    const lines = summaryText(run).split('\n');
    const header = lines.findIndex((line) => line.startsWith('iter  train'));
    run.iterations.forEach((iteration, position) => {
      const { train } = iteration;
      const held = iteration.eval!;
      const row = lines[header + 1 + position]!;
      expect(row.trim().startsWith(String(iteration.iteration))).toBe(true);
      const expected = [train.mean, train.band!.low, train.band!.high, train.median, train.p10, train.p90, train.max, train.failed, train.samples, held.mean, held.band!.low, held.band!.high];
      const printed = numbersOf(row.trim().slice(String(iteration.iteration).length));
      expect(printed).toHaveLength(expected.length);
      printed.forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 3));
    });
  });

  it("prints each iteration's cost and the cost so far", async () => {
    const run = await loadRun(path);
    const lines = summaryText(run).split('\n');
    const header = lines.findIndex((line) => line.startsWith('iter  requests'));
    run.iterations.forEach((iteration, position) => {
      const [cost, cumulative] = [...lines[header + 1 + position]!.matchAll(/\$(\d+\.\d+)/g)].map((match) => Number(match[1]));
      expect(cost).toBeCloseTo(iteration.costUsd!, 4);
      expect(cumulative).toBeCloseTo(iteration.cumulative.costUsd!, 4);
    });
    expect(run.iterations.at(-1)!.cumulative.costUsd).toBeGreaterThan(run.iterations[0]!.costUsd!);
  });

  it("names the run's provider, model, options and how it ended, every line within 100 columns", async () => {
    const text = summaryText(await loadRun(path));
    expect(text).toContain('iterate with function/better, seed 7, 6 train tasks, 4 held-out');
    expect(text).toMatch(/options: .*samples=3/);
    expect(text).toContain('select=topK(2)');
    expect(text).toContain('finished: 3 iterations');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('says how far a run in progress got, and mentions a skipped partial line in one line', async () => {
    const lines = (await readFile(path, 'utf8')).split('\n');
    // Cut inside iteration 1: after its first five train samples.
    const samples = lines.flatMap((line, index) => (line.includes('"type":"sample"') && line.includes('"iteration":1') ? [index] : []));
    const partial = join(directory, 'partial.jsonl');
    await writeFile(partial, `${lines.slice(0, samples[4]! + 1).join('\n')}\n{"v":2,"type":"sam`);
    const text = summaryText(await loadRun(partial));
    expect(text).toContain('in progress: iteration 1 has 5 of 30 samples');
    expect(text.split('\n').filter((line) => line.includes('skipped a partial last line'))).toHaveLength(1);
    expect(text).toMatch(/^ {2}1…/m);
  });
});
