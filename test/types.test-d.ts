import { describe, expectTypeOf, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { AzureOpenAI, OpenAI } from 'openai';
import type { AnthropicClient, Example, IterationResult, OpenAIClient, RunResult, Run, Trajectory } from 'pauper';
import { bestOfN, dedupe, evaluate, fewShotMessages, iterate, pipe, scripted, topK } from 'pauper';
import { z } from 'zod';

interface Maze {
  readonly id: string;
  readonly coins: number;
}
const mazes: Maze[] = [{ id: 'm1', coins: 3 }];
const provider = scripted(['RRD']);

describe('types flow through iterate() without casts', () => {
  it('infers the task type from tasks and hands it to the reward function', () => {
    const run = iterate({
      provider,
      tasks: mazes,
      reward: (sample, context) => {
        expectTypeOf(sample.task).toEqualTypeOf<Maze>();
        expectTypeOf(context.task).toEqualTypeOf<Maze>();
        expectTypeOf(sample.output).toEqualTypeOf<string>();
        expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>();
        return sample.text.length;
      },
    });
    expectTypeOf(run).toEqualTypeOf<Run<Maze, string, undefined>>();
  });

  it('infers the output type from the schema', async () => {
    const schema = z.object({ moves: z.string(), confidence: z.number() });
    const result = await iterate({
      provider,
      tasks: mazes,
      schema,
      reward: (sample) => {
        expectTypeOf(sample.output).toEqualTypeOf<{ moves: string; confidence: number }>();
        return sample.output.confidence;
      },
    });
    expectTypeOf(result.best).toEqualTypeOf<Example<Maze, { moves: string; confidence: number }, undefined> | undefined>();
    expectTypeOf(result.best!.output.moves).toEqualTypeOf<string>();
  });

  it('infers the info type from the reward return value and carries it to the result', async () => {
    const result = await iterate({
      provider,
      tasks: mazes,
      reward: (sample) => ({ score: 1, info: { bumps: sample.text.length, path: ['R'] } }),
    });
    expectTypeOf(result).toEqualTypeOf<RunResult<Maze, string, { bumps: number; path: string[] }>>();
    expectTypeOf(result.iterations).toEqualTypeOf<readonly IterationResult<Maze, string, { bumps: number; path: string[] }>[]>();
    expectTypeOf(result.best!.info).toEqualTypeOf<{ bumps: number; path: string[] } | undefined>();
    expectTypeOf(result.best!.task).toEqualTypeOf<Maze>();
    const trajectory = result.trajectories[0]!;
    expectTypeOf(trajectory).toEqualTypeOf<Trajectory<Maze, string, { bumps: number; path: string[] }>>();
    if (trajectory.ok) expectTypeOf(trajectory.reward).toEqualTypeOf<number>();
    else expectTypeOf(trajectory.reward).toEqualTypeOf<null>();
  });

  it('types async reward functions and multi-turn rollouts alike', async () => {
    const result = await iterate({
      provider,
      tasks: mazes,
      rollout: async ({ act, task, rng }) => {
        expectTypeOf(task).toEqualTypeOf<Maze>();
        expectTypeOf(act).parameter(0).toEqualTypeOf<string>();
        expectTypeOf(await act('view')).toEqualTypeOf<string>();
        expectTypeOf(rng()).toEqualTypeOf<number>();
        return { score: 1, info: { steps: 3 } };
      },
    });
    expectTypeOf(result.best!.info).toEqualTypeOf<{ steps: number } | undefined>();
  });

  it('types the building blocks the same way', async () => {
    const evaluation = await evaluate({ provider, tasks: mazes, reward: async () => ({ score: 1, info: 'x' as const }) });
    expectTypeOf(evaluation.trajectories[0]!).toEqualTypeOf<Trajectory<Maze, string, 'x'>>();
    const found = await bestOfN({ provider, task: mazes[0]!, reward: () => 1 });
    expectTypeOf(found.best).toEqualTypeOf<Example<Maze, string, undefined> | undefined>();
  });

  it('types custom selectors and folders with the run own task, output and info, without casts', () => {
    iterate({
      provider,
      tasks: mazes,
      reward: () => ({ score: 1, info: { solved: true } }),
      select: (pool) => pool.filter((example) => example.info?.solved === true && example.task.coins > 0),
      fold: (examples, { task }) => {
        expectTypeOf(task).toEqualTypeOf<Maze>();
        return examples.map((example) => ({ role: 'user' as const, content: `${example.task.id}: ${example.text}` }));
      },
    });
  });

  it('accepts the built-in selectors and folders, composed inline, and task-aware keys', () => {
    iterate({
      provider,
      tasks: mazes,
      reward: () => 1,
      select: pipe(dedupe(), topK(2)),
      fold: fewShotMessages({ maxExampleTokens: 100 }),
    });
    iterate({
      provider,
      tasks: mazes,
      reward: () => 1,
      select: dedupe((example) => example.task.id),
    });

  });

  it('rejects a reward that returns a string', () => {
    // @ts-expect-error a reward must be a number or { score, info }
    iterate({ provider, tasks: mazes, reward: () => 'good' });
  });
});

describe('SDK clients fit the providers without pauper importing the SDKs', () => {
  it('accepts OpenAI, AzureOpenAI and Anthropic clients as they are', () => {
    expectTypeOf<OpenAI>().toExtend<OpenAIClient>();
    expectTypeOf<AzureOpenAI>().toExtend<OpenAIClient>();
    expectTypeOf<Anthropic>().toExtend<AnthropicClient>();
    expectTypeOf<{ chat: object }>().not.toExtend<OpenAIClient>();
  });
});

describe('custom selectors and folders may return readonly arrays', () => {
  type Selector<Info> = import('pauper').Selector<Maze, string, Info>;
  type Folder<Info> = import('pauper').Folder<Maze, string, Info>;
  type Sample = import('pauper').Sample<Maze>;
  type RewardContext = import('pauper').RewardContext<Maze>;
  type Message = import('pauper').Message;
  interface Solved {
    readonly solved: boolean;
  }

  it('accepts a selector that returns the pool itself, inline or typed', () => {
    const keepAll: Selector<Solved> = (pool) => pool;
    expectTypeOf(keepAll).returns.toEqualTypeOf<readonly Example<Maze, string, Solved>[]>();
    iterate({ provider, tasks: mazes, reward: () => 1, select: (pool) => pool });
    iterate({
      provider,
      tasks: mazes,
      // Annotated, so the info type is inferred before the typed selector is checked against it.
      reward: (sample: Sample, context: RewardContext) => ({ score: sample.text.length, info: { solved: context.index > 0 } }),
      select: keepAll,
    });
  });

  it('accepts a folder that returns a readonly array of messages', () => {
    const preamble: readonly Message[] = [{ role: 'user', content: 'Earlier attempts follow.' }];
    const fold: Folder<Solved> = (examples) => (examples.length === 0 ? [] : preamble);
    expectTypeOf(fold).returns.toEqualTypeOf<readonly Message[]>();
    iterate<Maze, string, Solved>({ provider, tasks: mazes, reward: () => ({ score: 1, info: { solved: true } }), fold });
  });

  it('keeps the built-in selectors assignable to a typed selector and pipe composable with one', () => {
    const keepAll: Selector<Solved> = (pool) => pool;
    const composed = pipe<Maze, string, Solved>(keepAll, topK(2));
    expectTypeOf(composed).toEqualTypeOf<Selector<Solved>>();
  });
});

describe('a separately typed selector or folder gives an inline reward its info type', () => {
  interface Solved {
    readonly solved: boolean;
  }
  const keepSolved: import('pauper').Selector<Maze, string, Solved> = (pool) => pool.filter((example) => example.info?.solved === true);
  const showSolved: import('pauper').Folder<Maze, string, Solved> = (examples) => examples.map((example) => ({ role: 'user', content: String(example.info?.solved) }));

  it('iterate infers Info with a typed selector and an inline reward, without iterate<Task, Output, Info>', async () => {
    const result = await iterate({
      provider,
      tasks: mazes,
      reward: (sample, context) => ({ score: sample.text.length, info: { solved: context.index > 0 } }),
      select: keepSolved,
    });
    expectTypeOf(result.best!.info).toEqualTypeOf<{ solved: boolean } | undefined>();
    const numeric = await iterate({ provider, tasks: mazes, reward: (sample) => sample.text.length, select: keepSolved, fold: showSolved });
    expectTypeOf(numeric).toEqualTypeOf<RunResult<Maze, string, Solved>>();
  });

  it('evaluate and bestOfN infer Info with a typed folder and an inline reward', async () => {
    const evaluation = await evaluate({ provider, tasks: mazes, reward: (sample) => ({ score: 1, info: { solved: sample.text === 'RRD' } }), fold: showSolved });
    expectTypeOf(evaluation.trajectories).toEqualTypeOf<readonly Trajectory<Maze, string, { solved: boolean }>[]>();
    const found = await bestOfN({ provider, task: mazes[0]!, reward: (sample) => ({ score: 1, info: { solved: sample.text === 'RRD' } }), fold: showSolved });
    expectTypeOf(found.best!.info).toEqualTypeOf<{ solved: boolean } | undefined>();
  });

  it('still checks the reward against the typed selector', () => {
    // @ts-expect-error the reward's info is a string, the selector's a Solved
    iterate({ provider, tasks: mazes, reward: (sample: import('pauper').Sample<Maze>) => ({ score: 1, info: sample.text }), select: keepSolved });
  });

  it('keeps Info undefined with a built-in selector and folder and a numeric reward', () => {
    expectTypeOf(iterate({ provider, tasks: mazes, reward: () => 1, select: topK(2), fold: fewShotMessages() })).toEqualTypeOf<Run<Maze, string, undefined>>();
  });
});

describe('TooManyErrorsError carries typed iterations', () => {
  it('types completedIterations as IterationResult, narrowable to the run types', () => {
    type TooManyErrorsError = import('pauper').TooManyErrorsError;
    expectTypeOf<TooManyErrorsError['completedIterations']>().toEqualTypeOf<readonly IterationResult<unknown, unknown, unknown>[]>();
    expectTypeOf<TooManyErrorsError['completedIterations'][number]['train']['mean']>().toEqualTypeOf<number | null>();
    const completed = [] as TooManyErrorsError['completedIterations'];
    expectTypeOf(completed as readonly IterationResult<Maze>[]).toEqualTypeOf<readonly IterationResult<Maze, string, undefined>[]>();
  });
});

describe('fine-tuning types', () => {
  it('types the fineTune option, its results and its error', () => {
    type FineTuneResult = import('pauper').FineTuneResult;
    type FineTuneError = import('pauper').FineTuneError;
    expectTypeOf<RunResult<Maze>['trainingCostUsd']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<RunResult<Maze>['fineTunes']>().toEqualTypeOf<readonly FineTuneResult[] | undefined>();
    expectTypeOf<IterationResult<Maze>['fineTunedModel']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<FineTuneResult['costUsd']>().toEqualTypeOf<number | null>();
    expectTypeOf<FineTuneError['status']>().toEqualTypeOf<'failed' | 'cancelled'>();
    iterate({ provider, tasks: mazes, reward: () => 1, fineTune: { every: 2, foldExamples: true, hyperparameters: { n_epochs: 3, batch_size: 'auto' } } });
    // @ts-expect-error: `from` is 'base' or 'latest'
    iterate({ provider, tasks: mazes, reward: () => 1, fineTune: { from: 'newest' } });
    // @ts-expect-error: hyperparameters are numbers or 'auto'
    iterate({ provider, tasks: mazes, reward: () => 1, fineTune: { hyperparameters: { n_epochs: 'three' } } });
  });
});

describe('batch mode types', () => {
  it('the batch option, its events and errors are typed', async () => {
    const { openai, anthropic, openaiCompatible, BatchPendingError } = await import('pauper');
    type Options = import('pauper').BatchOptions;
    expectTypeOf<Parameters<typeof openai>[0]['batch']>().toEqualTypeOf<boolean | Options | undefined>();
    expectTypeOf<Parameters<typeof anthropic>[0]['batch']>().toEqualTypeOf<boolean | Options | undefined>();
    expectTypeOf<Parameters<typeof openaiCompatible>[0]['batch']>().toEqualTypeOf<import('pauper').BatchFilesOptions | undefined>();
    expectTypeOf<Options['failedEntries']>().toEqualTypeOf<'live' | 'record' | undefined>();
    expectTypeOf<InstanceType<typeof BatchPendingError>['outputPath']>().toEqualTypeOf<string>();
    type BatchEvent = Extract<import('pauper').RunEvent<string>, { type: 'batch' }>;
    expectTypeOf<BatchEvent['counts']>().toEqualTypeOf<{ readonly total: number; readonly succeeded: number; readonly failed: number }>();
  });
});
