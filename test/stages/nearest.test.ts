import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  cosine,
  evaluate,
  hashedNgrams,
  inContextLearner,
  iterate,
  nearest,
  perTask,
  ProviderError,
  readJournal,
  scripted,
  topK,
  type EmbedFunction,
  type Example,
} from 'pauper';
import { example } from '../helpers.js';

// An offline task where similar tasks have similar good answers: three families of tasks, each
// worded alike within the family, each rewarding its own letter. The stand-in model copies the
// letters of the examples in its prompt, so the examples of the task's own family help it and
// the others' hurt.
const families = [
  { letter: 'a', words: 'apple orchard harvest' },
  { letter: 'b', words: 'blue ocean voyage' },
  { letter: 'c', words: 'city traffic signal' },
];
interface FamilyTask {
  readonly id: string;
  readonly family: number;
  readonly text: string;
}
function familyTasks(perFamily: number, first: number): FamilyTask[] {
  return Array.from({ length: perFamily * families.length }, (_, index) => {
    const family = index % families.length;
    const number = first + Math.floor(index / families.length);
    return { id: `${family}-${number}`, family, text: `${families[family]?.words} number ${number}: write eight letters` };
  });
}
const tasks = familyTasks(2, 0);
const evalTasks = familyTasks(3, 10);
const reward = ({ task, text }: { task: FamilyTask; text: string }) => [...text].filter((letter) => letter === families[task.family]?.letter).length / 8;
const render = (task: FamilyTask) => task.text;
const text = (task: FamilyTask) => task.text;

/** hashedNgrams() that records every batch it is given. */
function countingEmbedder() {
  const batches: string[][] = [];
  const inner = hashedNgrams();
  const embed: EmbedFunction = (texts, context) => {
    batches.push([...texts]);
    return inner.embed(texts, context);
  };
  return { embedder: { ...inner, embed }, batches };
}

describe('nearest()', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pauper-nearest-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('beats the global topK on held-out reward when similar tasks have similar good answers (seed 1)', async () => {
    const common = { tasks, evalTasks, reward, render, samples: 8, iterations: 3, seed: 1 };
    const provider = () => inContextLearner({ alphabet: 'abcd', minLength: 8, maxLength: 8 });
    // Two examples in every prompt either way: the global best two, or the two nearest of one per training task.
    const global = await iterate({ ...common, provider: provider(), select: topK(2) });
    const near = await iterate({ ...common, provider: provider(), select: perTask(1), fold: nearest(2, { embed: hashedNgrams(), text }) });
    const final = (run: typeof global) => run.iterations.at(-1)?.eval?.mean ?? Number.NaN;
    expect(global.iterations[0]?.eval?.mean).toBe(near.iterations[0]?.eval?.mean); // the same zero-shot baseline
    expect(final(near)).toBeGreaterThan(final(global) + 0.1);
    // Each held-out prompt shows examples of its own family only.
    for (const trajectory of near.trajectories.filter((each) => each.split === 'eval' && each.iteration === 3)) {
      const shown = trajectory.prompt.filter((message) => message.role === 'user').slice(0, -1);
      expect(shown.length).toBe(2);
      for (const message of shown) expect(message.content.startsWith(families[trajectory.task.family]?.words ?? '?')).toBe(true);
    }
  });

  it('gives tasks with the same neighbours the same example prefix, byte for byte', async () => {
    // An inner folder that keeps the order it is given: the order is nearest()'s own.
    const inOrder = (examples: readonly Example<FamilyTask, string, unknown>[]) => examples.flatMap((example) => example.turns);
    const fold = nearest(2, { embed: hashedNgrams(), text, fold: inOrder });
    const near = await iterate({ tasks, evalTasks, reward, render, samples: 4, iterations: 1, seed: 2, provider: inContextLearner({ alphabet: 'abcd', minLength: 8, maxLength: 8 }), select: perTask(1), fold });
    const prompts = near.trajectories.filter((each) => each.split === 'eval' && each.iteration === 1 && each.index === 0);
    const prefix = (prompt: readonly { content: string }[]) => JSON.stringify(prompt.slice(0, -1));
    // Held-out tasks 0, 3 and 6 are of family 0: the same two training tasks are nearest to each.
    const family0 = prompts.filter((each) => each.task.family === 0);
    expect(family0).toHaveLength(3);
    expect(new Set(family0.map((each) => prefix(each.prompt))).size).toBe(1);
    expect(family0[0]?.prompt.at(-1)?.content).not.toBe(family0[1]?.prompt.at(-1)?.content);
    // Another family's neighbours give another prefix.
    expect(prefix(prompts.find((each) => each.task.family === 1)?.prompt ?? [])).not.toBe(prefix(family0[0]?.prompt ?? []));
  });

  it('folds the same neighbours in one order whatever their similarities, so their prefix is shared', async () => {
    // Tasks x and y both have a and b as nearest neighbours, x nearer to a, y nearer to b; c is far from both.
    const points: Record<string, number[]> = { a: [1, 0], b: [0, 1], c: [-1, -1], x: [0.9, 0.1], y: [0.1, 0.9] };
    const embed: EmbedFunction = (texts) => texts.map((each) => points[each] ?? [0, 0]);
    const examples = ['a', 'b', 'c'].map((task, taskIndex) => example({ task, taskIndex, reward: taskIndex }));
    const inOrder = (shown: readonly Example<string, string, unknown>[]) => shown.flatMap((each) => each.turns);
    const { trajectories } = await evaluate({ tasks: ['x', 'y'], reward: () => 1, samples: 1, examples, provider: scripted(['ok']), fold: nearest(2, { embed, fold: inOrder }) });
    const [x, y] = trajectories.map((trajectory) => trajectory.prompt.slice(0, -1).map((message) => message.content));
    // By reward, highest first, for both: not nearest first (which would be a, b for x and b, a for y).
    expect(x).toEqual(['b', 'answer 1', 'a', 'answer 0']);
    expect(y).toEqual(x);
  });

  it('embeds each distinct task once across a run and its resume, and journals the embeddings', async () => {
    const journal = join(directory, 'embed-once.jsonl');
    // A training task repeated among the held-out ones is embedded once.
    const held = [...evalTasks, { ...tasks[0], id: 'copy-of-0' } as FamilyTask];
    const options = { tasks, evalTasks: held, reward, render, samples: 2, iterations: 3, seed: 4, select: perTask(1), journal };
    const first = countingEmbedder();
    const stop = new AbortController();
    await expect(
      iterate({
        ...options,
        provider: inContextLearner({ alphabet: 'abcd', minLength: 8, maxLength: 8 }),
        fold: nearest(2, { embed: first.embedder, text }),
        signal: stop.signal,
        onEvent: (event) => {
          if (event.type === 'iteration-end' && event.iteration === 2) stop.abort(new Error('stopped by the test'));
        },
      }),
    ).rejects.toThrow('stopped by the test');
    const distinct = new Set([...tasks, ...held].map(text)).size;
    expect(distinct).toBe(15);
    expect(first.batches.flat()).toHaveLength(distinct);
    expect(new Set(first.batches.flat()).size).toBe(distinct);

    const again = countingEmbedder();
    const resumed = await iterate({ ...options, provider: inContextLearner({ alphabet: 'abcd', minLength: 8, maxLength: 8 }), fold: nearest(2, { embed: again.embedder, text }), resume: true });
    expect(again.batches).toEqual([]);
    expect(resumed.resumed?.stale).toBe(0);
    expect(resumed.byProvider.find((spend) => spend.role === 'embedder')).toMatchObject({ provider: 'hashed-ngrams', samples: distinct, costUsd: 0 });

    const read = await readJournal(journal);
    const records = read.records.filter((record) => record.type === 'embeddings');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ v: 3, embedder: 'hashed-ngrams/n3-d1024' });
    expect(read.embeddings.size).toBe(distinct);
    // The journal holds each vector as the embedder gave it.
    const [vector] = await hashedNgrams().embed([tasks[0]?.text ?? ''], { signal: new AbortController().signal }) as number[][];
    expect(cosine(vector ?? [], [...(read.embeddings.values().next().value?.vector ?? [])])).toBeCloseTo(1, 12);
    expect((await readFile(journal, 'utf8')).includes('"type":"embeddings"')).toBe(true);
  });

  it('embeds in batches of the embedder\'s batchSize, and a run without examples embeds nothing', async () => {
    const counting = countingEmbedder();
    const embedder = { ...counting.embedder, batchSize: 4 };
    await iterate({ tasks, evalTasks, reward, render, samples: 1, iterations: 1, provider: scripted(['aaaa']), fold: nearest(2, { embed: embedder, text }) });
    expect(counting.batches.map((batch) => batch.length)).toEqual([4, 4, 4, 3]);
    const idle = countingEmbedder();
    await iterate({ tasks, reward, render, samples: 1, iterations: 0, provider: scripted(['aaaa']), fold: nearest(2, { embed: idle.embedder, text }) });
    expect(idle.batches).toEqual([]);
  });

  it('evaluate() folds the nearest of the given examples and reports what embedding cost', async () => {
    const run = await iterate({ tasks, reward, render, samples: 4, iterations: 2, seed: 1, provider: inContextLearner({ alphabet: 'abcd', minLength: 8, maxLength: 8 }), select: perTask(1) });
    const embed: EmbedFunction = (texts) => ({ vectors: texts.map((each) => [each.startsWith('apple') ? 1 : 0, each.startsWith('blue') ? 1 : 0, each.startsWith('city') ? 1 : 0]), usage: { requests: 1, inputTokens: texts.length * 10, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 }, costUsd: 0.001 });
    const evaluated = await evaluate({ tasks: evalTasks, reward, render, samples: 4, examples: run.examples, provider: scripted(['x']), fold: nearest(1, { embed, text }) });
    expect(evaluated.embedded).toMatchObject({ role: 'embedder', provider: 'function', samples: 15, costUsd: 0.001, usage: { inputTokens: 150 } });
    for (const trajectory of evaluated.trajectories) {
      const shown = trajectory.prompt.filter((message) => message.role === 'user').slice(0, -1);
      expect(shown.map((message) => message.content.split(' ')[0])).toEqual([families[trajectory.task.family]?.words.split(' ')[0]]);
    }
  });

  it('refuses bad options, and an embedder answer of the wrong shape is a ProviderError', async () => {
    expect(() => nearest(0, { embed: hashedNgrams() })).toThrow(ConfigError);
    expect(() => nearest(2, { embed: 'openai' as never })).toThrow(/nearest\(\{ embed \}\)/);
    expect(() => hashedNgrams({ dimensions: 0 })).toThrow(ConfigError);
    const short: EmbedFunction = (texts) => texts.slice(1).map(() => [1, 0]);
    await expect(iterate({ tasks, reward, render, samples: 1, iterations: 1, provider: scripted(['a']), fold: nearest(2, { embed: short, text }) })).rejects.toThrow(
      new ProviderError('The embedder function/function returned 5 vectors for 6 texts: return one array of numbers per text, in order, all of one length.', { isRetryable: false, provider: 'function' }).message,
    );
    // Outside a run's own `fold` (in a custom prompt builder) it has no embeddings: said plainly once there are examples.
    const folder = nearest(2, { embed: hashedNgrams() });
    expect(folder([], { task: 't' })).toEqual([]);
    const run = await iterate({ tasks: ['t'], reward: () => 1, samples: 1, iterations: 0, provider: scripted(['a']) });
    expect(() => folder(run.examples, { task: 't' })).toThrow(ConfigError);
  });
});
