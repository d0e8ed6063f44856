// The loop a user would write by hand, which the overhead benches put beside pauper: every round
// samples every task (one call for `samples` answers with native `n`, else one call each), scores
// each answer, keeps the global top `keep` and folds them into the next round's prompts as turns.
import pLimit from 'p-limit';
import { zeroUsage, type Provider } from 'pauper';

export type Message = { readonly role: 'user' | 'assistant'; readonly content: string };
/** One model call: `n` answers to the messages. */
export type Call = (messages: readonly Message[], n: number) => Promise<readonly string[]>;

/** The shape every overhead bench runs, unless it says otherwise. */
export interface LoopShape {
  readonly tasks: readonly string[];
  readonly samples: number;
  readonly rounds: number;
  readonly concurrency: number;
  readonly keep: number;
}

/** 8 tasks × 64 samples × 6 rounds, concurrency 32, top-4 fold. */
export function loopShape(samples = 64, rounds = 6): LoopShape {
  return { tasks: Array.from({ length: 8 }, (_, index) => `task ${index}`), samples, rounds, concurrency: 32, keep: 4 };
}

/** The echo server (and the in-process models) answer `echo: <task> #<choice>`: the choice number is the reward, so top-k is deterministic. */
export const reward = (text: string): number => Number(text.slice(text.lastIndexOf('#') + 1)) || 0;

/** A reward as pauper calls one: with the sample and its context. */
const rewardOf = (sample: { readonly text: string }, _context: object): number => reward(sample.text);

/**
 * The hand-written loop around any call. `keep: 'trajectories'` also keeps, per answer, what
 * pauper's result holds of a sample (its fields, turns, the reward's sample and context): the
 * same work without the library, to tell what holding trajectories costs from pauper's own.
 */
export async function handLoop(call: Call, nativeN: boolean, shape: LoopShape, keep: 'examples' | 'trajectories' = 'examples'): Promise<void> {
  const limit = pLimit(shape.concurrency);
  const signal = new AbortController().signal;
  const held: unknown[] = [];
  let kept: { reward: number; turns: Message[] }[] = [];
  for (let round = 0; round < shape.rounds; round++) {
    const examples = kept.flatMap((example) => example.turns);
    const perTask = await Promise.all(
      shape.tasks.map(async (task, taskIndex) => {
        const prompt: Message[] = [...examples, { role: 'user', content: task }];
        const texts = nativeN
          ? await limit(() => call(prompt, shape.samples))
          : (await Promise.all(Array.from({ length: shape.samples }, () => limit(() => call(prompt, 1))))).flat();
        return texts.map((text, index) => {
          const turns: Message[] = [{ role: 'user', content: task }, { role: 'assistant', content: text }];
          if (keep === 'examples') return { reward: reward(text), turns };
          const sample = { task, text, output: text, turns };
          const context = { task, iteration: round, index, split: 'train', signal };
          const score = rewardOf(sample, context);
          held.push({ id: ['train', round, taskIndex, index].join('/'), split: 'train', iteration: round, taskIndex, taskId: String(taskIndex), index, task, prompt, turns, text, steps: [], usage: { requests: 1 }, costUsd: 0, latencyMs: 0, seed: index, ok: true, output: text, reward: score, info: undefined });
          return { reward: score, turns };
        });
      }),
    );
    kept = [...kept, ...perTask.flat()].sort((a, b) => b.reward - a.reward).slice(0, shape.keep);
  }
}

/** The same call as a pauper provider, with or without native `n`: both sides of a bench then sample one model. */
export function providerOver(call: Call, nativeN: boolean): Provider {
  return {
    name: 'function',
    model: 'in-process',
    capabilities: { nativeN, temperature: true, seed: true, promptCaching: false, batch: false },
    async sample(request, options) {
      const texts = await call(request.messages as readonly Message[], options.n);
      return { completions: texts.map((text) => ({ text })), usage: { ...zeroUsage, requests: 1 }, costUsd: 0 };
    },
  };
}
