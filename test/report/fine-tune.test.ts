import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from 'pauper';
import { compareRuns, iterate, loadRun, openai, renderReport } from 'pauper';
import { comparisonText } from '../../src/report/compare-text.js';
import { summaryText } from '../../src/report/summary-text.js';
import type { TestServer } from '../servers/common.js';
import { createOpenAIFiles } from '../servers/openai-files.js';
import { createOpenAIFineTuning } from '../servers/openai-fine-tuning.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// A folding run and a fine-tuning run of the same tasks and sample budget, journaled over the
// loopback OpenAI wire, read back as the report and `compare` read them.

const responder = ({ body, choiceIndex, lastUserMessage }: { body: Readonly<Record<string, unknown>>; choiceIndex: number; lastUserMessage: string }) =>
  `${String(body.model)}|${lastUserMessage}|${choiceIndex}`;
const tasks = Array.from({ length: 6 }, (_, index) => `task ${index}`);

let server: TestServer;
let directory: string;
let folding: RunSummary;
let tuning: RunSummary;
let tunedModel: string;

beforeAll(async () => {
  const files = createOpenAIFiles();
  const fineTuning = createOpenAIFineTuning({ files, steps: 0 });
  server = await startOpenAIServer({ responder, routes: [...files.routes, ...fineTuning.routes] });
  directory = await mkdtemp(join(tmpdir(), 'pauper-report-ft-'));
  const common = {
    provider: openai({ model: 'gpt-4.1-mini', apiKey: 'sk-report', baseURL: server.url }),
    tasks,
    reward: ({ text }: { text: string }) => (text.startsWith('ft:') ? 10 : 1) + Number(text.split('|')[2]),
    samples: 2,
    keep: 12,
    iterations: 2,
  };
  await iterate({ ...common, journal: join(directory, 'folding.jsonl') });
  const run = await iterate({ ...common, journal: join(directory, 'tuning.jsonl'), fineTune: { every: 2, pollMs: 1 } });
  tunedModel = run.fineTunes![0]!.model;
  folding = await loadRun(join(directory, 'folding.jsonl'));
  tuning = await loadRun(join(directory, 'tuning.jsonl'));
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

describe('reports of a fine-tuning run', () => {
  it('summarises which model each iteration sampled and what training cost, apart from sampling', () => {
    expect(tuning.iterations.map((iteration) => iteration.fineTunedModel)).toEqual([undefined, undefined, tunedModel]);
    expect(folding.iterations.every((iteration) => iteration.fineTunedModel === undefined)).toBe(true);
    expect(tuning.fineTunes).toHaveLength(1);
    expect(tuning.trainingCostUsd).toBeGreaterThan(0);
    expect(folding.trainingCostUsd).toBe(0);
    expect(folding.fineTunes).toEqual([]);
  });

  it('marks the iterations that sampled a fine-tuned model in the summary and the HTML report', () => {
    const text = summaryText(tuning);
    expect(text).toMatch(/^ +2ft /m);
    expect(text).not.toMatch(/^ +1ft /m);
    expect(text).toContain('ft: it sampled a fine-tuned model');
    expect(text).toContain(`after iteration 1: ftjob-000001 succeeded on 12 kept, gpt-4.1-mini → ${tunedModel}`);
    expect(summaryText(folding)).not.toContain('fine-tun');
    const html = renderReport(tuning);
    expect(html).toContain(`fine-tuned: ${tunedModel}`);
    expect(html).toContain('gpt-4.1-mini (base)');
    expect(html).toContain('1 fine-tuning job, training');
    expect(renderReport(folding)).not.toContain('fine-tun');
  });

  it('compares a folding run with a fine-tuning run on their shared tasks, training counted in cost per point', () => {
    const comparison = compareRuns([folding, tuning]);
    expect(comparison.tasks).toMatchObject({ by: 'index', shared: tasks.length });
    expect(comparison.iterations).toHaveLength(3);
    const last = comparison.iterations.at(-1)!;
    // The fine-tuned model's samples score 10 more on every task.
    expect(last.cells[1]!.difference!.mean).toBeGreaterThan(8);
    const [, tuned] = comparison.runs;
    expect(tuned!.fineTunes).toBe(1);
    expect(tuned!.trainingCostUsd).toBe(tuning.trainingCostUsd);
    expect(tuned!.costPerPoint).toBeCloseTo((tuning.costUsd! + tuning.trainingCostUsd!) / tuned!.gain!, 12);
    const text = comparisonText(comparison);
    expect(text).toContain('training');
    expect(text).toContain('+1 ft');
  });
});
