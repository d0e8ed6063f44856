import { describe, expect, it } from 'vitest';
import { ConfigError, inContextLearner, iterate } from 'pauper';

describe('inContextLearner', () => {
  it('samples from its alphabet and length range when its prompt has no examples', async () => {
    const provider = inContextLearner({ alphabet: 'xyz', minLength: 3, maxLength: 5 });
    const { completions } = await provider.sample({ messages: [{ role: 'user', content: 'go' }], seed: 1 }, { n: 50 });
    expect(completions).toHaveLength(50);
    for (const { text } of completions) {
      expect(text).toMatch(/^[xyz]{3,5}$/);
    }
  });

  it('imitates the assistant turns of the examples in its prompt', async () => {
    const provider = inContextLearner({ alphabet: 'ab', exploration: 0 });
    const messages = [
      { role: 'user' as const, content: 'q' },
      { role: 'assistant' as const, content: 'abba' },
      { role: 'user' as const, content: 'q' },
      { role: 'assistant' as const, content: 'abba' },
      { role: 'user' as const, content: 'q' },
    ];
    const { completions } = await provider.sample({ messages, cachePrefixLength: 4, temperature: 1, seed: 3 }, { n: 10 });
    expect(completions.map((completion) => completion.text)).toEqual(Array(10).fill('abba'));
  });

  it('is deterministic for a seed and varies across seeds', async () => {
    const provider = inContextLearner({ alphabet: 'abcdef' });
    const request = { messages: [{ role: 'user' as const, content: 'go' }] };
    const first = await provider.sample({ ...request, seed: 5 }, { n: 4 });
    const second = await provider.sample({ ...request, seed: 5 }, { n: 4 });
    const other = await provider.sample({ ...request, seed: 6 }, { n: 4 });
    expect(second.completions).toEqual(first.completions);
    expect(other.completions).not.toEqual(first.completions);
  });

  it('is greedy at temperature 0', async () => {
    const provider = inContextLearner();
    const messages = [
      { role: 'user' as const, content: 'q' },
      { role: 'assistant' as const, content: 'aaa' },
      { role: 'user' as const, content: 'q' },
      { role: 'assistant' as const, content: 'aaa' },
      { role: 'user' as const, content: 'q' },
      { role: 'assistant' as const, content: 'abb' },
      { role: 'user' as const, content: 'q' },
    ];
    const { completions } = await provider.sample({ messages, cachePrefixLength: 6, temperature: 0, seed: 1 }, { n: 3 });
    expect(completions.map((completion) => completion.text)).toEqual(['aaa', 'aaa', 'aaa']);
  });

  it('rejects invalid options', () => {
    expect(() => inContextLearner({ order: 0 })).toThrow(ConfigError);
    expect(() => inContextLearner({ alphabet: '' })).toThrow(/alphabet/);
    expect(() => inContextLearner({ minLength: 5, maxLength: 3 })).toThrow(/maxLength/);
    expect(() => inContextLearner({ exploration: 2 })).toThrow(/exploration/);
  });

  it('learns in context: on a toy task the last iteration beats the zero-shot baseline', async () => {
    // Reward: how many of the first eight characters are 'a'. Random strings over 'abcd' score about 2 of 8.
    const reward = (sample: { text: string }) => [...sample.text.slice(0, 8)].filter((character) => character === 'a').length;
    const run = await iterate({
      provider: inContextLearner({ alphabet: 'abcd', minLength: 8, maxLength: 8 }),
      tasks: ['write eight letters', 'eight letters, please', 'letters: eight'],
      reward,
      samples: 8,
      iterations: 6,
      keep: 4,
      seed: 11,
    });
    const means = run.iterations.map((iteration) => iteration.train.mean ?? 0);
    expect(means.at(-1)).toBeGreaterThan(means[0]! + 2);
  });
});
