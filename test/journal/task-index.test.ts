import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from 'pauper';
import { iterate, readJournal } from 'pauper';
import { loadJournal } from '../../src/journal/read.js';
import { readTask } from '../../src/journal/task-index.js';
import { canonical } from '../fixtures/canonical.js';
import { deterministic, options } from '../fixtures/journal-run.js';

// A resumed run holds no journaled sample beyond the tasks it is working on: opening the journal
// indexes where each task's records are, and a task's records are read (by position) when the task
// starts. The result must be the uninterrupted run's.

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-task-index-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

/** The prototype of the file handles `fs/promises.open` gives: positional reads go through its `read`. */
async function fileHandlePrototype(): Promise<{ read: (...args: unknown[]) => Promise<{ bytesRead: number }> }> {
  const handle = await open(join(directory, 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as { read: (...args: unknown[]) => Promise<{ bytesRead: number }> };
}

describe('journal: a resume reads each task when it starts', () => {
  it('opens a journal holding no sample or completion record, only where each task’s are', async () => {
    const path = join(directory, 'run.jsonl');
    await iterate(options(deterministic(), { journal: path }));
    const whole = await readJournal(path);

    const { journal, index } = await loadJournal(path, { lean: true });
    expect(journal.samples.size).toBe(0);
    expect(journal.completions.size).toBe(0);
    expect(journal.records.some((record) => record.type === 'sample' || record.type === 'completion')).toBe(false);
    expect(index?.samples()).toBe(whole.samples.size);
    // Three iterations (0, 1, 2) of three training tasks and one held-out task.
    expect([...(index?.tasks() ?? [])]).toHaveLength(12);

    // Each task read back holds exactly the latest records of its samples, field for field.
    const task = index?.take('train', 1, 2);
    expect(task).toBeDefined();
    const held = await readTask(path, task!);
    const ofTask = (id: string) => id.startsWith('train/1/2/');
    expect([...held.samples.values()]).toEqual([...whole.samples.values()].filter((sample) => ofTask(sample.id)));
    expect([...held.completions.keys()]).toEqual([...whole.completions.keys()].filter(ofTask));
    expect(index?.take('train', 1, 2)).toBeUndefined();
  });

  it('reads a task’s records by position as the task starts, and resumes to the uninterrupted result', async () => {
    const full = join(directory, 'full.jsonl');
    const reference = await iterate(options(deterministic(), { journal: full }));
    const lines = (await readFile(full, 'utf8')).split('\n');
    const crashed = join(directory, 'crashed.jsonl');
    // A crash two thirds in: the first iterations' tasks are journaled, the last ones in part or not at all.
    await writeFile(crashed, `${lines.slice(0, Math.floor((lines.length * 2) / 3)).join('\n')}\n`);
    const { index } = await loadJournal(crashed, { lean: true });
    const journaledTasks = [...(index?.tasks() ?? [])].length;

    const order: string[] = [];
    const prototype = await fileHandlePrototype();
    const read = prototype.read;
    vi.spyOn(prototype, 'read').mockImplementation(function (this: unknown, ...args: unknown[]) {
      order.push('read');
      return read.apply(this, args);
    });
    const onEvent = (event: RunEvent<string, string, { digits: string }>) => {
      if (event.type === 'sample' && event.restored === true) order.push(`restored ${event.trajectory.split}/${event.trajectory.iteration}/${event.trajectory.taskIndex}`);
    };
    const provider = deterministic();
    const resumed = await iterate(options(provider, { journal: crashed, resume: true, onEvent, concurrency: 1 }));

    expect(canonical(resumed)).toEqual(canonical(reference));
    expect(resumed.resumed?.restored).toBeGreaterThan(0);
    // One positional read per journaled task (each is small), none up front: the first task's
    // samples are restored before the last task is read.
    expect(order.filter((entry) => entry === 'read')).toHaveLength(journaledTasks);
    expect(order.indexOf('restored train/0/0')).toBeLessThan(order.lastIndexOf('read'));
    expect(order[0]).toBe('read');
    const journal = await readJournal(crashed);
    const resume = journal.records.find((record) => record.type === 'resume');
    expect(resume).toMatchObject({ journaled: index?.samples() });
  });
});
