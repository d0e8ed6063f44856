import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bestOfN, ConfigError, evaluate, iterate, scripted } from 'pauper';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-tasks-'));
});

/** Three good tasks, then `bad` at index 3: the error must name index 3, and nothing may be requested first. */
function tasksWith(bad: unknown): unknown[] {
  return [{ board: 1 }, { board: 2 }, { board: 3 }, bad];
}

/** Runs `iterate` on the tasks and returns what it rejected with, the provider's request count and whether the journal was made. */
async function refusal(tasks: unknown[], extra: Record<string, unknown> = {}) {
  const provider = scripted(['ok']);
  const error = await iterate({ provider, tasks, reward: () => 1, iterations: 0, ...extra }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error: error as ConfigError, requests: provider.calls.length };
}

function cyclic(): unknown {
  const task: Record<string, unknown> = { name: 'loop', inner: {} };
  (task.inner as Record<string, unknown>).parent = task;
  return task;
}

// What JSON cannot hold, or would change without a word; the path inside task 3; what the message says of it.
const kinds: [string, unknown, string, RegExp][] = [
  ['a BigInt', { board: 10n }, 'tasks[3].board', /not a BigInt, which JSON cannot hold .*got 10n\./],
  ['a cycle', cyclic(), 'tasks[3].inner.parent', /not a cycle back to tasks\[3\], which JSON cannot hold/],
  ['a function field', { board: 1, score: () => 1 }, 'tasks[3].score', /not a function, which JSON leaves out/],
  ['a symbol field', { board: Symbol('b') }, 'tasks[3].board', /not a symbol, which JSON leaves out .*got Symbol\(b\)\./],
  ['an undefined field', { board: 1, note: undefined }, 'tasks[3].note', /not undefined, which JSON leaves out/],
  ['undefined in an array', { rows: [1, undefined] }, 'tasks[3].rows[1]', /not undefined, which JSON leaves out \(or writes as null in an array\)/],
  ['a hole in a nested array', { rows: [1, , 3] }, 'tasks[3].rows[1]', /not a hole of a sparse array, which JSON writes as null/],
  ['NaN', { board: Number.NaN }, 'tasks[3].board', /not NaN, which JSON writes as null/],
  ['a Map', { cells: new Map([[1, 'x']]) }, 'tasks[3].cells', /not a Map, which JSON writes as \{\}/],
  ['an odd key', { 'two words': 10n }, 'tasks[3]["two words"]', /BigInt/],
];

describe('tasks that JSON cannot hold are a ConfigError naming the task and the path, before any request', () => {
  for (const [kind, task, path, message] of kinds) {
    it(`${kind}, with the default rendering`, async () => {
      const { error, requests } = await refusal(tasksWith(task));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.option).toBe(path);
      expect(error.message).toContain(`Invalid option \`${path}\`: expected a JSON value`);
      expect(error.message).toMatch(message);
      expect(error.message).toContain('the default rendering shows a task as JSON: convert the value, or give `render` or `prompt`');
      expect(requests).toBe(0);
    });

    it(`${kind}, with a journal and a custom render`, async () => {
      const journal = join(directory, `${kind.replaceAll(' ', '-')}.jsonl`);
      const { error, requests } = await refusal(tasksWith(task), { journal, render: () => 'task' });
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.option).toBe(path);
      expect(error.message).toMatch(message);
      expect(error.message).toContain('a `journal` keeps a hash of the tasks as JSON');
      expect(requests).toBe(0);
      expect(existsSync(journal)).toBe(false);
    });
  }

  it('names evalTasks, evaluate() tasks and bestOfN() task the same way', async () => {
    const { error, requests } = await refusal(['a'], { evalTasks: tasksWith({ board: 10n }) });
    expect(error.option).toBe('evalTasks[3].board');
    expect(requests).toBe(0);
    const provider = scripted(['ok']);
    await expect(evaluate({ provider, tasks: tasksWith({ board: 10n }), reward: () => 1 })).rejects.toThrow('Invalid option `tasks[3].board`');
    await expect(bestOfN({ provider, task: { board: { size: 10n } }, reward: () => 1 })).rejects.toThrow('Invalid option `task.board.size`');
    expect(provider.calls).toHaveLength(0);
  });
});

describe('tasks that need not be JSON', () => {
  it('may hold functions, cycles and undefined fields with a custom render and no journal (a class instance, say)', async () => {
    class Maze {
      readonly self = this;
      readonly hint = undefined;
      constructor(readonly size: bigint) {}
      readonly describe = () => `a maze of ${this.size}`;
    }
    const provider = scripted(['ok']);
    const run = await iterate({ provider, tasks: [new Maze(3n), new Maze(4n)], render: (maze) => maze.describe(), reward: () => 1, samples: 1, iterations: 0 });
    expect(run.trajectories).toHaveLength(2);
    expect(provider.calls.map((call) => call.request.messages.at(-1)?.content)).toEqual(['a maze of 3', 'a maze of 4']);
  });

  it('may hold anything with a rollout and no journal: the default rendering shows nothing of the task', async () => {
    const provider = scripted(['ok']);
    const run = await iterate({ provider, tasks: [{ size: 3n }], rollout: async ({ act }) => (await act('go')).length, samples: 1, iterations: 0 });
    expect(run.trajectories[0]?.ok).toBe(true);
  });

  it('a Date with the default rendering is JSON (its toJSON is used)', async () => {
    const provider = scripted(['ok']);
    await iterate({ provider, tasks: [{ due: new Date(0) }], reward: () => 1, samples: 1, iterations: 0 });
    expect(provider.calls[0]?.request.messages.at(-1)?.content).toContain('1970-01-01T00:00:00.000Z');
  });
});

describe('a sparse task array', () => {
  it('is a ConfigError naming the hole, whatever the rendering and with no journal', async () => {
    // eslint-disable-next-line no-sparse-arrays
    const holey = ['a', 'b', , 'd'];
    for (const extra of [{}, { render: (task: string) => task }, { prompt: (task: string) => [{ role: 'user' as const, content: task }] }]) {
      const { error, requests } = await refusal(holey, extra);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(
        'Invalid option `tasks[2]`: expected a task at every index, not a hole of a sparse array (build the list with push or map, or filter out the holes), got undefined.',
      );
      expect(requests).toBe(0);
    }
  });
});
