import { describe, expect, test } from 'vitest';
import type { Message } from '../../src/core/messages.js';
import { prefixMemo } from '../../src/providers/prompt-prefix.js';

const user = (content: string): Message => ({ role: 'user', content });
const assistant = (content: string): Message => ({ role: 'assistant', content });

/** A memo that joins the prefix's contents, and the prefixes it was asked to compute. */
function counted() {
  const computed: string[] = [];
  const memo = prefixMemo((prefix) => {
    const joined = prefix.map((message) => message.content).join('|');
    computed.push(joined);
    return joined;
  });
  return { memo, computed };
}

describe('prefixMemo', () => {
  test('the prompts of an iteration share their examples: one computation serves every task', () => {
    const { memo, computed } = counted();
    const examples = [user('a'), assistant('1'), user('b'), assistant('2')];
    const prompts = ['t0', 't1', 't2', 't3'].map((task) => [...examples, user(task)]);
    const keys = prompts.map((prompt) => memo(prompt, examples.length));
    expect(keys).toEqual(Array(4).fill('a|1|b|2'));
    expect(computed).toEqual(['a|1|b|2']);
    // Each request of a prompt (a request per sample) reads its own entry.
    for (const prompt of prompts) expect(memo(prompt, examples.length)).toBe('a|1|b|2');
    expect(computed).toHaveLength(1);
  });

  test('prompts with their own examples (a nearest folder) alternate without computing again', () => {
    const { memo, computed } = counted();
    const first = [user('a'), assistant('1'), user('t0')];
    const second = [user('b'), assistant('2'), user('t1')];
    for (let round = 0; round < 3; round++) {
      expect(memo(first, 2)).toBe('a|1');
      expect(memo(second, 2)).toBe('b|2');
    }
    expect(computed).toEqual(['a|1', 'b|2']);
  });

  test('a prefix is compared by its message objects: an array changed in place, or another length, is computed again', () => {
    const { memo, computed } = counted();
    const prompt = [user('a'), assistant('1'), user('t0')];
    expect(memo(prompt, 2)).toBe('a|1');
    prompt[1] = assistant('changed');
    expect(memo(prompt, 2)).toBe('a|changed');
    expect(memo(prompt, 1)).toBe('a');
    // Equal contents in new objects are not taken on trust: computed again, with the same value.
    expect(memo([user('a'), assistant('changed'), user('t1')], 2)).toBe('a|changed');
    expect(computed).toEqual(['a|1', 'a|changed', 'a', 'a|changed']);
  });

  test('a prefix longer than the prompt is the whole prompt', () => {
    const { memo, computed } = counted();
    const prompt = [user('a'), assistant('1')];
    expect(memo(prompt, 5)).toBe('a|1');
    expect(memo(prompt, 2)).toBe('a|1');
    expect(computed).toEqual(['a|1']);
  });
});
