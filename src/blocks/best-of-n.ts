import type { Example, Trajectory } from '../core/trajectory.js';
import { scoredOnly } from '../core/trajectory.js';
import { collect } from '../stages/collect.js';
import { byReward } from '../stages/select.js';
import type { RunOptions } from './options.js';
import { integer, resolveRunOptions } from './options.js';
import { checkTask, jsonReason } from './tasks.js';
import { runStandalone, type BlockOutcome } from './standalone.js';

/** Options of `bestOfN`: N is `samples`. With `journal`, `budget` and `cache` it runs on the same machinery as `iterate`. */
export interface BestOfNOptions<Task, Output = string, Info = undefined> extends RunOptions<Task, Output, Info> {
  readonly task: Task;
  /** Examples to fold into the prompt. @default none */
  readonly examples?: readonly Example<Task, Output, Info>[];
  /** Iteration number recorded on the trajectories and mixed into the request seeds: vary it (or `seed`) to draw fresh samples on repeated calls. @default 0 */
  readonly iteration?: number;
}

/** What `bestOfN` found. */
export interface BestOfN<Task, Output = string, Info = undefined> extends BlockOutcome {
  /** The highest-reward sample; `undefined` when every sample failed. */
  readonly best: Example<Task, Output, Info> | undefined;
  /** All N samples, failed ones included, in sample order (fewer when the budget stopped it). */
  readonly trajectories: readonly Trajectory<Task, Output, Info>[];
}

/**
 * Samples one task `samples` times, scores each, and returns the best: the
 * inner step of the loop, usable alone (rejection sampling, best-of-N decoding).
 *
 * @example
 * const { best } = await bestOfN({ provider, task: 'Name a prime above 100', samples: 8, reward: isPrime });
 */
export async function bestOfN<Task, Output = string, Info = undefined>(
  options: BestOfNOptions<Task, Output, Info>,
): Promise<BestOfN<Task, Output, Info>> {
  const resolved = resolveRunOptions(options, { name: 'bestOfN()', options: ['task', 'examples', 'iteration'] });
  checkTask('task', options.task, jsonReason(options));
  const iteration = integer('iteration', options.iteration ?? 0, 0);
  const examples = options.examples ?? [];
  const scope = { entry: 'bestOfN', tasks: [options.task], split: 'train', examples, iteration } as const;
  const { trajectories, stopped, resumed, embedded } = await runStandalone(options, resolved, scope, (control) =>
    collect(resolved.settings, control, [options.task], examples, { split: 'train', iteration }),
  );
  return { best: scoredOnly(trajectories).sort(byReward)[0], trajectories, stopped, resumed, embedded };
}
