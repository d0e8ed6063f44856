import { describe, expect, it } from 'vitest';
import { ConfigError, defaultPrompt, fewShotMessages, inlineBlock, messagesTokens, type Folder, type Message } from 'pauper';
import { example } from '../helpers.js';

const examples = [
  example({ reward: 2, text: 'best', index: 0 }),
  example({ reward: 0.5, text: 'worst', index: 1 }),
  example({ reward: 1, text: 'middle', index: 2 }),
];
const context = { task: 'task 0' };
const episode = example({
  reward: 1,
  turns: [
    { role: 'user', content: 'view 1' },
    { role: 'assistant', content: 'R' },
    { role: 'user', content: 'view 2' },
    { role: 'assistant', content: 'D' },
  ],
});

describe('fewShotMessages', () => {
  it('folds examples as prior user/assistant turns, best nearest the task', () => {
    const messages = fewShotMessages()(examples, context);
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.content)).toEqual([
      'worst',
      'middle',
      'best',
    ]);
  });

  it('folds a multi-turn example as the whole conversation', () => {
    expect(fewShotMessages()([episode], context)).toEqual(episode.turns);
  });

  it('is byte-stable: the same kept set in any order gives the same messages', () => {
    const shuffled = [examples[2]!, examples[0]!, examples[1]!];
    expect(JSON.stringify(fewShotMessages()(shuffled, context))).toBe(JSON.stringify(fewShotMessages()(examples, context)));
  });

  it('drops the lowest-reward examples first to fit the token budget', () => {
    const budget = messagesTokens(examples[0]!.turns) + messagesTokens(examples[2]!.turns);
    const messages = fewShotMessages({ maxExampleTokens: budget })(examples, context);
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.content)).toEqual([
      'middle',
      'best',
    ]);
  });

  it('leaves out an example larger than the whole budget instead of folding nothing', () => {
    const huge = example({ reward: 9, text: 'x'.repeat(1000), index: 7 });
    const messages = fewShotMessages({ maxExampleTokens: 40 })([huge, ...examples], context);
    expect(messages.some((message) => message.content.includes('xxxx'))).toBe(false);
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.content)).toContain('best');
  });

  it('rejects a budget that is not positive', () => {
    expect(() => fewShotMessages({ maxExampleTokens: 0 })).toThrow(ConfigError);
  });
});

describe('inlineBlock', () => {
  it('lists examples with their scores in ascending order in one user message', () => {
    const [message, ...rest] = inlineBlock()(examples, context);
    expect(rest).toEqual([]);
    expect(message?.role).toBe('user');
    const content = message?.content ?? '';
    expect(content.indexOf('score 0.5')).toBeLessThan(content.indexOf('score 1)'));
    expect(content.indexOf('score 1)')).toBeLessThan(content.indexOf('score 2)'));
    expect(content).toContain('Input:\ntask 0\nOutput:\nbest');
  });

  it('shows multi-turn examples as transcripts', () => {
    expect(inlineBlock()([episode], context)[0]?.content).toContain('User: view 1\nAssistant: R\nUser: view 2\nAssistant: D');
  });

  it('folds nothing when there are no examples', () => {
    expect(inlineBlock()([], context)).toEqual([]);
  });

  it('keeps the highest-reward examples within the budget', () => {
    const single = inlineBlock({ maxExampleTokens: 25 })(examples, context)[0]?.content ?? '';
    expect(single).toContain('best');
    expect(single).not.toContain('worst');
  });
});

describe('defaultPrompt', () => {
  it('spreads a custom folder that returns a readonly array, unchanged', () => {
    const preamble: readonly Message[] = Object.freeze([{ role: 'user', content: 'Earlier attempts follow.' }]);
    const fold: Folder<string, string, unknown> = (kept) => (kept.length === 0 ? [] : preamble);
    const prompt = defaultPrompt<string, string, unknown>({ fold })('task 9', [examples[0]!]);
    expect(prompt).toEqual([...preamble, { role: 'user', content: 'task 9' }]);
    expect(defaultPrompt<string, string, unknown>({ fold })('task 9', [])).toEqual([{ role: 'user', content: 'task 9' }]);
  });

  it('puts the system prompt, then the examples, then the task', () => {
    const prompt = defaultPrompt<string, string, unknown>({ system: 'Be brief.' })('task 9', [examples[0]!]);
    expect(prompt).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'task 0' },
      { role: 'assistant', content: 'best' },
      { role: 'user', content: 'task 9' },
    ]);
  });

  it('renders a non-string task as JSON', () => {
    const prompt = defaultPrompt<{ a: number }, string, unknown>()({ a: 1 }, []);
    expect(prompt).toEqual([{ role: 'user', content: '{\n  "a": 1\n}' }]);
  });
});

describe('the old name of the fold budget', () => {
  it('is a ConfigError naming the new one, never a fold without a budget', () => {
    expect(() => fewShotMessages({ maxTokens: 1 } as never)).toThrow(/no `maxTokens`: the token budget of the examples is `maxExampleTokens`/);
    expect(() => inlineBlock({ maxTokens: 1 } as never)).toThrow(ConfigError);
  });
});
