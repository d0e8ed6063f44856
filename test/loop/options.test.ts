import { describe, expect, it } from 'vitest';
import type { IterateOptions } from 'pauper';
import { ConfigError, fewShotMessages, iterate, scripted, topK } from 'pauper';
import { z } from 'zod';

const valid: IterateOptions<string> = { provider: scripted(['ok']), tasks: ['a'], reward: () => 1 };

/** Calls iterate with one option replaced and returns the ConfigError it throws. */
function rejection(patch: Record<string, unknown>): ConfigError {
  try {
    iterate({ ...valid, ...patch } as IterateOptions<string>);
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
    it(`rejects ${what}, naming \`${option}\` and the value`, () => {
      const error = rejection(patch);
      expect(error.option).toBe(option);
      expect(error.message).toContain(`\`${option}\``);
      expect(error.value).toBe(option in patch ? patch[option] : (valid as unknown as Record<string, unknown>)[option]);
    });
  }

  it('names the value given in the message', () => {
    expect(rejection({ samples: -3 }).message).toBe('Invalid option `samples`: expected an integer of at least 1, got -3.');
    expect(rejection({ pool: 'best' }).message).toContain('got "best"');
  });

  it('accepts a zod schema, Infinity maxErrors and zero iterations', () => {
    expect(() => iterate({ ...valid, schema: z.string(), maxErrors: Number.POSITIVE_INFINITY, iterations: 0 })).not.toThrow();
  });
});
