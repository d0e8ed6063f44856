import type { SplitStats } from '../core/results.js';
import type { Example, Trajectory } from '../core/trajectory.js';
import { collect } from '../stages/collect.js';
import type { RunOptions } from './options.js';
import { integer, resolveRunOptions } from './options.js';
import { jsonReason, taskList } from './tasks.js';
import { runStandalone, type BlockOutcome } from './standalone.js';
import { splitStats } from './stats.js';

/** Options of `evaluate`. With `journal`, `budget` and `cache` it runs on the same machinery as `iterate`. */
export interface EvaluateOptions<Task, Output = string, Info = undefined> extends RunOptions<Task, Output, Info> {
  /** The tasks to evaluate. */
  readonly tasks: readonly Task[];
  /** Examples to fold into every prompt (e.g. a run's `examples`). @default none: zero-shot */
  readonly examples?: readonly Example<Task, Output, Info>[];
  /** Iteration number recorded on the trajectories. @default 0 */
  readonly iteration?: number;
}

/** What `evaluate` measured. */
export interface Evaluation<Task, Output = string, Info = undefined> extends BlockOutcome {
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
  const resolved = resolveRunOptions(options, { name: 'evaluate()', options: ['tasks', 'examples', 'iteration'] });
  const tasks = taskList('tasks', options.tasks, { allowEmpty: false, json: jsonReason(options) });
  const iteration = integer('iteration', options.iteration ?? 0, 0);
  const examples = options.examples ?? [];
  const started = performance.now();
  const scope = { entry: 'evaluate', tasks, split: 'eval', examples, iteration } as const;
  const { trajectories, stopped, resumed, embedded } = await runStandalone(options, resolved, scope, (control) =>
    collect(resolved.settings, control, tasks, examples, { split: 'eval', iteration }),
  );
  return { trajectories, stats: splitStats(trajectories, performance.now() - started), stopped, resumed, embedded };
}
