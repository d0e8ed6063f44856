import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, iterate, JournalError, JournalMismatchError, readJournal, scripted } from 'pauper';
import { functionSources } from '../../src/blocks/journal-config.js';
import { canonical } from '../fixtures/canonical.js';
import { deterministic, options } from '../fixtures/journal-run.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-journal-'));
});

describe('journal: opening for a run', () => {
  it('refuses to append a new run to an existing journal', async () => {
    const path = join(directory, 'twice.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const again = iterate(options(deterministic(), { journal: path, iterations: 0 }));
    await expect(again).rejects.toThrow(ConfigError);
    await expect(iterate(options(deterministic(), { journal: path, iterations: 0 }))).rejects.toThrow(/resume: true/);
  });

  it('rejects resume without a journal path up front, through the Run', async () => {
    const provider = deterministic();
    await expect(iterate(options(provider, { resume: true }))).rejects.toThrow(/`resume`/);
    expect(provider.calls).toHaveLength(0);
  });

  it('rejects a resume option that is not true, false or { acceptChanged } naming fingerprinted functions', async () => {
    const provider = deterministic();
    const journal = join(directory, 'accept.jsonl');
    await expect(iterate(options(provider, { journal, resume: { acceptChanged: ['score'] } as never }))).rejects.toThrow(
      /resume\.acceptChanged.*'reward', 'rollout', 'prompt', 'render'/,
    );
    await expect(iterate(options(provider, { journal, resume: { accept: ['reward'] } as never }))).rejects.toThrow(/resume\.accept\b/);
    await expect(iterate(options(provider, { journal, resume: 'yes' as never }))).rejects.toThrow(ConfigError);
    expect(provider.calls).toHaveLength(0);
  });

  it('fingerprints a function by its code, not by how a compiler spaced it', () => {
    // Functions whose source text is given, as two compilers would print the same code.
    const hashOf = (text: string) => functionSources({ reward: Object.assign(() => 0, { toString: () => text }) }).reward;
    expect(hashOf('(sample) => score(sample.text, 2)')).toBe(hashOf('sample=>score(sample.text,2)'));
    expect(hashOf('(sample) => score(sample.text, 2)')).not.toBe(hashOf('(sample) => score(sample.text, 3)'));
  });

  it('rejects tasks a journal cannot hold up front, from iterate() itself', async () => {
    const provider = deterministic();
    const call = () => iterate({ provider, tasks: [{ id: 1n }], reward: () => 1, journal: join(directory, 'bigint.jsonl') });
    await expect(call()).rejects.toThrow(ConfigError);
    await expect(call()).rejects.toThrow(/Invalid option `tasks\[0\]\.id`: expected a JSON value, not a BigInt/);
    expect(provider.calls).toHaveLength(0);
  });

  it('names the task counts when resuming with other tasks', async () => {
    const path = join(directory, 'tasks.jsonl');
    await iterate(options(deterministic(), { journal: path, iterations: 0 }));
    const { evalTasks: _none, ...withoutHeldOut } = options(deterministic(), { journal: path, iterations: 0, resume: true });
    await expect(iterate(withoutHeldOut)).rejects.toThrow(/evalTasks: "1 task, hash [0-9a-f]+" → "none"/);
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
});

describe('a journal path that cannot hold a journal', () => {
  it('is a JournalError naming why, before the first request', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises');
    const file = join(directory, 'a-file');
    await writeFile(file, 'x');
    await mkdir(join(directory, 'a-directory.jsonl'));
    for (const [path, why] of [
      [join(directory, 'a-directory.jsonl'), /cannot be used as a journal: it is a directory/],
      [join(file, 'journal.jsonl'), /cannot be used as a journal: a parent of it is a file/],
    ] as const) {
      const provider = deterministic();
      const error = await iterate(options(provider, { journal: path, iterations: 0 })).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(JournalError);
      expect((error as Error).message).toMatch(why);
      expect(provider.calls).toHaveLength(0);
    }
  });
});

describe('one journal, one run at a time', () => {
  it('a second run on a journal in use is a JournalError naming the holder; the lock goes when the run ends', async () => {
    const path = join(directory, 'locked.jsonl');
    const slow = scripted(['x'], { delayMs: 50 });
    const first = iterate(options(slow, { journal: path, iterations: 0 }));
    const running = first.then(() => 'done');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const provider = deterministic();
    const second = await iterate(options(provider, { journal: path, iterations: 0, resume: true })).catch((caught: unknown) => caught);
    expect(second).toBeInstanceOf(JournalError);
    expect((second as Error).message).toMatch(new RegExp(`is in use by another run \\(pid ${process.pid} on .*delete ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.lock`));
    expect(provider.calls).toHaveLength(0);
    expect(await running).toBe('done');
    await expect(iterate(options(deterministic(), { journal: path, iterations: 0, resume: true }))).resolves.toBeDefined();
  });

  it("a lock left by a process that is gone (kill -9) is taken over", async () => {
    const { writeFile } = await import('node:fs/promises');
    const { hostname } = await import('node:os');
    const path = join(directory, 'stale.jsonl');
    // A pid no process has: the largest the kernel hands out is far below it.
    await writeFile(`${path}.lock`, JSON.stringify({ pid: 2 ** 30, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    await expect(iterate(options(deterministic(), { journal: path, iterations: 0 }))).resolves.toBeDefined();
  });
});
