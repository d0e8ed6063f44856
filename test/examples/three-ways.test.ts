import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { compiled } from '../children.js';
import { compareRuns, createRng, loadRun, openai } from 'pauper';
import { threeWays, ways } from '../../examples/gold-coin-maze/three-ways.js';
import type { ResponderContext, TestServer } from '../servers/common.js';
import { createOpenAIFiles, type OpenAIFiles } from '../servers/openai-files.js';
import { createOpenAIFineTuning, type OpenAIFineTuning } from '../servers/openai-fine-tuning.js';
import { startOpenAIServer } from '../servers/openai-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let server: TestServer | undefined;
let directory: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  directory = undefined;
});

/**
 * A stand-in model for the maze: a fine-tuned model recalls the answer its training file holds
 * for the same maze, a prompt with that maze folded in copies it, anything else is seeded random moves.
 */
function mazeResponder(files: OpenAIFiles, fineTuning: OpenAIFineTuning) {
  return ({ body, messages, lastUserMessage, requestNumber, choiceIndex }: ResponderContext): string => {
    const model = String(body.model);
    const job = [...fineTuning.jobs.values()].find((candidate) => candidate.fine_tuned_model === model);
    if (job !== undefined && choiceIndex % 2 === 0) {
      for (const line of (files.files.get(job.training_file)?.content ?? '').trim().split('\n')) {
        const turns = (JSON.parse(line) as { messages: { role: string; content: string }[] }).messages;
        if (turns.at(-2)?.content === lastUserMessage) return turns.at(-1)!.content;
      }
    }
    const folded = messages.findIndex((message, index) => index < messages.length - 1 && message.role === 'user' && message.content === lastUserMessage);
    if (folded >= 0 && choiceIndex % 2 === 0) return messages[folded + 1]!.content;
    const rng = createRng(requestNumber * 97 + choiceIndex);
    return Array.from({ length: 8 }, () => 'UDLR'[Math.floor(rng() * 4)]).join('');
  };
}

describe('the maze three ways (prompting, fine-tuning, both) over the loopback OpenAI wire', () => {
  it('runs the three at the same sample budget and ends with the compare command for their journals', { timeout: 30_000 }, async () => {
    const files = createOpenAIFiles();
    const fineTuning = createOpenAIFineTuning({ files, steps: 2 });
    server = await startOpenAIServer({ responder: mazeResponder(files, fineTuning), routes: [...files.routes, ...fineTuning.routes] });
    directory = await mkdtemp(join(tmpdir(), 'pauper-three-ways-'));
    const lines: string[] = [];
    const results = await threeWays({
      provider: openai({ model: 'gpt-4.1-mini', apiKey: 'sk-three-ways', baseURL: server.url }),
      directory,
      heldOutMazes: 2,
      samples: 4,
      iterations: 3,
      fineTune: { pollMs: 1 },
      print: (line) => lines.push(line),
    });
    const journals = ways.map((way) => join(directory!, `maze-${way}.jsonl`));
    expect(lines.at(-1)).toBe(`npx pauper compare ${journals.join(' ')}`);

    // Same budget: the same samples in each; a job after iteration 1 in the two fine-tuning runs.
    const counts = ways.map((way) => results[way].run.trajectories.length);
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBe((12 + 2) * 4 * 4);
    expect(fineTuning.jobs.size).toBe(2);
    expect(results.prompting.run.fineTunes).toBeUndefined();
    for (const way of ['fine-tuning', 'both'] as const) {
      const { run } = results[way];
      expect(run.iterations.map((iteration) => iteration.fineTunedModel !== undefined)).toEqual([false, false, true, true]);
      expect(run.trainingCostUsd).toBeGreaterThan(0);
    }
    // Fine-tuning only keeps every prompt zero-shot; both folds the kept moves in too.
    expect(results['fine-tuning'].run.iterations.every((iteration) => iteration.examples.length === 0)).toBe(true);
    expect(results.both.run.iterations[2]!.examples).toHaveLength(12);
    // The fine-tuned model recalls its training answers: the training mean rises after the job.
    const tuned = results['fine-tuning'].run.iterations;
    expect(tuned[2]!.train.mean!).toBeGreaterThan(tuned[0]!.train.mean!);

    const comparison = compareRuns(await Promise.all(journals.map((journal) => loadRun(journal))));
    expect(comparison.runs.map((run) => run.fineTunes)).toEqual([0, 1, 1]);
    expect(comparison.iterations).toHaveLength(4);
  });

  it('run directly without a key, says fine-tuning needs the OpenAI API', { timeout: 30_000 }, async () => {
    const outcome = await promisify(execFile)(process.execPath, [compiled('examples/gold-coin-maze/three-ways.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
      timeout: 30_000,
    }).catch((error: { code?: number; stdout?: string }) => ({ code: error.code, stdout: error.stdout ?? '' }));
    expect(outcome.stdout).toContain('Fine-tuning needs the OpenAI API: set OPENAI_API_KEY');
    expect('code' in outcome ? outcome.code : 0).toBe(1);
  });
});
