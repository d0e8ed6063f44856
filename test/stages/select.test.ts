import { describe, expect, it } from 'vitest';
import {
  byReward,
  ConfigError,
  createRng,
  dedupe,
  perTask,
  pipe,
  positiveOnly,
  stochastic,
  threshold,
  topK,
  type Selector,
} from 'pauper';
import { excludeTask, selectionPool } from '../../src/stages/select.js';
import { example } from '../helpers.js';

const context = { iteration: 1, rng: createRng(7) };
const pool = [
  example({ reward: 0.5, index: 0 }),
  example({ reward: 2, index: 1 }),
  example({ reward: -1, index: 2 }),
  example({ reward: 1, index: 3, taskIndex: 1, taskId: 'train/1' }),
  example({ reward: 0, index: 4, taskIndex: 1, taskId: 'train/1' }),
];

describe('topK', () => {
  it('keeps what sorting the whole pool would, in its order, for a few kept and for many', () => {
    const rng = createRng(3);
    // Few distinct rewards: many ties, broken by iteration, task and index.
    const many = Array.from({ length: 400 }, (_, i) =>
      example({ reward: Math.floor(rng() * 5), iteration: Math.floor(rng() * 3), taskIndex: Math.floor(rng() * 4), index: i % 50 }),
    );
    for (const k of [1, 4, 32, 33, 100, 400, 500]) {
      expect(topK(k)(many, context)).toEqual([...many].sort(byReward).slice(0, k));
    }
  });

  it('keeps the k highest rewards, best first', () => {
    expect(topK(2)(pool, context).map((kept) => kept.reward)).toEqual([2, 1]);
  });

  it('breaks ties in favour of the earlier trajectory', () => {
    const incumbent = example({ reward: 1, iteration: 0, index: 5 });
    const newcomer = example({ reward: 1, iteration: 2, index: 0 });
    expect(topK(1)([newcomer, incumbent], context)).toEqual([incumbent]);
  });

  it('returns the whole pool when it is smaller than k', () => {
    expect(topK(10)(pool, context)).toHaveLength(pool.length);
  });

  it('rejects k below 1 or fractional', () => {
    expect(() => topK(0)).toThrow(ConfigError);
    expect(() => topK(1.5)).toThrow(/topK\(k\)/);
  });
});

describe('threshold and positiveOnly', () => {
  it('threshold keeps rewards at or above the minimum', () => {
    expect(threshold(0.5)(pool, context).map((kept) => kept.reward)).toEqual([0.5, 2, 1]);
  });

  it('positiveOnly keeps rewards above zero', () => {
    expect(positiveOnly()(pool, context).map((kept) => kept.reward)).toEqual([0.5, 2, 1]);
  });

  it('nothing passing is an empty set, not an error', () => {
    expect(threshold(100)(pool, context)).toEqual([]);
  });
});

describe('stochastic', () => {
  it('keeps each candidate with the given probability', () => {
    const many = Array.from({ length: 2000 }, (_, index) => example({ reward: 1, index }));
    const kept = stochastic(0.3)(many, { iteration: 0, rng: createRng(1) });
    expect(kept.length / many.length).toBeGreaterThan(0.26);
    expect(kept.length / many.length).toBeLessThan(0.34);
  });

  it('resamples on every call and is reproducible from the seed', () => {
    const many = Array.from({ length: 50 }, (_, index) => example({ reward: 1, index }));
    const rng = createRng(3);
    const first = stochastic(0.5)(many, { iteration: 0, rng }).map((kept) => kept.index);
    const second = stochastic(0.5)(many, { iteration: 0, rng }).map((kept) => kept.index);
    expect(first).not.toEqual(second);
    const again = stochastic(0.5)(many, { iteration: 0, rng: createRng(3) }).map((kept) => kept.index);
    expect(again).toEqual(first);
  });

  it('rejects a probability outside 0..1', () => {
    expect(() => stochastic(1.5)).toThrow(ConfigError);
  });
});

describe('dedupe', () => {
  it('keeps the best trajectory of each distinct output', () => {
    const duplicates = [
      example({ reward: 1, text: 'RR', index: 0 }),
      example({ reward: 3, text: 'RR', index: 1 }),
      example({ reward: 2, text: 'DD', index: 2 }),
    ];
    expect(dedupe()(duplicates, context).map((kept) => [kept.text, kept.reward])).toEqual([
      ['RR', 3],
      ['DD', 2],
    ]);
  });

  it('keeps distinct multi-turn episodes that end with the same reply', () => {
    const episode = (first: string, reward: number, index: number) =>
      example({
        reward,
        index,
        text: 'R',
        turns: [
          { role: 'user', content: 'view' },
          { role: 'assistant', content: first },
          { role: 'user', content: 'view' },
          { role: 'assistant', content: 'R' },
        ],
      });
    const kept = dedupe()([episode('U', 1, 0), episode('D', 2, 1), episode('U', 3, 2)], context);
    expect(kept.map((candidate) => candidate.reward)).toEqual([3, 2]);
  });

  it('uses a custom key', () => {
    const byTask = dedupe((candidate) => candidate.taskId)(pool, context);
    expect(byTask.map((kept) => kept.reward)).toEqual([2, 1]);
  });
});

describe('perTask', () => {
  it('keeps the top k of every task', () => {
    expect(perTask(1)(pool, context).map((kept) => [kept.taskId, kept.reward])).toEqual([
      ['train/0', 2],
      ['train/1', 1],
    ]);
  });
});

describe('pipe', () => {
  it('applies selectors in order', () => {
    const selector = pipe(positiveOnly(), topK(2));
    expect(selector(pool, context).map((kept) => kept.reward)).toEqual([2, 1]);
  });

  it('composes a custom selector that returns the pool itself, and hands back a new array', () => {
    const keepAll: Selector<string, string, unknown> = (candidates) => candidates;
    expect(keepAll(pool, context)).toBe(pool);
    const kept = pipe(keepAll, keepAll)(pool, context);
    expect(kept).toStrictEqual(pool);
    expect(kept).not.toBe(pool);
    expect(pipe(keepAll, topK(1))(pool, context).map((example) => example.reward)).toEqual([2]);
  });
});

describe('pool policy and leakage guard', () => {
  it('elitist pools the kept set with the fresh samples; fresh uses only the new ones', () => {
    const kept = [example({ reward: 9, iteration: 0 })];
    const fresh = [example({ reward: 1, iteration: 1 })];
    expect(selectionPool('elitist', kept, fresh)).toHaveLength(2);
    expect(selectionPool('fresh', kept, fresh)).toEqual(fresh);
  });

  it('excludeTask drops the task own trajectories', () => {
    expect(excludeTask(pool, 'train/1').every((kept) => kept.taskId === 'train/0')).toBe(true);
    expect(excludeTask(pool, 'train/1')).toHaveLength(3);
  });
});
