import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AnySelector, CachedCompletion, IterateOptions, ResponseCache, SampleRequest, ScriptedProvider } from 'pauper';
import { libraryVersion } from '../../src/journal/journal.js';
import {
  ConfigError,
  fromFunction,
  iterate,
  JournalError,
  JournalMismatchError,
  readJournal,
  scripted,
  topK,
} from 'pauper';
import { openJournal } from '../../src/journal/journal.js';
import { openai } from '../../src/providers/openai.js';
import { startOpenAIServer } from '../servers/openai-server.js';
import type { TestServer } from '../servers/common.js';
import { canonical } from '../fixtures/canonical.js';

const lastUser = (request: SampleRequest): string =>
  [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';

/** Deterministic: the reply depends on the task, the request seed and the completion index only. */
const deterministic = (options: { nativeN?: boolean } = {}) =>
  scripted((request, { index }) => `${lastUser(request)}:${(request.seed ?? 0) % 1000}:${index}`, {
    capabilities: { nativeN: options.nativeN ?? true },
  });

/** Varied rewards from the reply's seed digits, so selection has something to choose. */
const reward = (sample: { text: string }): { score: number; info: { digits: string } } => {
  const digits = sample.text.split(':')[1] ?? '0';
  return { score: Number(digits) % 17, info: { digits } };
};

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-'));
});

function options(
  provider: ReturnType<typeof deterministic>,
  extra: Partial<IterateOptions<string, string, { digits: string }>> = {},
): IterateOptions<string, string, { digits: string }> {
  return {
    provider,
    tasks: ['a', 'b', 'c'],
    evalTasks: ['held'],
    reward,
    samples: 3,
    iterations: 2,
    keep: 2,
    seed: 7,
    system: 'Answer briefly.',
    ...extra,
  };
}

describe('journal: writing', () => {
  it('records the run start, every sample, each iteration and the run end, creating parent directories', async () => {
    const path = join(directory, 'nested', 'runs', 'x.jsonl');
    const run = await iterate(options(deterministic(), { journal: path }));
    const journal = await readJournal(path);

    expect(journal.warnings).toEqual([]);
    expect(journal.start).toMatchObject({ v: 1, type: 'run-start', version: libraryVersion, seed: 7, tasks: ['train/0', 'train/1', 'train/2'] });
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

  it('refuses to append a new run to an existing journal', async () => {
    const path = join(directory, 'twice.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const again = iterate(options(deterministic(), { journal: path, iterations: 0 }));
    await expect(again).rejects.toThrow(ConfigError);
    await expect(iterate(options(deterministic(), { journal: path, iterations: 0 }))).rejects.toThrow(/resume: true/);
  });

  it('rejects resume without a journal path up front', () => {
    expect(() => iterate(options(deterministic(), { resume: true }))).toThrow(/`resume`/);
  });

  it('rejects tasks a journal cannot hold up front, from iterate() itself', () => {
    const call = () => iterate({ provider: deterministic(), tasks: [{ id: 1n }], reward: () => 1, journal: join(directory, 'bigint.jsonl') });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(/JSON-serialisable tasks/);
  });

  it('names the task counts when resuming with other tasks', async () => {
    const path = join(directory, 'tasks.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const { evalTasks: _none, ...withoutHeldOut } = options(deterministic(), { journal: path, iterations: 0, resume: true });
    await expect(iterate(withoutHeldOut)).rejects.toThrow(/evalTasks: "1 task, hash [0-9a-f]+" → "none"/);
  });
});

describe('journal: reading', () => {
  it('reports the line number of a bad line with a typed error', async () => {
    const path = join(directory, 'bad.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[3] = '{"v":1,"type":"sample","id":42}';
    await writeFile(path, lines.join('\n'));
    const error = await readJournal(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ line: 4, path });
    expect((error as Error).message).toMatch(/bad\.jsonl:4: not a valid record/);

    lines[3] = '{"v":1,"type":';
    await writeFile(path, lines.join('\n'));
    await expect(readJournal(path)).rejects.toMatchObject({ line: 4, message: expect.stringMatching(/not valid JSON/) });
  });

  it('skips a partial last line with a returned warning', async () => {
    const path = join(directory, 'partial.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const complete = await readJournal(path);
    await appendFile(path, '{"v":1,"type":"sample","id":"train/0/0');
    const journal = await readJournal(path);
    expect(journal.records).toEqual(complete.records);
    expect(journal.warnings).toHaveLength(1);
    expect(journal.warnings[0]).toMatch(/partial last line/);
  });

  it('refuses a journal written by a newer schema version', async () => {
    const path = join(directory, 'future.jsonl');
    await writeFile(path, '{"v":2,"type":"run-start"}\n');
    await expect(readJournal(path)).rejects.toThrow(/version 2 is newer/);
  });
});

describe('journal: resume', () => {
  /** Runs to completion, then keeps only the first `keepLines` lines (plus a partial one) as a crash would. */
  async function crashedCopy(keepLines: number, extra: Partial<IterateOptions<string, string, { digits: string }>> = {}) {
    const full = join(directory, `full-${keepLines}.jsonl`);
    const reference = await iterate(options(deterministic(), { journal: full, ...extra }));
    const lines = (await readFile(full, 'utf8')).split('\n');
    const crashed = join(directory, `crashed-${keepLines}.jsonl`);
    await writeFile(crashed, `${lines.slice(0, keepLines).join('\n')}\n{"v":1,"type":"sam`);
    return { reference, crashed, lines };
  }

  it('continues a crashed run to the same result without requesting journaled samples again, at every cut point', async () => {
    const { reference, lines } = await crashedCopy(0);
    let partialRequests = 0;
    let unscoredCuts = 0;
    for (let keepLines = 1; keepLines < lines.length; keepLines++) {
      const crashed = join(directory, `cut-${keepLines}.jsonl`);
      await writeFile(crashed, `${lines.slice(0, keepLines).join('\n')}\n{"v":1,"type":"sam`);
      const before = await readJournal(crashed);
      const provider = deterministic();
      const resumed = await iterate(options(provider, { journal: crashed, resume: true }));
      expect(canonical(resumed)).toEqual(canonical(reference));

      // Only tasks whose native-n request was not wholly journaled were requested: a request
      // counts once all its completions are journaled, scored or not.
      const ids = new Set([...before.samples.keys(), ...before.completions.keys()]);
      const journaled = new Map<string, string[]>();
      for (const id of ids) {
        const key = id.split('/').slice(0, 3).join('/');
        journaled.set(key, [...(journaled.get(key) ?? []), id]);
      }
      const whole = [...journaled.values()].filter((group) => group.length === 3);
      const partial = [...journaled.values()].filter((group) => group.length < 3).reduce((sum, group) => sum + group.length, 0);
      const unscored = whole.flat().filter((id) => !before.samples.has(id)).length;
      expect(provider.calls).toHaveLength(4 * 3 - whole.length);
      expect(resumed.resumed).toEqual({ restored: whole.length * 3, requestedAgain: partial, stale: 0, rescored: unscored });
      if (unscored > 0) unscoredCuts++;
      expect((await readJournal(crashed)).warnings).toEqual([]);
      if (partial > 0) partialRequests++;
    }
    // The cut points include crashes between the completions of one native-n request, and between a completion and its score.
    expect(partialRequests).toBeGreaterThan(0);
    expect(unscoredCuts).toBeGreaterThan(0);
  });

  it('requests again only the missing samples of a provider without native n', async () => {
    const { reference, crashed } = await crashedCopy(20, { provider: deterministic({ nativeN: false }) });
    const before = await readJournal(crashed);
    const provider = deterministic({ nativeN: false });
    const resumed = await iterate(options(provider, { journal: crashed, resume: true }));
    expect(canonical(resumed)).toEqual(canonical(reference));
    const journaled = new Set([...before.samples.keys(), ...before.completions.keys()]);
    expect(provider.calls).toHaveLength(36 - journaled.size);
    expect(resumed.resumed?.requestedAgain).toBe(0);
  });

  it('journals each completion as its request returns, so an abort while one request of a task is in flight loses none', async () => {
    const path = join(directory, 'aborted.jsonl');
    const controller = new AbortController();
    let returned = 0;
    const provider = fromFunction(async (request, { signal }) => {
      if (returned === 3) {
        setTimeout(() => controller.abort(new Error('user abort')), 20);
        await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
      }
      returned++;
      return `answer-${request.seed}`;
    });
    await expect(
      iterate({ provider, tasks: ['t'], reward: () => 1, samples: 4, iterations: 0, journal: path, signal: controller.signal }),
    ).rejects.toThrow('user abort');
    expect((await readJournal(path)).completions.size).toBe(3);

    let requests = 0;
    const again = fromFunction((request) => {
      requests++;
      return `answer-${request.seed}`;
    });
    const resumed = await iterate({ provider: again, tasks: ['t'], reward: () => 1, samples: 4, iterations: 0, journal: path, resume: true });
    expect(requests).toBe(1);
    expect(resumed.resumed).toMatchObject({ restored: 3, requestedAgain: 0 });
  });

  it('resumes a run against a server that ignores n exactly as an uninterrupted run, requesting nothing journaled', async () => {
    // One choice per request whatever `n` asks, like Ollama: the run switches to fan-out after the first request.
    const ignoresN = (): ScriptedProvider => {
      const inner = deterministic();
      return { ...inner, calls: inner.calls, sample: (request, sampleOptions) => inner.sample(request, { ...sampleOptions, n: 1 }) };
    };
    for (const concurrency of [1, 8]) {
      const full = join(directory, `ignores-n-${concurrency}.jsonl`);
      const reference = await iterate(options(ignoresN(), { journal: full, concurrency }));
      const lines = (await readFile(full, 'utf8')).split('\n');
      // Every third cut point: before, during and after the run learns that the server ignores n.
      for (let keepLines = 1; keepLines < lines.length; keepLines += 3) {
        const crashed = join(directory, `ignores-n-${concurrency}-${keepLines}.jsonl`);
        await writeFile(crashed, `${lines.slice(0, keepLines).join('\n')}\n`);
        const before = await readJournal(crashed);
        const provider = ignoresN();
        const resumed = await iterate(options(provider, { journal: crashed, resume: true, concurrency }));
        expect(canonical(resumed)).toEqual(canonical(reference));
        expect(resumed.resumed?.requestedAgain).toBe(0);
        const journaled = new Set([...before.samples.keys(), ...before.completions.keys()]);
        expect(provider.calls).toHaveLength(4 * 3 * 3 - journaled.size);
      }
    }
  });

  it("resumes exactly when a cache held only some of a task's samples, so the rest went one request each", async () => {
    // A cache filled by a run of iteration 0, less one entry (evicted, or a store that failed).
    const full = new Map<string, CachedCompletion>();
    await iterate(options(deterministic(), { cache: { get: (key) => full.get(key), set: (key, value) => void full.set(key, value) }, iterations: 0, evalTasks: [] }));
    const partial = new Map([...full].filter(([, value]) => !(value.text.startsWith('a:') && value.text.endsWith(':0'))));
    expect(partial.size).toBe(full.size - 1);
    const cache = (): ResponseCache => ({ get: (key) => partial.get(key), set: () => {} });
    const path = join(directory, 'partly-cached.jsonl');
    const reference = await iterate(options(deterministic(), { cache: cache(), journal: path, concurrency: 1 }));
    const lines = (await readFile(path, 'utf8')).split('\n');
    for (let keepLines = 1; keepLines < lines.length; keepLines += 2) {
      const crashed = join(directory, `partly-cached-${keepLines}.jsonl`);
      await writeFile(crashed, `${lines.slice(0, keepLines).join('\n')}\n`);
      const resumed = await iterate(options(deterministic(), { cache: cache(), journal: crashed, resume: true, concurrency: 1 }));
      expect(canonical(resumed)).toEqual(canonical(reference));
    }
  });

  it('makes no request when resuming a finished run, and can extend it by more iterations', async () => {
    const path = join(directory, 'done.jsonl');
    const reference = await iterate(options(deterministic(), { journal: path }));
    const again = deterministic();
    expect(canonical(await iterate(options(again, { journal: path, resume: true })))).toEqual(canonical(reference));
    expect(again.calls).toHaveLength(0);
    // Recomputed iterations that did not change are not journaled twice.
    const records = (await readJournal(path)).records;
    expect(records.filter((record) => record.type === 'iteration')).toHaveLength(3);
    expect(records.filter((record) => record.type === 'resume')).toHaveLength(1);

    const longer = deterministic();
    const extended = await iterate(options(longer, { journal: path, resume: true, iterations: 4 }));
    expect(longer.calls).toHaveLength(2 * 4);
    const uninterrupted = await iterate(options(deterministic(), { iterations: 4 }));
    expect(canonical(extended)).toEqual(canonical(uninterrupted));
  });

  it('refuses to resume with different options, naming each difference', async () => {
    const path = join(directory, 'config.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const error = await iterate(options(deterministic(), { journal: path, resume: true, samples: 8, temperature: 0.5 })).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(JournalMismatchError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('samples: 3 → 8');
    expect((error as Error).message).toContain('temperature: null → 0.5');
    expect((error as JournalMismatchError).differences.map((difference) => difference.field)).toEqual(['samples', 'temperature']);

    await expect(iterate(options(deterministic(), { journal: path, resume: true, tasks: ['a', 'b', 'd'] }))).rejects.toThrow(
      /tasks: "3 tasks, hash [0-9a-f]+" → "3 tasks, hash [0-9a-f]+"/,
    );
  });

  it('samples again, with a warning, what a diverged run no longer prompts for', async () => {
    const path = join(directory, 'diverged.jsonl');
    // Custom selectors cannot be compared: a different one is only noticed when the prompts differ.
    const withSelect = (select: AnySelector, extra: Partial<IterateOptions<string, string, { digits: string }>> = {}) => {
      const { keep: _keep, ...rest } = options(deterministic(), extra);
      return { ...rest, select };
    };
    await iterate(withSelect(topK(2), { journal: path }));
    const warnings: string[] = [];
    const provider = deterministic();
    const resumed = await iterate({
      ...withSelect(topK(1), {
        journal: path,
        resume: true,
        onEvent: (event) => {
          if (event.type === 'warning') warnings.push(event.message);
        },
      }),
      provider,
    });
    expect(resumed.resumed).toMatchObject({ restored: 12, stale: 24 });
    expect(provider.calls).toHaveLength(2 * 4);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/12 journaled samples of iteration 1 were made with other prompts/);
    expect(canonical(resumed)).toEqual(canonical(await iterate(withSelect(topK(1)))));
  });

  it('refuses to resume when the prompt builder changed', async () => {
    const path = join(directory, 'render.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    await expect(
      iterate(options(deterministic(), { journal: path, resume: true, render: (task) => `Task: ${task}` })),
    ).rejects.toThrow(/prompt of train\/0\/0\/0/);
  });

  it('scores again, without requests, the samples whose scorer failed, so a fixed scorer recovers them', async () => {
    const path = join(directory, 'scorer.jsonl');
    const broken = await iterate(
      options(deterministic(), {
        journal: path,
        iterations: 0,
        maxErrors: Number.POSITIVE_INFINITY,
        reward: () => {
          throw new Error('scorer bug');
        },
      }),
    );
    expect(broken.trajectories.every((trajectory) => !trajectory.ok)).toBe(true);
    const provider = deterministic();
    const fixed = await iterate(options(provider, { journal: path, resume: true, iterations: 0 }));
    expect(provider.calls).toHaveLength(0);
    expect(fixed.resumed?.rescored).toBe(12);
    expect(canonical(fixed)).toEqual(canonical(await iterate(options(deterministic(), { iterations: 0 }))));
    // The rescored samples were journaled again; the latest record wins.
    const journal = await readJournal(path);
    expect([...journal.samples.values()].every((sample) => sample.ok)).toBe(true);
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
      { seed: 1, resume: {}, config: {}, tasks: ['t'], evalTasks: [] },
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
    const fixed = await iterate({ provider: again, tasks: ['t'], schema, samples: 2, iterations: 0, journal: path, resume: true, reward: (sample) => Number(sample.output.n) });
    expect(again.calls).toHaveLength(0);
    expect(fixed.resumed?.rescored).toBe(2);
    expect(fixed.trajectories.map((trajectory) => [trajectory.ok, trajectory.ok && trajectory.output])).toEqual([
      [true, { n: 1 }],
      [true, { n: 1 }],
    ]);
  });

  it('rejects the run with a JournalError without a line number on a write error, before the remaining requests', async () => {
    const path = join(directory, 'unwritable.jsonl');
    const provider = scripted((request) => lastUser(request), { delayMs: 5 });
    const error = await iterate({
      provider,
      tasks: Array.from({ length: 20 }, (_, index) => `task ${index}`),
      reward: () => 1,
      samples: 1,
      iterations: 0,
      concurrency: 1,
      journal: path,
      onEvent: (event) => {
        // The journal becomes a directory: every append fails from here on.
        if (event.type !== 'iteration-start') return;
        rmSync(path, { force: true });
        mkdirSync(path);
      },
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
  });
});

describe('journal: library version', () => {
  it('writes the version in package.json', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(libraryVersion).toBe(manifest.version);
  });
});
