import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IterateOptions, IterationResult, JournalSample, RunResult, Selector } from 'pauper';
import { ConfigError, fromFunction, iterate, loadRun, perTask, pipe, readSamples, stochastic, threshold, topK, TrajectoriesNotKeptError } from 'pauper';
import { lastUser } from '../fixtures/journal-run.js';

// `trajectories: 'journal'`: a run leaves its trajectories in its journal. Its result must hold the
// same statistics, kept sets and best trajectory as a run that keeps them, its journal the same
// samples, and its report the same numbers.

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-streamed-'));
});

type Info = { readonly digits: number };

/** Replies that vary with the task, seed and sample; every seventh reply fails its reward, and each call is priced. */
const provider = () =>
  fromFunction((request) => `${lastUser(request)}:${(request.seed ?? 0) % 997}`, { costPerCall: 0.000_123 });
const reward = (sample: { text: string }): { score: number; info: Info } => {
  const digits = Number(sample.text.split(':')[1]);
  if (digits % 7 === 0) throw new Error(`no reward for ${digits}`);
  return { score: (digits % 13) / 3, info: { digits } };
};
const base = (journal: string, extra: Partial<IterateOptions<string, string, Info>> = {}): IterateOptions<string, string, Info> => ({
  provider: provider(),
  tasks: ['a', 'b', 'c', 'd', 'e'],
  evalTasks: ['x', 'y'],
  reward,
  samples: 12,
  iterations: 2,
  seed: 11,
  maxErrors: Number.POSITIVE_INFINITY,
  progress: false,
  journal,
  ...extra,
});

/** What both kinds of run must agree on, without wall times. */
function comparable(result: RunResult<string, string, Info>) {
  const iteration = (item: IterationResult<string, string, Info>) => ({
    iteration: item.iteration,
    examples: item.examples.map((example) => example.id),
    kept: item.kept.map((example) => [example.id, example.reward, example.text, example.info]),
    train: { ...item.train, wallTimeMs: 0 },
    eval: item.eval === undefined ? undefined : { ...item.eval, wallTimeMs: 0 },
    usage: item.usage,
    costUsd: item.costUsd,
  });
  return {
    iterations: result.iterations.map(iteration),
    best: result.best?.id,
    examples: result.examples.map((example) => example.id),
    usage: result.usage,
    costUsd: result.costUsd,
    stopped: result.stopped,
  };
}

/** A sample as both journals hold it, without times and latencies. */
const sampleOf = ({ time: _time, latencyMs: _latency, ...rest }: JournalSample) => rest;

const selectors: [string, () => Selector<string, string, Info> | undefined][] = [
  ['topK (the default)', () => undefined],
  ['perTask', () => perTask(2)],
  ['a pipe starting with topK', () => pipe(topK(6), stochastic(0.5))],
  ['threshold, which needs the whole pool', () => threshold(2)],
];

describe("trajectories: 'journal'", () => {
  it.each(selectors)('gives the statistics, kept sets and best of a run that keeps its trajectories, with %s', async (_name, select) => {
    const selection = (): Partial<IterateOptions<string, string, Info>> => {
      const selector = select();
      return selector === undefined ? {} : { select: selector };
    };
    const kept = await iterate(base(join(directory, 'kept.jsonl'), selection()));
    const streamed = await iterate(base(join(directory, 'streamed.jsonl'), { ...selection(), trajectories: 'journal' }));
    expect(kept.trajectories.some((trajectory) => !trajectory.ok)).toBe(true);
    expect(kept.iterations.at(-1)?.kept.length).toBeGreaterThan(0);
    expect(comparable(streamed)).toEqual(comparable(kept));
  });

  it('leaves in the journal the samples the kept run holds, read back one at a time', async () => {
    const kept = await iterate(base(join(directory, 'kept.jsonl')));
    const path = join(directory, 'streamed.jsonl');
    await iterate(base(path, { trajectories: 'journal' }));
    const samples: JournalSample[] = [];
    for await (const sample of readSamples(path)) samples.push(sample);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(samples.map(({ id, ok, reward, text, turns, info }) => ({ id, ok, reward, text, turns, info })).sort(byId)).toEqual(
      kept.trajectories
        .map(({ id, ok, reward, text, turns, ...rest }) => ({ id, ok, reward, text, turns, info: 'info' in rest ? rest.info : undefined }))
        .sort(byId),
    );
    const first: string[] = [];
    for await (const sample of readSamples(path, { iteration: 1, split: 'eval' })) first.push(sample.id);
    expect(first.sort()).toEqual(kept.iterations[1]?.trajectories.filter((t) => t.split === 'eval').map((t) => t.id).sort());
  });

  it('refuses to give trajectories it did not keep, naming the journal and how to read them', async () => {
    const path = join(directory, 'streamed.jsonl');
    const run = await iterate(base(path, { trajectories: 'journal', iterations: 0 }));
    expect(() => run.trajectories).toThrow(TrajectoriesNotKeptError);
    expect(() => run.trajectories).toThrow(`readSamples(${JSON.stringify(path)})`);
    const iteration = run.iterations[0];
    expect(() => iteration?.trajectories).toThrow(`readSamples(${JSON.stringify(path)}, { iteration: 0 })`);
    expect((() => {
      try {
        return iteration?.trajectories;
      } catch (error) {
        return error;
      }
    })()).toMatchObject({ journal: path, iteration: 0 });
    // Logging or copying a result does not trip over it.
    expect(JSON.parse(JSON.stringify(run)).iterations).toHaveLength(1);
    expect({ ...run }).not.toHaveProperty('trajectories');
  });

  it('is refused without a journal, and an unknown value is refused', async () => {
    const options = { provider: provider(), tasks: ['a'], reward: () => 1, progress: false } as const;
    await expect(iterate({ ...options, trajectories: 'journal' })).rejects.toThrow(ConfigError);
    await expect(iterate({ ...options, trajectories: 'journal' })).rejects.toThrow(/trajectories.*a `journal` path/);
    // @ts-expect-error: not a trajectory store
    await expect(iterate({ ...options, trajectories: 'disk', journal: join(directory, 'j.jsonl') })).rejects.toThrow(/'memory' or 'journal'/);
  });

  it('resumes a crashed run to the same result, requesting nothing journaled, and the report reads the same numbers', async () => {
    const keptPath = join(directory, 'kept.jsonl');
    const kept = await iterate(base(keptPath));
    const full = join(directory, 'full.jsonl');
    await iterate(base(full, { trajectories: 'journal' }));
    const lines = (await readFile(full, 'utf8')).split('\n');
    // Cut in the middle of iteration 1, with a partial line, as a crash would.
    const cut = lines.findIndex((line) => line.includes('"type":"iteration"')) + 40;
    const crashed = join(directory, 'crashed.jsonl');
    await writeFile(crashed, `${lines.slice(0, cut).join('\n')}\n{"v":2,"type":"sam`);
    let calls = 0;
    const counted = provider();
    const resumed = await iterate(
      base(crashed, { trajectories: 'journal', resume: true, provider: { ...counted, sample: (...call: Parameters<typeof counted.sample>) => (calls++, counted.sample(...call)) } }),
    );
    expect(comparable(resumed)).toEqual(comparable(kept));
    const journaled = lines.slice(0, cut).filter((line) => line.includes('"type":"completion"')).length;
    expect(resumed.resumed?.restored).toBe(journaled);
    expect(calls).toBe(kept.trajectories.length - journaled);

    const [fromKept, fromStreamed] = await Promise.all([loadRun(keptPath), loadRun(crashed)]);
    const numbers = (summary: typeof fromKept) =>
      summary.iterations.map(({ train, eval: held, usage, costUsd, cumulative, kept: ids, complete }) => ({ train, eval: held, usage, costUsd, cumulative, ids, complete }));
    expect(numbers(fromStreamed)).toEqual(numbers(fromKept));
    const samples: JournalSample[] = [];
    for await (const sample of readSamples(crashed)) samples.push(sample);
    expect(samples.map(sampleOf).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([...fromStreamed.samples.values()].map(sampleOf).sort((a, b) => (a.id < b.id ? -1 : 1)));
  });
});
