import { collect } from '../stages/collect.js';
import { createRunControl } from '../run/control.js';
import type { SamplingOptions } from './options.js';
import { integer, resolveSampling, taskList } from './options.js';
import type { SplitStats } from '../core/results.js';
import { splitStats } from './stats.js';
import type { Example, Trajectory } from '../core/trajectory.js';

/** Options of `evaluate`. */
export interface EvaluateOptions<Task, Output = string, Info = undefined> extends SamplingOptions<Task, Output, Info> {
  /** The tasks to evaluate. */
  readonly tasks: readonly Task[];
  /** Examples to fold into every prompt (e.g. a run's `examples`). @default none: zero-shot */
  readonly examples?: readonly Example<Task, Output, Info>[];
  /** Iteration number recorded on the trajectories. @default 0 */
  readonly iteration?: number;
}

/** What `evaluate` measured. */
export interface Evaluation<Task, Output = string, Info = undefined> {
  readonly trajectories: readonly Trajectory<Task, Output, Info>[];
  readonly stats: SplitStats;
}

/**
 * Scores an example set on tasks without selecting anything: `samples`
 * samples per task with the examples folded in. Trajectories are marked `eval`.
 *
 * @example
 * const { stats } = await evaluate({ provider, tasks: heldOut, examples: run.examples, reward });
 */
export async function evaluate<Task, Output = string, Info = undefined>(
  options: EvaluateOptions<Task, Output, Info>,
): Promise<Evaluation<Task, Output, Info>> {
  const resolved = resolveSampling(options);
  const tasks = taskList('tasks', options.tasks, false);
  const control = createRunControl(resolved);
  const started = performance.now();
  try {
    const trajectories = await collect(resolved.settings, control, tasks, options.examples ?? [], {
      split: 'eval',
      iteration: integer('iteration', options.iteration ?? 0, 0),
    });
    return { trajectories, stats: splitStats(trajectories, performance.now() - started) };
  } finally {
    control.stop(new Error('evaluate finished'));
  }
}
