import type { RunControl } from './collect.js';
import { collect, createRunControl } from './collect.js';
import { ConfigError, PauperError } from './errors.js';
import type { ResolvedSampling, SamplingOptions } from './options.js';
import { integer, optionalFunction, resolveSampling, taskList } from './options.js';
import { createRng, deriveSeed } from './random.js';
import type { PoolPolicy, Selector } from './select.js';
import { byReward, selectionPool, topK } from './select.js';
import type { SplitStats } from './stats.js';
import { splitStats, sumCost } from './stats.js';
import type { Example, Split, Trajectory } from './trajectory.js';
import { scoredOnly } from './trajectory.js';
import type { Usage } from './usage.js';
import { addUsage } from './usage.js';

/** Options of `iterate`: the sampling options plus the training set and the loop's shape. */
export interface IterateOptions<Task, Output = string, Info = undefined> extends SamplingOptions<Task, Output, Info> {
  /** The training tasks: sampled every iteration, and the only source of examples. */
  readonly tasks: readonly Task[];
  /** Held-out tasks: evaluated every iteration with the same examples as the training prompts, never selected from. @default none */
  readonly evalTasks?: readonly Task[];
  /** Iterations after the zero-shot baseline (iteration 0); the run has `iterations + 1` in all. @default 3 */
  readonly iterations?: number;
  /** Examples kept by the default selector, `topK(keep)`. Give `keep` or `select`, not both. @default 4 */
  readonly keep?: number;
  /** Chooses the kept set from the pool (see `select.ts`). @default topK(keep) */
  readonly select?: Selector;
  /** What the selector sees: the kept set plus this iteration's trajectories (`elitist`), or this iteration's only (`fresh`). @default 'elitist' */
  readonly pool?: PoolPolicy;
}

/** The defaults of the loop's shape. */
export const iterateDefaults = { iterations: 3, keep: 4, pool: 'elitist' } as const;

/** What one iteration produced. */
export interface IterationResult<Task, Output = string, Info = undefined> {
  /** 0 is the zero-shot baseline. */
  readonly iteration: number;
  /** The examples this iteration's prompts were built with (none at iteration 0). */
  readonly examples: readonly Example<Task, Output, Info>[];
  /** The kept set chosen after this iteration: the next iteration's examples. */
  readonly kept: readonly Example<Task, Output, Info>[];
  readonly train: SplitStats;
  /** Held-out statistics; `undefined` without `evalTasks`. */
  readonly eval: SplitStats | undefined;
  /** This iteration's trajectories, training then held-out, each ordered by task and sample index. */
  readonly trajectories: readonly Trajectory<Task, Output, Info>[];
  readonly usage: Usage;
  /** `null` when any sample's price was unknown. */
  readonly costUsd: number | null;
  readonly wallTimeMs: number;
}

/** What a whole run produced. */
export interface RunResult<Task, Output = string, Info = undefined> {
  readonly iterations: readonly IterationResult<Task, Output, Info>[];
  /** The highest-reward training trajectory of the run (the earliest among equals); `undefined` when nothing was scored. */
  readonly best: Example<Task, Output, Info> | undefined;
  /** The final kept set: fold it into prompts to use what the run learned. */
  readonly examples: readonly Example<Task, Output, Info>[];
  /** Every trajectory of every iteration, training and held-out, failed ones included. */
  readonly trajectories: readonly Trajectory<Task, Output, Info>[];
  readonly usage: Usage;
  readonly costUsd: number | null;
  readonly wallTimeMs: number;
  readonly seed: number;
}

/**
 * A running (or not yet started) loop. Await it for the `RunResult`, or
 * iterate it with `for await` to get each `IterationResult` as it completes.
 * Work starts on the first `await` or iteration; breaking out of a
 * `for await` stops the run.
 */
export class Run<Task, Output = string, Info = undefined>
  implements PromiseLike<RunResult<Task, Output, Info>>, AsyncIterable<IterationResult<Task, Output, Info>>
{
  readonly #loop: AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>>;
  #result: RunResult<Task, Output, Info> | undefined;
  #promise: Promise<RunResult<Task, Output, Info>> | undefined;
  #stoppedEarly = false;

  /** @internal Use `iterate()`. */
  constructor(loop: AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>>) {
    this.#loop = loop;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<IterationResult<Task, Output, Info>, void> {
    if (this.#result !== undefined) {
      yield* this.#result.iterations;
      return;
    }
    let finished = false;
    try {
      while (true) {
        const step = await this.#loop.next();
        if (step.done === true) {
          this.#result = step.value;
          finished = true;
          return;
        }
        yield step.value;
      }
    } catch (error) {
      finished = true;
      throw error;
    } finally {
      if (!finished) {
        this.#stoppedEarly = true;
        await this.#loop.return(undefined as never);
      }
    }
  }

  then<Fulfilled = RunResult<Task, Output, Info>, Rejected = never>(
    onFulfilled?: ((result: RunResult<Task, Output, Info>) => Fulfilled | PromiseLike<Fulfilled>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Fulfilled | Rejected> {
    this.#promise ??= this.#finish();
    return this.#promise.then(onFulfilled, onRejected);
  }

  async #finish(): Promise<RunResult<Task, Output, Info>> {
    for await (const _ of this) {
      // Drain: each iteration's result is also in the final result.
    }
    if (this.#result === undefined || this.#stoppedEarly) {
      throw new PauperError('The run was stopped by breaking out of its `for await` loop; it has no final result.');
    }
    return this.#result;
  }
}

/**
 * The loop: sample every task N times, score each sample, keep the best,
 * fold them into the next iteration's prompts, repeat. Options are validated
 * at once (a `ConfigError` names the bad option); work starts when the
 * returned `Run` is awaited or iterated.
 *
 * @example
 * const run = await iterate({
 *   provider: openai({ model: 'gpt-4.1-mini' }),
 *   tasks: mazes,
 *   reward: (sample, { task }) => mazeReward(task, parseMoves(sample.text)).score,
 *   samples: 8,
 *   iterations: 4,
 * });
 * console.log(run.iterations.map((it) => it.train.mean));
 */
export function iterate<Task, Output = string, Info = undefined>(
  options: IterateOptions<Task, Output, Info>,
): Run<Task, Output, Info> {
  const resolved = resolveIterate(options);
  return new Run(loop(resolved));
}

interface ResolvedIterate<Task, Output, Info> extends ResolvedSampling<Task, Output, Info> {
  readonly tasks: readonly Task[];
  readonly evalTasks: readonly Task[];
  readonly iterations: number;
  readonly select: Selector;
  readonly pool: PoolPolicy;
}

function resolveIterate<Task, Output, Info>(options: IterateOptions<Task, Output, Info>): ResolvedIterate<Task, Output, Info> {
  const sampling = resolveSampling(options);
  const tasks = taskList('tasks', options.tasks, false);
  const evalTasks = options.evalTasks === undefined ? [] : taskList('evalTasks', options.evalTasks, true);
  const iterations = integer('iterations', options.iterations ?? iterateDefaults.iterations, 0);
  if (options.keep !== undefined && options.select !== undefined) {
    throw new ConfigError('keep', options.keep, 'no `keep` when `select` is given (use topK(k) inside `select`)');
  }
  const keep = integer('keep', options.keep ?? iterateDefaults.keep, 1);
  optionalFunction('select', options.select);
  const pool = options.pool ?? iterateDefaults.pool;
  if (pool !== 'elitist' && pool !== 'fresh') throw new ConfigError('pool', pool, "'elitist' or 'fresh'");
  return { ...sampling, tasks, evalTasks, iterations, select: options.select ?? topK(keep), pool };
}

async function* loop<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
): AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>> {
  const control = createRunControl(resolved);
  const { settings } = resolved;
  const runStarted = performance.now();
  const iterations: IterationResult<Task, Output, Info>[] = [];
  let kept: readonly Example<Task, Output, Info>[] = [];
  let best: Example<Task, Output, Info> | undefined;
  control.emit({
    type: 'run-start',
    seed: settings.seed,
    iterations: resolved.iterations,
    tasks: resolved.tasks.length,
    evalTasks: resolved.evalTasks.length,
    samples: settings.samples,
  });
  try {
    for (let iteration = 0; iteration <= resolved.iterations; iteration++) {
      control.signal.throwIfAborted();
      const examples = kept;
      control.emit({ type: 'iteration-start', iteration, examples });
      const started = performance.now();
      const [train, held] = await Promise.all([
        timedCollect(resolved, control, resolved.tasks, examples, 'train', iteration),
        resolved.evalTasks.length === 0
          ? undefined
          : timedCollect(resolved, control, resolved.evalTasks, examples, 'eval', iteration),
      ]);
      const fresh = scoredOnly(train.trajectories);
      kept = resolved.select(selectionPool(resolved.pool, kept, fresh), {
        iteration,
        rng: createRng(deriveSeed(settings.seed, 'select', iteration)),
      });
      for (const candidate of fresh) if (best === undefined || byReward(candidate, best) < 0) best = candidate;
      const trajectories = [...train.trajectories, ...(held?.trajectories ?? [])];
      const result: IterationResult<Task, Output, Info> = {
        iteration,
        examples,
        kept,
        train: train.stats,
        eval: held?.stats,
        trajectories,
        usage: addUsage(train.stats.usage, ...(held === undefined ? [] : [held.stats.usage])),
        costUsd: sumCost([train.stats.costUsd, ...(held === undefined ? [] : [held.stats.costUsd])]),
        wallTimeMs: performance.now() - started,
      };
      iterations.push(result);
      control.emit({ type: 'iteration-end', result });
      yield result;
    }
  } catch (error) {
    control.stop(error);
    throw control.signal.aborted ? control.signal.reason : error;
  } finally {
    // A consumer that stops iterating early also stops in-flight work.
    control.stop(new PauperError('The run was stopped.'));
  }
  const result: RunResult<Task, Output, Info> = {
    iterations,
    best,
    examples: kept,
    trajectories: iterations.flatMap((iteration) => iteration.trajectories),
    usage: addUsage(...iterations.map((iteration) => iteration.usage)),
    costUsd: sumCost(iterations.map((iteration) => iteration.costUsd)),
    wallTimeMs: performance.now() - runStarted,
    seed: settings.seed,
  };
  control.emit({ type: 'run-end', result });
  return result;
}

async function timedCollect<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  tasks: readonly Task[],
  examples: readonly Example<Task, Output, Info>[],
  split: Split,
  iteration: number,
): Promise<{ trajectories: Trajectory<Task, Output, Info>[]; stats: SplitStats }> {
  const started = performance.now();
  const trajectories = await collect(resolved.settings, control, tasks, examples, { split, iteration });
  return { trajectories, stats: splitStats(trajectories, performance.now() - started) };
}
