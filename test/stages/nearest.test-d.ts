import { describe, expectTypeOf, it } from 'vitest';
import {
  hashedNgrams,
  iterate,
  nearest,
  scripted,
  type Example,
  type NearestFolder,
  type ProviderSpend,
  type RunResult,
  type SampledBy,
} from 'pauper';

interface Puzzle {
  readonly id: string;
  readonly text: string;
}
const tasks: Puzzle[] = [{ id: 'p1', text: 'a' }];

describe('teacher and nearest types', () => {
  it('a nearest fold leaves the run its own info type, and takes a typed inner folder', async () => {
    const fold = nearest(2, { embed: hashedNgrams(), text: (task: Puzzle) => task.text });
    expectTypeOf(fold).toEqualTypeOf<NearestFolder<Puzzle>>();
    const run = await iterate({ provider: scripted(['x']), teacher: scripted(['y']), tasks, reward: () => 1, fold });
    expectTypeOf(run).toEqualTypeOf<RunResult<Puzzle, string, undefined>>();
    const typedInner = (examples: readonly Example<Puzzle, string, { moves: number }>[]) => examples.flatMap((example) => example.turns);
    nearest(2, { embed: hashedNgrams(), fold: typedInner });
  });

  it('results say who sampled and who spent', () => {
    expectTypeOf<RunResult<Puzzle>['byProvider']>().toEqualTypeOf<readonly ProviderSpend[]>();
    expectTypeOf<Example<Puzzle>['sampledBy']>().toEqualTypeOf<SampledBy | undefined>();
    expectTypeOf<ProviderSpend['role']>().toEqualTypeOf<'student' | 'teacher' | 'embedder'>();
  });
});
