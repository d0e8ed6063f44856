import { collect } from '../stages/collect.js';
import { createRunControl } from '../run/control.js';
import type { SamplingOptions } from './options.js';
import { integer, resolveSampling } from './options.js';
import { byReward } from '../stages/select.js';
import type { Example, Trajectory } from '../core/trajectory.js';
import { scoredOnly } from '../core/trajectory.js';

/** Options of `bestOfN`: N is `samples`. */
export interface BestOfNOptions<Task, Output = string, Info = undefined> extends SamplingOptions<Task, Output, Info> {
  readonly task: Task;
  /** Examples to fold into the prompt. @default none */
  readonly examples?: readonly Example<Task, Output, Info>[];
  /** Iteration number recorded on the trajectories and mixed into the request seeds: vary it (or `seed`) to draw fresh samples on repeated calls. @default 0 */
  readonly iteration?: number;
}

/** What `bestOfN` found. */
export interface BestOfN<Task, Output = string, Info = undefined> {
  /** The highest-reward sample; `undefined` when every sample failed. */
  readonly best: Example<Task, Output, Info> | undefined;
  /** All N samples, failed ones included, in sample order. */
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
  const resolved = resolveSampling(options);
  const control = createRunControl(resolved);
  try {
    const trajectories = await collect(resolved.settings, control, [options.task], options.examples ?? [], {
      split: 'train',
      iteration: integer('iteration', options.iteration ?? 0, 0),
    });
    return { best: scoredOnly(trajectories).sort(byReward)[0], trajectories };
  } finally {
    control.stop(new Error('bestOfN finished'));
  }
}
