import { describe, expect, it } from 'vitest';
import type { IterateOptions } from 'pauper';
import { bestOfN, ConfigError, estimate, evaluate, fewShotMessages, iterate, scripted, topK } from 'pauper';
import { z } from 'zod';

const valid: IterateOptions<string> = { provider: scripted(['ok']), tasks: ['a'], reward: () => 1 };

/** Calls iterate with one option replaced and returns the ConfigError its Run rejects with. */
async function rejection(patch: Record<string, unknown>): Promise<ConfigError> {
  try {
    await iterate({ ...valid, ...patch, iterations: 0, ...patch } as IterateOptions<string>);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`iterate accepted ${JSON.stringify(Object.keys(patch))}`);
}

describe('iterate validates its options up front', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a missing provider', { provider: undefined }, 'provider'],
    ['a provider without sample()', { provider: { name: 'x' } }, 'provider'],
    ['a missing reward', { reward: undefined }, 'reward'],
    ['a reward that is not a function', { reward: 3 }, 'reward'],
    ['both reward and rollout', { rollout: () => 1 }, 'rollout'],
    ['empty tasks', { tasks: [] }, 'tasks'],
    ['tasks that are not an array', { tasks: 'abc' }, 'tasks'],
    ['evalTasks that are not an array', { evalTasks: {} }, 'evalTasks'],
    ['negative samples', { samples: -1 }, 'samples'],
    ['zero samples', { samples: 0 }, 'samples'],
    ['non-integer samples', { samples: 2.5 }, 'samples'],
    ['negative iterations', { iterations: -1 }, 'iterations'],
    ['non-integer iterations', { iterations: 1.5 }, 'iterations'],
    ['keep below 1', { keep: 0 }, 'keep'],
    ['keep together with select', { keep: 2, select: topK(2) }, 'keep'],
    ['a select that is not a function', { select: 'top' }, 'select'],
    ['temperature above 2', { temperature: 2.5 }, 'temperature'],
    ['negative temperature', { temperature: -0.1 }, 'temperature'],
    ['NaN temperature', { temperature: Number.NaN }, 'temperature'],
    ['concurrency below 1', { concurrency: 0 }, 'concurrency'],
    ['non-integer concurrency', { concurrency: 1.5 }, 'concurrency'],
    ['rewardConcurrency below 1', { rewardConcurrency: 0 }, 'rewardConcurrency'],
    ['a non-integer seed', { seed: 0.5 }, 'seed'],
    ['a negative seed', { seed: -1 }, 'seed'],
    ['a seed above 2^32 - 1', { seed: 2 ** 32 }, 'seed'],
    ['negative maxErrors', { maxErrors: -1 }, 'maxErrors'],
    ['maxOutputTokens below 1', { maxOutputTokens: 0 }, 'maxOutputTokens'],
    ['an unknown pool policy', { pool: 'best' }, 'pool'],
    ['a signal that is not an AbortSignal', { signal: {} }, 'signal'],
    ['onEvent that is not a function', { onEvent: 'log' }, 'onEvent'],
    ['a schema that is not a Standard Schema', { schema: { parse: () => 1 } }, 'schema'],
    ['a fold that is not a function', { fold: 'few-shot' }, 'fold'],
    ['prompt together with fold', { prompt: () => [], fold: fewShotMessages() }, 'prompt'],
    ['a non-boolean excludeOwnTask', { excludeOwnTask: 'yes' }, 'excludeOwnTask'],
    ['a non-string system prompt', { system: 42 }, 'system'],
  ];

  for (const [what, patch, option] of cases) {
    it(`rejects ${what}, naming \`${option}\` and the value`, async () => {
      const error = await rejection(patch);
      expect(error.option).toBe(option);
      expect(error.message).toContain(`\`${option}\``);
      expect(error.value).toBe(option in patch ? patch[option] : (valid as unknown as Record<string, unknown>)[option]);
    });
  }

  it('names the value given in the message', async () => {
    expect((await rejection({ samples: -3 })).message).toBe('Invalid option `samples`: expected an integer of at least 1, got -3.');
    expect((await rejection({ pool: 'best' })).message).toContain('got "best"');
  });

  it('accepts a zod schema, Infinity maxErrors and zero iterations', () => {
    expect(() => iterate({ ...valid, schema: z.string(), maxErrors: Number.POSITIVE_INFINITY, iterations: 0 })).not.toThrow();
  });
});

describe('option names', () => {
  it('a misspelled option is a ConfigError suggesting the nearest name, not a silent default', async () => {
    const error = await rejection({ sample: 8 });
    expect(error.option).toBe('sample');
    expect(error.message).toBe('Invalid option `sample`: expected a known option of iterate() (did you mean `samples`?), got 8.');
    expect((await rejection({ maxTokens: 50 })).message).toContain('the output cap is `maxOutputTokens`');
    expect((await rejection({ prices: {} })).message).toContain('give them to the provider');
  });

  it('an option of another entry point, spread in, is named with where it belongs', async () => {
    const shared = { ...valid, evalTasks: ['held'], iterations: 2 };
    await expect(evaluate({ ...shared })).rejects.toThrow('Invalid option `evalTasks`: expected no `evalTasks` in evaluate(): it is an option of iterate()');
    await expect(bestOfN({ ...valid, task: 'a', tasks: ['a'] } as never)).rejects.toThrow(/no `tasks` in bestOfN\(\): it is an option of iterate\(\) and evaluate\(\)/);
    expect(() => estimate({ ...valid, examples: [] } as never)).toThrow(/no `examples` in estimate\(\)/);
  });

  it('a refused option reaches await, .catch and for await alike', async () => {
    const bad = { ...valid, samples: 0 };
    await expect(iterate(bad)).rejects.toBeInstanceOf(ConfigError);
    const caught = await iterate(bad).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(ConfigError);
    const looped = await (async () => {
      for await (const _ of iterate(bad)) return 'iterated';
      return 'ended';
    })().catch((error: unknown) => error);
    expect(looped).toBeInstanceOf(ConfigError);
  });
});

describe('what a prompt builder returns', () => {
  it('is checked before any request: not messages, a role providers reject, content that is not text', async () => {
    const cases: [unknown, RegExp][] = [
      [42, /`prompt`: expected an array of messages for tasks\[1\], got 42/],
      [[{ role: 'developer', content: 'x' }], /role 'system', 'user' or 'assistant' for tasks\[1\] \(message 0 has role "developer"\)/],
      [[{ role: 'user', content: ['x'] }], /string content for tasks\[1\] \(message 0 has object\)/],
    ];
    for (const [returned, message] of cases) {
      const provider = scripted(['ok']);
      const prompt = (task: string) => (task === 'b' ? returned : [{ role: 'user', content: task }]) as never;
      const error = await iterate({ provider, tasks: ['a', 'b'], prompt, reward: () => 1, iterations: 0 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect(provider.calls).toHaveLength(0);
    }
  });

  it('refuses a held-out task\'s bad prompt before any training task is sampled, naming the task and the message', async () => {
    const provider = scripted(['ok']);
    const prompt = (task: string) => [{ role: 'user' as const, content: task }, ...(task === 'held' ? [{ role: 'developer', content: 'x' } as never] : [])];
    const run = iterate({ provider, tasks: ['a'], evalTasks: ['held'], prompt, reward: () => 1, iterations: 0 });
    await expect(run).rejects.toThrow(/for evalTasks\[0\] \(message 1 has role "developer"\)/);
    expect(provider.calls).toHaveLength(0);
  });
});
