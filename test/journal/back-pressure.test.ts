import { appendFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunOptions } from 'pauper';
import { JournalError, readJournal, scripted } from 'pauper';
import { resolveRunOptions } from '../../src/blocks/options.js';
import { openJournal, type OpenJournal } from '../../src/journal/open.js';
import type { WriterOptions } from '../../src/journal/write.js';
import { createRunControl } from '../../src/run/control.js';
import { collect } from '../../src/stages/collect.js';
import { zeroUsage } from '../../src/core/usage.js';

// A run's collect step on a journal whose appends go through a seam: slow, or failing.

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-back-pressure-'));
});

const tasks = ['a', 'b', 'c', 'd'];
const config = { seed: 3, resume: { test: 'back-pressure' }, config: {}, tasks, evalTasks: [], sources: {}, acceptChanged: [] };
const reply = (task: string, index: number): string => `${task}:${index}:`.padEnd(1000, 'x');
const provider = () => scripted((request, { index }) => reply(request.messages.at(-1)?.content ?? '', index), { capabilities: { nativeN: false } });
const singleShot: RunOptions<string> = { provider: provider(), reward: () => 1, samples: 50, concurrency: 4 };
const episodes: RunOptions<string> = {
  provider: provider(),
  rollout: async ({ act }) => {
    await act('first');
    await act('second');
    return 1;
  },
  samples: 50,
  concurrency: 4,
};

/** Collects iteration 0 of `options` on a journal at `path` opened with `writer` (`opened` sees it first); the journal is closed after. */
async function collectOn(path: string, options: RunOptions<string>, writer: WriterOptions, resume = false, opened?: (journal: OpenJournal) => void) {
  const resolved = resolveRunOptions(options, { name: 'test', options: [] });
  const journal = await openJournal(path, resume, config, writer);
  opened?.(journal);
  const control = createRunControl({ ...resolved, journal });
  try {
    const trajectories = await collect(resolved.settings, control, tasks, [], { split: 'train', iteration: 0 });
    await journal.flush();
    return { journal, control, trajectories };
  } finally {
    await journal.close();
  }
}

describe('journal: back-pressure on a slow disk', () => {
  it.each([
    ['single-shot samples', singleShot, 4 * 1024],
    ['episodes', episodes, 16 * 1024],
  ])('%s: the queue stays under the high-water mark plus what the requests in flight return, every record whole and in order', async (_name, options, mark) => {
    const path = join(directory, 'slow.jsonl');
    let journal: OpenJournal | undefined;
    // The most characters waiting to be written, seen as each request starts and each append begins.
    let queued = 0;
    const watch = (): void => {
      queued = Math.max(queued, journal?.unwritten() ?? 0);
    };
    const model = options.provider;
    const watched = { ...model, sample: (...call: Parameters<typeof model.sample>) => (watch(), model.sample(...call)) };
    const slowDisk: WriterOptions = {
      highWaterMark: mark,
      // A disk far slower than the model: each append waits 3 ms first.
      append: async (file, text) => {
        watch();
        await sleep(3);
        await appendFile(file, text);
      },
    };
    const { trajectories } = await collectOn(path, { ...options, provider: watched }, slowDisk, false, (opened) => (journal = opened));

    const read = await readJournal(path);
    expect(read.warnings).toEqual([]);
    expect(read.samples.size).toBe(tasks.length * 50);
    expect(trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    const longest = (type: string) => Math.max(0, ...read.records.filter((record) => record.type === type).map((record) => JSON.stringify(record).length + 1));
    expect(queued).toBeGreaterThan(mark);
    // Past the mark no request starts; what the 4 requests in flight return is still journaled. A
    // single-shot sample is scored (and journaled) as its completion arrives, so no more than the
    // requests in flight add; an episode's sample, once its last turn returns (a task's 50 may end together).
    const inFlight = 4 * longest('completion') + (options.rollout === undefined ? 4 : 50) * longest('sample');
    expect(queued).toBeLessThanOrEqual(mark + inFlight);
    // In order: each prompt before its first use, each completion before its sample.
    const seen = new Set<string>();
    for (const record of read.records) {
      if (record.type === 'prompt') seen.add(record.hash);
      if (record.type === 'completion' || record.type === 'sample') expect(seen.has(record.promptHash)).toBe(true);
      if (record.type === 'completion') seen.add(record.id);
      if (record.type === 'sample' && options.rollout === undefined) expect(seen.has(record.id)).toBe(true);
    }
  });
});

describe('journal: a failed write', () => {
  it('rejects the run with a JournalError, keeps nothing more in memory, and leaves a journal that resumes', async () => {
    const path = join(directory, 'full.jsonl');
    let appends = 0;
    let journal: OpenJournal | undefined;
    const fullDisk: WriterOptions = {
      // The disk fills up at the third append.
      append: async (file, text) => {
        if (++appends >= 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        await appendFile(file, text);
      },
    };
    const error = await collectOn(path, singleShot, fullDisk, false, (opened) => (journal = opened)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(JournalError);
    expect((error as Error).message).toMatch(/could not write the journal \(ENOSPC.*resume: true/);
    // What was queued is let go, and what comes after is not kept.
    expect(journal?.unwritten()).toBe(0);
    const runEnd = { iterations: [], best: undefined, examples: [], trajectories: [], usage: zeroUsage, costUsd: 0, byProvider: [], wallTimeMs: 0, seed: 0, stopped: undefined, resumed: undefined };
    for (let record = 0; record < 100; record++) journal?.end(runEnd);
    expect(journal?.unwritten()).toBe(0);
    await expect(journal?.flush()).rejects.toBe(error);

    const written = await readJournal(path);
    expect(written.warnings).toEqual([]);
    const resumed = await collectOn(path, { ...singleShot, provider: provider() }, {}, true);
    const reference = await collectOn(join(directory, 'reference.jsonl'), { ...singleShot, provider: provider() }, {});
    // The completions on disk before the failure are scored now (those whose sample was not journaled), without a request.
    expect(written.completions.size).toBeGreaterThan(0);
    const unscored = [...written.completions.keys()].filter((id) => !written.samples.has(id)).length;
    expect(resumed.control.resumed.rescored).toBe(unscored);
    expect(resumed.control.resumed.restored).toBe(written.completions.size);
    expect(resumed.trajectories.map(({ latencyMs: _latency, ...rest }) => rest)).toEqual(reference.trajectories.map(({ latencyMs: _latency, ...rest }) => rest));
    expect((await readJournal(path)).samples.size).toBe(tasks.length * 50);
  });
});
