import { ConfigError } from '../core/errors.js';
import type { Rng } from '../core/random.js';
import type { Example } from '../core/trajectory.js';

/** What a selector knows besides the pool. */
export interface SelectContext {
  /** The iteration whose samples were just scored. */
  readonly iteration: number;
  /** Seeded per iteration; the only source of randomness a selector may use. */
  readonly rng: Rng;
}

/**
 * Chooses the kept set from a pool of scored trajectories. Returning an empty
 * set is a normal outcome ("nothing passed"), not an error. A custom selector
 * sees the run's own task, output and info types, and may return the pool
 * itself or any other readonly array: `(pool) => pool` keeps everything.
 */
export type Selector<Task = unknown, Output = unknown, Info = unknown> = (
  pool: readonly Example<Task, Output, Info>[],
  context: SelectContext,
) => readonly Example<Task, Output, Info>[];

/** A selector for any task type: what the built-in selectors return. It fits every `Selector<Task, Output, Info>`. */
export type AnySelector = <Task, Output, Info>(
  pool: readonly Example<Task, Output, Info>[],
  context: SelectContext,
) => Example<Task, Output, Info>[];

/** A selector for one task type and any output and info types (e.g. `dedupe` with a task-aware key). */
export type TaskSelector<Task> = <Output, Info>(
  pool: readonly Example<Task, Output, Info>[],
  context: SelectContext,
) => Example<Task, Output, Info>[];

/**
 * What a selector may promise about its pool: it returns the same kept set from only the `count`
 * best trajectories by `byReward` (the `count` best of each task id with `perTask`). A run that
 * leaves its trajectories in its journal then holds that many for selection, not every one.
 */
export interface PoolBound {
  readonly count: number;
  readonly perTask: boolean;
}

/** The bound a selector declares (`topK`, `perTask`, a `pipe` starting with one); `undefined` when it needs the whole pool. */
export function poolBound(selector: object): PoolBound | undefined {
  return 'poolBound' in selector ? (selector.poolBound as PoolBound) : undefined;
}

/** A selector with the bound it declares (see `PoolBound`). */
function bounded<Selected extends object>(selector: Selected, bound: PoolBound | undefined): Selected {
  return bound === undefined ? selector : Object.assign(selector, { poolBound: bound });
}

/** Which trajectories a selector sees: the kept set plus this iteration's (`elitist`), or this iteration's only (`fresh`). */
export type PoolPolicy = 'elitist' | 'fresh';

/**
 * Highest reward first; ties go to the earlier trajectory, so an incumbent
 * example is not displaced by an equal newcomer.
 */
export function byReward<Task, Output, Info>(a: Example<Task, Output, Info>, b: Example<Task, Output, Info>): number {
  return b.reward - a.reward || a.iteration - b.iteration || a.taskIndex - b.taskIndex || a.index - b.index;
}

/** Keeps the `k` highest-reward trajectories. */
export function topK(k: number): AnySelector {
  assertCount('topK(k)', k);
  // A few from thousands: one pass keeping the best k in order, not a sort of the whole pool.
  // `byReward` is a total order, so the result is the sort's first k, ties and all.
  return bounded<AnySelector>((pool) => (k <= fewKept ? bestFew(pool, k) : [...pool].sort(byReward).slice(0, k)), { count: k, perTask: false });
}

/** Up to this many, `topK` keeps its best in one pass (each kept one costs a step per candidate). */
const fewKept = 32;

function bestFew<Task, Output, Info>(pool: readonly Example<Task, Output, Info>[], k: number): Example<Task, Output, Info>[] {
  const best: Example<Task, Output, Info>[] = [];
  for (const example of pool) {
    const last = best[best.length - 1];
    if (best.length === k && last !== undefined && byReward(example, last) >= 0) continue;
    if (best.length === k) best.pop();
    let at = best.length;
    while (at > 0 && byReward(example, best[at - 1] as Example<Task, Output, Info>) < 0) at--;
    best.splice(at, 0, example);
  }
  return best;
}

/** Keeps the trajectories whose reward is at least `minimum`. */
export function threshold(minimum: number): AnySelector {
  if (!Number.isFinite(minimum)) throw new ConfigError('threshold(minimum)', minimum, 'a finite number');
  return (pool) => pool.filter((example) => example.reward >= minimum);
}

/** Keeps the trajectories with a reward above zero. */
export function positiveOnly(): AnySelector {
  return (pool) => pool.filter((example) => example.reward > 0);
}

/**
 * Keeps each trajectory with probability `probability`, drawn afresh on every
 * call from the seeded per-iteration generator (the in-context RL trick that
 * keeps the example set from collapsing onto one pattern).
 */
export function stochastic(probability: number): AnySelector {
  if (!(probability >= 0 && probability <= 1)) {
    throw new ConfigError('stochastic(probability)', probability, 'a number from 0 to 1');
  }
  return (pool, context) => pool.filter(() => context.rng() < probability);
}

/**
 * Keeps one trajectory per distinct output (the highest-reward one). The
 * default key is the task's whole conversation, so distinct multi-turn
 * episodes stay distinct; give a key to compare something else.
 */
export function dedupe(): AnySelector;
export function dedupe<Task>(key: (example: Example<Task, unknown, unknown>) => string): TaskSelector<Task>;
export function dedupe<Task>(
  key: (example: Example<Task, unknown, unknown>) => string = (example) => JSON.stringify(example.turns),
): TaskSelector<Task> {
  return (pool) => {
    const seen = new Set<string>();
    return [...pool].sort(byReward).filter((example) => {
      const identity = key(example);
      if (seen.has(identity)) return false;
      seen.add(identity);
      return true;
    });
  };
}

/** Keeps the `k` highest-reward trajectories of every task. */
export function perTask(k: number): AnySelector {
  assertCount('perTask(k)', k);
  const selector: AnySelector = (pool) => {
    const taken = new Map<string, number>();
    return [...pool].sort(byReward).filter((example) => {
      const count = taken.get(example.taskId) ?? 0;
      taken.set(example.taskId, count + 1);
      return count < k;
    });
  };
  return bounded(selector, { count: k, perTask: true });
}

/** Applies selectors in order, each to the previous one's result: `pipe(dedupe(), positiveOnly(), topK(4))`. */
export function pipe(...selectors: readonly AnySelector[]): AnySelector;
export function pipe<Task, Output, Info>(...selectors: readonly Selector<Task, Output, Info>[]): Selector<Task, Output, Info>;
export function pipe<Task, Output, Info>(...selectors: readonly Selector<Task, Output, Info>[]): Selector<Task, Output, Info> {
  const piped: Selector<Task, Output, Info> = (pool, context) => [
    ...selectors.reduce<readonly Example<Task, Output, Info>[]>((kept, selector) => selector(kept, context), pool),
  ];
  // The rest only see what the first returns: the first one's bound is the pipe's.
  const first = selectors[0];
  return bounded(piped, first === undefined ? undefined : poolBound(first));
}

/** The pool a selector sees under a policy. */
export function selectionPool<Task, Output, Info>(
  policy: PoolPolicy,
  kept: readonly Example<Task, Output, Info>[],
  fresh: readonly Example<Task, Output, Info>[],
): Example<Task, Output, Info>[] {
  return policy === 'elitist' ? [...kept, ...fresh] : [...fresh];
}

/** Drops a task's own trajectories from the examples (the leakage guard of `excludeOwnTask`). */
export function excludeTask<Task, Output, Info>(
  examples: readonly Example<Task, Output, Info>[],
  taskId: string,
): Example<Task, Output, Info>[] {
  return examples.filter((example) => example.taskId !== taskId);
}

function assertCount(option: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(option, value, 'an integer of at least 1');
}
