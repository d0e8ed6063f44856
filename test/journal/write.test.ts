import { mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IterateOptions, SampleRequest } from 'pauper';
import { iterate, JournalError, journalVersion, readJournal, scripted } from 'pauper';
import { libraryVersion } from '../../src/journal/records.js';
import { z } from 'zod';
import { openJournal } from '../../src/journal/open.js';
import { linesForNextAppend, maxAppendLength } from '../../src/journal/write.js';
import { openai } from '../../src/providers/openai.js';
import { startOpenAIServer } from '../servers/openai-server.js';
import type { TestServer } from '../servers/common.js';
import { deterministic, lastUser, options } from '../fixtures/journal-run.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-'));
});

describe('journal: writing', () => {
  it('records the run start, every sample, each iteration and the run end, creating parent directories', async () => {
    const path = join(directory, 'nested', 'runs', 'x.jsonl');
    const run = await iterate(options(deterministic(), { journal: path }));
    const journal = await readJournal(path);

    expect(journal.warnings).toEqual([]);
    expect(journal.start).toMatchObject({ v: journalVersion, type: 'run-start', version: libraryVersion, seed: 7, tasks: ['train/0', 'train/1', 'train/2'] });
    expect(journal.start?.resume).toMatchObject({ provider: 'scripted', model: 'scripted', samples: 3, system: 'Answer briefly.' });
    expect(journal.samples.size).toBe(run.trajectories.length);
    expect(journal.samples.size).toBe(3 * (3 + 1) * 3);
    for (const trajectory of run.trajectories) {
      const record = journal.samples.get(trajectory.id);
      expect(record).toMatchObject({
        split: trajectory.split,
        iteration: trajectory.iteration,
        index: trajectory.index,
        text: trajectory.text,
        turns: trajectory.turns,
        reward: trajectory.reward,
        usage: trajectory.usage,
        costUsd: trajectory.costUsd,
        seed: trajectory.seed,
      });
      expect(record?.info).toEqual(trajectory.ok ? trajectory.info : undefined);
      expect(journal.prompts.get(record!.promptHash)).toEqual(trajectory.prompt);
    }
    for (const iteration of run.iterations) {
      expect(journal.iterations.get(iteration.iteration)).toMatchObject({
        kept: iteration.kept.map((example) => example.id),
        examples: iteration.examples.map((example) => example.id),
        train: { ...iteration.train, wallTimeMs: expect.any(Number) },
      });
    }
    expect(journal.end).toMatchObject({ iterations: 3, best: run.best?.id, usage: run.usage, stopped: null });
    // One prompt record per distinct prompt, not one per sample.
    const prompts = journal.records.filter((record) => record.type === 'prompt');
    expect(prompts.length).toBe(new Set(run.trajectories.map((trajectory) => JSON.stringify(trajectory.prompt))).size);
  });

  it('records failures with their stage and message, and parsed outputs', async () => {
    const path = join(directory, 'failures.jsonl');
    const provider = scripted((_request, { index }) => (index === 0 ? '{"n": 1}' : index === 1 ? 'not json' : '{"n": -1}'));
    await iterate({
      provider,
      tasks: ['t'],
      schema: z.object({ n: z.number() }),
      reward: (sample) => {
        if (sample.output.n < 0) throw new Error('negative n');
        return sample.output.n;
      },
      samples: 3,
      iterations: 0,
      journal: path,
    });
    const samples = [...(await readJournal(path)).samples.values()].sort((a, b) => a.index - b.index);
    expect(samples.map((sample) => [sample.ok, sample.output, sample.failure?.stage])).toEqual([
      [true, { n: 1 }, undefined],
      [false, undefined, 'parse'],
      [false, undefined, 'reward'],
    ]);
    expect(samples[2]?.failure?.message).toMatch(/negative n/);
  });

  describe('with the OpenAI provider over HTTP', () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await startOpenAIServer();
    });
    afterEach(async () => {
      await server.close();
    });

    it('never writes the API key', async () => {
      const path = join(directory, 'secret.jsonl');
      const provider = openai({ model: 'gpt-4.1-mini', apiKey: 'sk-test-TOPSECRET', baseURL: server.url });
      await iterate({ provider, tasks: ['a'], reward: () => 1, samples: 2, iterations: 1, journal: path });
      expect(server.requestCount).toBe(2);
      const text = await readFile(path, 'utf8');
      expect(text).toContain('gpt-4.1-mini');
      expect(text).not.toContain('TOPSECRET');
    });
  });
});

describe('journal: values it cannot serialise, and write errors', () => {
  const bigint = '[unserialisable: Do not know how to serialize a BigInt]';
  const circular = '[unserialisable: Converting circular structure to JSON]';

  it('journals every record of a run whose reward info cannot be serialised, with a marker in its place, and resumes it', async () => {
    const path = join(directory, 'info.jsonl');
    const looped: Record<string, unknown> = {};
    looped.self = looped;
    const warnings: string[] = [];
    const run = (provider: ReturnType<typeof deterministic>, resume: boolean) =>
      iterate({
        provider,
        tasks: ['a', 'b', 'c'],
        reward: (_sample, { task }) => ({ score: 1, info: task === 'b' ? { tokens: 10n } : task === 'c' ? looped : { tokens: 1 } }),
        samples: 2,
        iterations: 1,
        journal: path,
        resume,
        onEvent: (event) => {
          if (event.type === 'warning') warnings.push(event.message);
        },
      });
    const first = await run(deterministic(), false);
    // The run says what it could not journal, once per kind of problem.
    expect(warnings.filter((warning) => /BigInt/.test(warning))).toHaveLength(1);
    expect(warnings.filter((warning) => /circular/.test(warning))).toHaveLength(1);
    const journal = await readJournal(path);
    expect(journal.samples.size).toBe(first.trajectories.length);
    expect(journal.completions.size).toBe(first.trajectories.length);
    expect(journal.end).toBeDefined();
    const infoOf = (task: number) => [...journal.samples.values()].filter((sample) => sample.taskIndex === task).map((sample) => sample.info);
    expect(infoOf(0)).toEqual([{ tokens: 1 }, { tokens: 1 }, { tokens: 1 }, { tokens: 1 }]);
    expect(infoOf(1)).toEqual([bigint, bigint, bigint, bigint]);
    expect(infoOf(2)).toEqual([circular, circular, circular, circular]);

    // Resuming restores the marker, requests nothing and keeps everything else.
    const provider = deterministic();
    const resumed = await run(provider, true);
    expect(provider.calls).toHaveLength(0);
    expect(resumed.resumed?.restored).toBe(first.trajectories.length);
    expect(resumed.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward])).toEqual(
      first.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward]),
    );
    expect(resumed.trajectories.map((trajectory) => trajectory.ok && trajectory.info)).toEqual([
      { tokens: 1 }, { tokens: 1 }, bigint, bigint, circular, circular,
      { tokens: 1 }, { tokens: 1 }, bigint, bigint, circular, circular,
    ]);
  });

  it('marks a parsed value, an output and a step info it cannot serialise, warning once per kind', async () => {
    const path = join(directory, 'hooks.jsonl');
    const warnings: string[] = [];
    const journal = await openJournal(
      path,
      false,
      { seed: 1, resume: {}, config: {}, tasks: ['t'], evalTasks: [], sources: {}, acceptChanged: [] },
      { onWarning: (message) => warnings.push(message) },
    );
    const prompt = [{ role: 'user' as const, content: 't' }];
    const usage = { requests: 1, inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 1, reasoningTokens: 0 };
    for (const index of [0, 1]) {
      journal.completion(`train/0/0/${index}`, prompt, {
        ok: true,
        completion: { text: '{"n":1}', parsed: { n: 1n } },
        usage,
        costUsd: 0,
        latencyMs: 1,
        seed: 3,
        requestCompletions: 2,
        requestAsked: 2,
      });
    }
    const looped: unknown[] = [];
    looped.push(looped);
    journal.sample({
      id: 'train/0/0/0', split: 'train', iteration: 0, taskIndex: 0, taskId: 't', index: 0, task: 't', prompt,
      turns: [...prompt, { role: 'assistant', content: 'done' }], text: 'done',
      steps: [{ message: 'go', reply: 'done', info: { at: 2n } }],
      usage, costUsd: 0, latencyMs: 1, seed: 3, ok: true, output: { n: 1n }, reward: 1, info: looped,
    });
    await journal.flush();

    const read = await readJournal(path);
    expect([...read.completions.values()].map((completion) => [completion.text, completion.parsed])).toEqual([
      ['{"n":1}', bigint],
      ['{"n":1}', bigint],
    ]);
    expect(read.samples.get('train/0/0/0')).toMatchObject({ output: bigint, info: circular, steps: [{ message: 'go', reply: 'done', info: bigint }], reward: 1 });
    // The two completions share one warning; the sample's output, info and step info are kinds of their own.
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/the parsed of completion train\/0\/0\/0 could not be serialised \(Do not know how to serialize a BigInt\)/);
    expect(warnings[0]).toMatch(/resume identically/);
  });

  it('parses the text again when a completion to score on resume had a parsed value it could not serialise', async () => {
    const path = join(directory, 'parsed.jsonl');
    const inner = deterministic();
    // A provider whose parsed value JSON cannot hold; the text holds the same number.
    const provider = {
      ...inner,
      async sample(request: SampleRequest, sampleOptions: { n: number; signal?: AbortSignal }) {
        const response = await inner.sample(request, sampleOptions);
        return {
          ...response,
          completions: response.completions.map((completion) => ({ ...completion, text: '{"n":1}', parsed: { n: 1n } })),
        };
      },
    };
    const schema = z.object({ n: z.union([z.number(), z.bigint()]) });
    const broken = await iterate({
      provider, tasks: ['t'], schema, samples: 2, iterations: 0, journal: path, maxErrors: 10,
      reward: () => {
        throw new Error('scorer bug');
      },
    });
    expect(broken.trajectories.every((trajectory) => !trajectory.ok && trajectory.failure.stage === 'reward')).toBe(true);
    const again = deterministic();
    const fixed = await iterate({
      provider: again, tasks: ['t'], schema, samples: 2, iterations: 0, journal: path,
      resume: { acceptChanged: ['reward'] },
      reward: (sample) => Number(sample.output.n),
    });
    expect(again.calls).toHaveLength(0);
    expect(fixed.resumed?.rescored).toBe(2);
    expect(fixed.trajectories.map((trajectory) => [trajectory.ok, trajectory.ok && trajectory.output])).toEqual([
      [true, { n: 1 }],
      [true, { n: 1 }],
    ]);
  });

  it('rejects the run with a JournalError without a line number on a write error, before the remaining requests, and resumes once fixed', async () => {
    const path = join(directory, 'unwritable.jsonl');
    const aside = join(directory, 'aside.jsonl');
    const provider = scripted((request) => lastUser(request), { delayMs: 5 });
    const run = (onEvent?: IterateOptions<string>['onEvent']) =>
      iterate({
        provider,
        tasks: Array.from({ length: 20 }, (_, index) => `task ${index}`),
        reward: () => 1,
        samples: 1,
        iterations: 0,
        concurrency: 1,
        journal: path,
        resume: onEvent === undefined,
        ...(onEvent === undefined ? {} : { onEvent }),
      });
    const error = await run((event) => {
      // The journal becomes a directory: every append fails from here on.
      if (event.type !== 'iteration-start') return;
      renameSync(path, aside);
      mkdirSync(path);
    }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ path, line: undefined });
    expect((error as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: could not write the journal \\(EISDIR`));
    expect((error as Error).message).toMatch(/resume: true/);
    expect((error as Error).cause).toMatchObject({ code: 'EISDIR' });
    // The run stopped at the first sample after the failure, not at the end of the iteration.
    expect(provider.calls.length).toBeLessThan(5);

    // Fixed (the journal back in its place), the run resumes from what was written before the failure.
    rmdirSync(path);
    renameSync(aside, path);
    expect((await readJournal(path)).warnings).toEqual([]);
    const resumed = await run();
    expect(resumed.trajectories).toHaveLength(20);
    expect((await readJournal(path)).samples.size).toBe(20);
  });
});

describe('journal: appends in bounded chunks', () => {
  it('takes as many whole lines as fit in the limit, and a longer line alone', () => {
    expect(linesForNextAppend(['aaa\n', 'bbb\n', 'cc\n'], 8)).toBe(2);
    expect(linesForNextAppend(['aaa\n', 'bbb\n', 'cc\n'], 11)).toBe(3);
    expect(linesForNextAppend([`${'x'.repeat(20)}\n`, 'y\n'], 8)).toBe(1);
    expect(linesForNextAppend(['a\n', `${'x'.repeat(20)}\n`], 8)).toBe(1);
    expect(linesForNextAppend([], 8)).toBe(0);
  });

  it('writes a queue longer than one append, every record whole and in order', async () => {
    const path = join(directory, 'long-queue.jsonl');
    const journal = await openJournal(path, false, { seed: 1, resume: {}, config: {}, tasks: ['t'], evalTasks: [], sources: {}, acceptChanged: [] });
    const prompt = [{ role: 'user' as const, content: 't' }];
    const usage = { requests: 1, inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 1, reasoningTokens: 0 };
    const count = 24;
    const text = (index: number) => `${index}:`.padEnd(Math.ceil(maxAppendLength / 8), 'x');
    // Queued in one go, as a fast run queues them while an append is slow: three appends' worth.
    for (let index = 0; index < count; index++) {
      journal.completion(`train/0/0/${index}`, prompt, {
        ok: true, completion: { text: text(index) }, usage, costUsd: 0, latencyMs: 1, seed: index, requestCompletions: 1, requestAsked: 1,
      });
    }
    await journal.flush();
    const read = await readJournal(path);
    expect(read.warnings).toEqual([]);
    expect([...read.completions.values()].map((completion) => completion.text)).toEqual(Array.from({ length: count }, (_, index) => text(index)));
    expect(read.records.map((record) => record.type)).toEqual(['run-start', 'prompt', ...Array.from({ length: count }, () => 'completion')]);
  });
});
