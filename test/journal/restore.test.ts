import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AnySelector, CachedCompletion, IterateOptions, ResponseCache, ScriptedProvider } from 'pauper';
import { fromFunction, iterate, readJournal, topK } from 'pauper';
import { canonical } from '../fixtures/canonical.js';
import { deterministic, options } from '../fixtures/journal-run.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-'));
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

  it('refuses, before writing anything, to resume when the prompt builder changed, in its source or in what it closes over', async () => {
    const path = join(directory, 'render.jsonl');
    const shown = { prefix: 'Task: ' };
    const render = (task: string) => `${shown.prefix}${task}`;
    await iterate(options(deterministic(), { journal: path, iterations: 0, render }));
    const before = await readFile(path, 'utf8');
    const provider = deterministic();
    // Another source text: named by the option.
    await expect(
      iterate(options(provider, { journal: path, resume: true, render: (task) => `Do: ${task}` })),
    ).rejects.toThrow(/render \(source text hash\).*resume: \{ acceptChanged: \['render'\] \}/s);
    // The same source text, another prompt: named by the first sample whose prompt differs.
    shown.prefix = 'Do: ';
    await expect(iterate(options(provider, { journal: path, resume: true, render }))).rejects.toThrow(/prompt of train\/0\/0\/0/);
    expect(provider.calls).toHaveLength(0);
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('resumes with a changed prompt builder when told to accept it, sampling again what other prompts made, and records that', async () => {
    const path = join(directory, 'accepted.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const provider = deterministic();
    const render = (task: string) => `Do: ${task}`;
    const resumed = await iterate(options(provider, { journal: path, resume: { acceptChanged: ['render'] }, iterations: 0, render }));
    expect(resumed.resumed).toMatchObject({ restored: 0, stale: 12 });
    expect(canonical(resumed)).toEqual(canonical(await iterate(options(deterministic(), { iterations: 0, render }))));
    const journal = await readJournal(path);
    const record = journal.records.find((entry) => entry.type === 'resume');
    expect(record).toMatchObject({ accepted: [{ field: 'render', journal: null, current: expect.any(String) }] });
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
    const before = await readFile(path, 'utf8');
    // A changed reward would mix old and new rewards: refused unless accepted.
    await expect(iterate(options(provider, { journal: path, resume: true, iterations: 0 }))).rejects.toThrow(
      /Cannot resume .*reward \(source text hash\).*acceptChanged: \['reward'\]/s,
    );
    expect(await readFile(path, 'utf8')).toBe(before);
    const fixed = await iterate(options(provider, { journal: path, resume: { acceptChanged: ['reward'] }, iterations: 0 }));
    expect(provider.calls).toHaveLength(0);
    expect(fixed.resumed?.rescored).toBe(12);
    expect(canonical(fixed)).toEqual(canonical(await iterate(options(deterministic(), { iterations: 0 }))));
    // The rescored samples were journaled again; the latest record wins.
    const journal = await readJournal(path);
    expect([...journal.samples.values()].every((sample) => sample.ok)).toBe(true);
    expect(journal.records.filter((record) => record.type === 'resume')).toMatchObject([{ accepted: [{ field: 'reward' }] }]);
  });
});
