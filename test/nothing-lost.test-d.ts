import { describe, expectTypeOf, it } from 'vitest';
import type {
  Budget,
  CacheMissError,
  Estimate,
  FineTuningRecord,
  Journal,
  JournalRecord,
  ResponseCache,
  ResumeCounts,
  RunResult,
  StopReason,
} from 'pauper';
import { estimate, fineTuningRecords, iterate, memoryCache, readJournal, scripted } from 'pauper';

const provider = scripted(['ok']);

describe('journal, budgets, cache and export types', () => {
  it('types the new iterate options and result fields', () => {
    const run = iterate({
      provider,
      tasks: ['a'],
      reward: () => 1,
      journal: 'runs/x.jsonl',
      resume: true,
      budget: { maxCostUsd: 1, maxSamples: 10, maxTokens: 1000 },
      targetReward: 1,
      patience: 2,
      cache: memoryCache(),
      replay: false,
      maxOutputTokens: 50,
    });
    type Result = Awaited<typeof run>;
    expectTypeOf<Result>().toEqualTypeOf<RunResult<string, string, undefined>>();
    expectTypeOf<Result['stopped']>().toEqualTypeOf<StopReason | undefined>();
    expectTypeOf<StopReason['reason']>().toEqualTypeOf<keyof Budget | 'targetReward' | 'patience'>();
    expectTypeOf<Result['resumed']>().toEqualTypeOf<Readonly<ResumeCounts> | undefined>();
  });

  it('reads journals into typed records', () => {
    expectTypeOf(readJournal).returns.toEqualTypeOf<Promise<Journal>>();
    expectTypeOf<Extract<JournalRecord, { type: 'sample' }>['reward']>().toEqualTypeOf<number | null>();
    expectTypeOf<JournalRecord['type']>().toEqualTypeOf<'run-start' | 'resume' | 'prompt' | 'completion' | 'sample' | 'iteration' | 'fine-tune' | 'run-end' | 'batch-file' | 'batch' | 'batch-end' | 'embeddings'>();
  });

  it('types estimate, export and cache', () => {
    expectTypeOf(estimate({ provider, tasks: ['a'], reward: () => 1 })).toEqualTypeOf<Estimate>();
    expectTypeOf(fineTuningRecords([])).toEqualTypeOf<FineTuningRecord[]>();
    expectTypeOf(memoryCache()).toEqualTypeOf<ResponseCache>();
    expectTypeOf<CacheMissError['index']>().toEqualTypeOf<number>();
    // @ts-expect-error: the budget's fields are numbers
    iterate({ provider, tasks: ['a'], reward: () => 1, budget: { maxCostUsd: '1' } });
  });
});
