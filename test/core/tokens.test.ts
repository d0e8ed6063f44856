import { describe, expect, it } from 'vitest';
import { encodingOf, estimate, estimatedTokens, fewShotMessages, fromFunction, iterate, messagesTokens, scripted, tokenCounterFor } from 'pauper';

describe('token counting', () => {
  it("knows the public encoding of OpenAI's models by name, and of no other model", () => {
    const encodings = Object.fromEntries(
      [
        'gpt-4o-mini',
        'gpt-4.1-nano-2025-04-14',
        'gpt-5',
        'o3-mini',
        'o4-mini',
        'chatgpt-4o-latest',
        'ft:gpt-4.1-mini:acme::abc123',
        'openai/gpt-4o',
        'gpt-4-turbo',
        'gpt-3.5-turbo',
        'text-embedding-3-small',
        'claude-haiku-4-5',
        'meta-llama/Llama-3.1-8B-Instruct',
        'gpt-oss-20b',
        'o1x',
      ].map((model) => [model, encodingOf(model) ?? null]),
    );
    expect(encodings).toEqual({
      'gpt-4o-mini': 'o200k_base',
      'gpt-4.1-nano-2025-04-14': 'o200k_base',
      'gpt-5': 'o200k_base',
      'o3-mini': 'o200k_base',
      'o4-mini': 'o200k_base',
      'chatgpt-4o-latest': 'o200k_base',
      'ft:gpt-4.1-mini:acme::abc123': 'o200k_base',
      'openai/gpt-4o': 'o200k_base',
      'gpt-4-turbo': 'cl100k_base',
      'gpt-3.5-turbo': 'cl100k_base',
      'text-embedding-3-small': 'cl100k_base',
      'claude-haiku-4-5': null,
      'meta-llama/Llama-3.1-8B-Instruct': null,
      'gpt-oss-20b': null,
      o1x: null,
    });
  });

  it("counts exactly with the model's encoding, and says when a count is an estimate", () => {
    // Counts from OpenAI's tokenizers (tiktoken gives the same): the two encodings differ on non-Latin text.
    const text = 'ĉĉĉ 🙂 日本語のテキスト';
    const o200k = tokenCounterFor('gpt-4.1-mini');
    const cl100k = tokenCounterFor('gpt-4-turbo');
    expect([o200k.encoding, o200k.exact, o200k.count(text), o200k.count('1234567890')]).toEqual(['o200k_base', true, 10, 4]);
    expect([cl100k.encoding, cl100k.exact, cl100k.count(text)]).toEqual(['cl100k_base', true, 15]);
    const claude = tokenCounterFor('claude-haiku-4-5');
    expect(claude).toBe(estimatedTokens);
    expect([claude.encoding, claude.exact, claude.count(text), claude.count('1234567890')]).toEqual(['estimate', false, 4, 3]);
    expect(tokenCounterFor(undefined)).toBe(estimatedTokens);
    expect(tokenCounterFor(42 as unknown as string)).toBe(estimatedTokens);
  });

  it('counts special-token text in content as the plain text it is to the API', () => {
    expect(tokenCounterFor('gpt-4o').count('<|endoftext|>')).toBe(7);
  });

  it('counts a conversation with 4 tokens of framing a message', () => {
    const messages = [
      { role: 'system' as const, content: 'Collect the coins.' },
      { role: 'user' as const, content: 'RIGHT RIGHT DOWN DOWN LEFT' },
    ];
    expect(messagesTokens(messages, tokenCounterFor('gpt-4o-mini'))).toBe(4 + 4 + 4 + 5);
    expect(messagesTokens(messages)).toBe(4 + 5 + 4 + 7);
  });

  it("folds examples into a run's prompts under the budget counted with its model's encoding", async () => {
    // Digits are 3 a token to OpenAI's encodings but 4 characters a token to the estimate: the
    // budget fits two of these answers by the estimate and only one by the real count.
    const answer = (digit: number): string => String(digit).repeat(30);
    const promptsFor = async (model: string): Promise<string[][]> => {
      const seen: string[][] = [];
      const provider = fromFunction(
        ({ messages }) => {
          seen.push(messages.filter((message) => message.role === 'assistant').map((message) => message.content));
          return answer(seen.length % 9);
        },
        { model },
      );
      const perExample = messagesTokens([{ role: 'user', content: 'q' }, { role: 'assistant', content: answer(1) }]);
      await iterate({
        provider,
        tasks: ['q'],
        reward: ({ text }) => Number(text[0]),
        samples: 3,
        keep: 3,
        iterations: 1,
        concurrency: 1,
        fold: fewShotMessages({ maxExampleTokens: 2 * perExample }),
      });
      return seen;
    };
    const estimated = await promptsFor('my-model');
    const exact = await promptsFor('gpt-4o-mini');
    // Iteration 0 folds nothing; iteration 1 folds what fits.
    expect(estimated.slice(0, 3)).toEqual([[], [], []]);
    expect(estimated.slice(3).map((examples) => examples.length)).toEqual([2, 2, 2]);
    expect(exact.slice(3).map((examples) => examples.length)).toEqual([1, 1, 1]);
  });

  it("estimate() counts prompt tokens with the model's encoding, and says which", () => {
    const tasks = ['日本語のテキストで答えてください', 'ĉĉĉ 🙂'];
    const options = { tasks, reward: () => 1, samples: 2, iterations: 0, maxOutputTokens: 10 };
    const exact = estimate({ ...options, provider: scripted(['x'], { model: 'gpt-4o-mini' }) });
    const rough = estimate({ ...options, provider: scripted(['x'], { model: 'claude-haiku-4-5' }) });
    const counter = tokenCounterFor('gpt-4o-mini');
    const prompts = tasks.map((task) => messagesTokens([{ role: 'user', content: task }], counter));
    expect(exact.encoding).toBe('o200k_base');
    expect(exact.inputTokens.low).toBe(prompts.reduce((sum, tokens) => sum + tokens, 0));
    expect(exact.assumptions.join('\n')).toMatch(/counted with o200k_base, gpt-4o-mini's encoding/);
    expect(rough.encoding).toBe('estimate');
    expect(rough.inputTokens.low).toBe(tasks.reduce((sum, task) => sum + 4 + Math.ceil(task.length / 4), 0));
    expect(rough.assumptions.join('\n')).toMatch(/estimated at four characters a token \(claude-haiku-4-5 has no public encoding\)/);
  });
});
