import type { Budget, RunBudgetGate } from '../run/budget.js';
import type { IterationResult, RunResult, StopReason } from '../core/results.js';
import { createBudgetGate } from '../run/budget.js';
import { collect } from '../stages/collect.js';
import type { RunControl } from '../run/control.js';
import { createRunControl } from '../run/control.js';
import { ConfigError, PauperError, TooManyErrorsError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import type { JournalRunConfig, OpenJournal } from '../journal/open.js';
import { openJournal } from '../journal/open.js';
import type { PriceTable } from '../core/pricing.js';
import type { ResolvedSampling, SamplingOptions } from '../blocks/options.js';
import { integer, optionalFunction, resolveSampling, taskList } from '../blocks/options.js';
import { createRng, deriveSeed } from '../core/random.js';
import type { PoolPolicy, Selector } from '../stages/select.js';
import { byReward, selectionPool, topK } from '../stages/select.js';
import type { SplitStats } from '../core/results.js';
import { splitStats, sumCost } from '../blocks/stats.js';
import type { Example, Split, Trajectory } from '../core/trajectory.js';
import { scoredOnly } from '../core/trajectory.js';
import { addUsage } from '../core/usage.js';

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
  readonly select?: Selector<NoInfer<Task>, NoInfer<Output>, NoInfer<Info>>;
  /** What the selector sees: the kept set plus this iteration's trajectories (`elitist`), or this iteration's only (`fresh`). @default 'elitist' */
  readonly pool?: PoolPolicy;

  /** Path of a JSONL journal that records every event as it happens (see `readJournal`). @default none */
  readonly journal?: string;
  /**
   * Continue the run recorded in `journal`: journaled samples are not requested again and the
   * result equals an uninterrupted run's. Refused when the options differ. A missing journal starts a new run.
   * @default false
   */
  readonly resume?: boolean;
  /** Limits on the run's cost, samples and tokens; when the next request could cross one, the run ends early. @default no limits */
  readonly budget?: Budget;
  /** Prices that extend `defaultPrices` to bound request cost under `budget.maxCostUsd` (the provider prices actual usage). @default defaultPrices */
  readonly prices?: PriceTable;
  /** Stop after the first iteration whose training mean reward reaches this. @default none */
  readonly targetReward?: number;
  /** Stop after this many iterations in a row without a higher best training mean reward. @default none */
  readonly patience?: number;
}


/** The defaults of the loop's shape. */
export const iterateDefaults = { iterations: 3, keep: 4, pool: 'elitist' } as const;



/**
 * A running (or not yet started) loop. Await it for the `RunResult`, or
 * iterate it with `for await` to get each `IterationResult` as it completes;
 * both may be used at once, and every `for await` sees every iteration.
 * Work starts on the first `await` or iteration; breaking out of a
 * `for await` before the run ends stops it.
 */
export class Run<Task, Output = string, Info = undefined>
  implements PromiseLike<RunResult<Task, Output, Info>>, AsyncIterable<IterationResult<Task, Output, Info>>
{
  readonly #loop: AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>>;
  readonly #stop: (reason: unknown) => void;
  readonly #iterations: IterationResult<Task, Output, Info>[] = [];
  #outcome: { readonly result: RunResult<Task, Output, Info> } | { readonly error: unknown } | undefined;
  #pumping: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #changed = Promise.resolve();

  /** @internal Use `iterate()`. */
  constructor(
    loop: AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>>,
    stop: (reason: unknown) => void,
  ) {
    this.#loop = loop;
    this.#stop = stop;
    this.#arm();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<IterationResult<Task, Output, Info>, void> {
    void this.#pump();
    let next = 0;
    let completed = false;
    try {
      while (true) {
        const changed = this.#changed;
        while (next < this.#iterations.length) yield this.#iterations[next++] as IterationResult<Task, Output, Info>;
        const outcome = this.#outcome;
        if (outcome !== undefined && next >= this.#iterations.length) {
          completed = true;
          if ('error' in outcome) throw outcome.error;
          return;
        }
        await changed;
      }
    } finally {
      if (!completed && this.#outcome === undefined) {
        this.#stop(new PauperError('The run was stopped by breaking out of its `for await` loop; it has no final result.'));
      }
    }
  }

  then<Fulfilled = RunResult<Task, Output, Info>, Rejected = never>(
    onFulfilled?: ((result: RunResult<Task, Output, Info>) => Fulfilled | PromiseLike<Fulfilled>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Fulfilled | Rejected> {
    const settled = this.#pump().then(() => {
      const outcome = this.#outcome;
      if (outcome === undefined || 'error' in outcome) throw outcome?.error;
      return outcome.result;
    });
    return settled.then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`: starts the run if it has not started. */
  catch<Rejected = never>(
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<RunResult<Task, Output, Info> | Rejected> {
    return this.then(undefined, onRejected);
  }

  /** Like `Promise.prototype.finally`: starts the run if it has not started. */
  finally(onFinally?: (() => void) | null): Promise<RunResult<Task, Output, Info>> {
    return this.then().finally(onFinally);
  }

  /** Drives the loop once, whoever asks first; never rejects (the outcome holds the error). */
  #pump(): Promise<void> {
    this.#pumping ??= (async () => {
      try {
        while (true) {
          const step = await this.#loop.next();
          if (step.done === true) {
            this.#outcome = { result: step.value };
            return;
          }
          this.#iterations.push(step.value);
          this.#notify();
        }
      } catch (error) {
        this.#outcome = { error };
      } finally {
        this.#notify();
      }
    })();
    return this.#pumping;
  }

  #arm(): void {
    this.#changed = new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#arm();
    wake?.();
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
  // Breaking out of a `for await` stops the run through this signal, as a user abort would.
  const stop = new AbortController();
  const signal = resolved.signal === undefined ? stop.signal : AbortSignal.any([resolved.signal, stop.signal]);
  return new Run(loop({ ...resolved, signal }), (reason) => stop.abort(reason));
}

/** `IterateOptions` validated, defaults filled in. */
export interface ResolvedIterate<Task, Output, Info> extends ResolvedSampling<Task, Output, Info> {
  readonly tasks: readonly Task[];
  readonly evalTasks: readonly Task[];
  readonly iterations: number;
  readonly select: Selector<Task, Output, Info>;
  readonly pool: PoolPolicy;
  readonly journal: { readonly path: string; readonly resume: boolean; readonly config: JournalRunConfig } | undefined;
  readonly gate: RunBudgetGate | undefined;
  readonly targetReward: number | undefined;
  readonly patience: number | undefined;
}

/** Validates `iterate` options (a `ConfigError` names the bad one) and fills in defaults. */
export function resolveIterate<Task, Output, Info>(options: IterateOptions<Task, Output, Info>): ResolvedIterate<Task, Output, Info> {
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
  if (options.journal !== undefined && (typeof options.journal !== 'string' || options.journal === '')) {
    throw new ConfigError('journal', options.journal, 'a file path');
  }
  const resume = options.resume ?? false;
  if (typeof resume !== 'boolean') throw new ConfigError('resume', resume, 'true or false');
  if (resume && options.journal === undefined) throw new ConfigError('resume', resume, 'a `journal` path to resume from');
  const gate = createBudgetGate(options.budget, {
    model: sampling.settings.provider.model,
    completionTokens: sampling.settings.maxTokens,
    prices: options.prices,
  });
  const targetReward = options.targetReward;
  if (targetReward !== undefined && (typeof targetReward !== 'number' || !Number.isFinite(targetReward))) {
    throw new ConfigError('targetReward', targetReward, 'a finite number');
  }
  const patience = options.patience === undefined ? undefined : integer('patience', options.patience, 1);
  const resolved = { ...sampling, tasks, evalTasks, iterations, select: options.select ?? topK(keep), pool, gate, targetReward, patience };
  const path = options.journal;
  return {
    ...resolved,
    // Built now, so tasks a journal cannot hold are a ConfigError from iterate() itself.
    journal: path === undefined ? undefined : { path, resume, config: journalConfig(options, resolved) },
  };
}

/** What the journal records of the options: `resume` holds what a resumed run must match; no secrets, no functions. */
function journalConfig<Task, Output, Info>(
  options: IterateOptions<Task, Output, Info>,
  resolved: Omit<ResolvedIterate<Task, Output, Info>, 'journal'>,
): JournalRunConfig {
  const { settings } = resolved;
  const taskHash = (option: string, tasks: readonly Task[]): string => {
    try {
      return contentHash(tasks);
    } catch (error) {
      throw new ConfigError(option, tasks, `JSON-serialisable tasks to journal (${(error as Error).message})`);
    }
  };
  const resume = {
    provider: settings.provider.name,
    model: settings.provider.model,
    mode: settings.rollout === undefined ? 'reward' : 'rollout',
    schema: options.schema?.['~standard'].vendor ?? null,
    system: options.system ?? null,
    prompt: options.prompt === undefined ? 'default' : 'custom',
    samples: settings.samples,
    temperature: settings.temperature ?? null,
    maxTokens: settings.maxTokens ?? null,
    seed: settings.seed,
    excludeOwnTask: settings.excludeOwnTask,
    select: options.select === undefined ? `topK(${options.keep ?? iterateDefaults.keep})` : 'custom',
    pool: resolved.pool,
    tasks: taskHash('tasks', resolved.tasks),
    evalTasks: taskHash('evalTasks', resolved.evalTasks),
  };
  const config = {
    iterations: resolved.iterations,
    concurrency: resolved.concurrency,
    maxErrors: Number.isFinite(resolved.maxErrors) ? resolved.maxErrors : null,
    capabilities: settings.provider.capabilities,
    budget: options.budget ?? null,
    targetReward: resolved.targetReward ?? null,
    patience: resolved.patience ?? null,
  };
  return {
    seed: settings.seed,
    resume,
    config,
    tasks: resolved.tasks.map((task, index) => settings.taskId(task, index, 'train')),
    evalTasks: resolved.evalTasks.map((task, index) => settings.taskId(task, index, 'eval')),
  };
}

async function* loop<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
): AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>> {
  const runStarted = performance.now();
  // The journal warns while it writes, which is after `control` exists.
  let warn = (_message: string): void => {};
  const journal: OpenJournal | undefined =
    resolved.journal === undefined
      ? undefined
      : await openJournal(resolved.journal.path, resolved.journal.resume, resolved.journal.config, {
          onWarning: (message) => warn(message),
        });
  const control = createRunControl({ ...resolved, journal, gate: resolved.gate });
  warn = (message) => control.emit({ type: 'warning', message });
  const { settings } = resolved;
  const iterations: IterationResult<Task, Output, Info>[] = [];
  let kept: readonly Example<Task, Output, Info>[] = [];
  let best: Example<Task, Output, Info> | undefined;
  let stopped: StopReason | undefined;
  const progress = { bestMean: Number.NEGATIVE_INFINITY, flat: 0 };
  control.emit({
    type: 'run-start',
    seed: settings.seed,
    iterations: resolved.iterations,
    tasks: resolved.tasks.length,
    evalTasks: resolved.evalTasks.length,
    samples: settings.samples,
  });
  for (const message of journal?.warnings ?? []) control.emit({ type: 'warning', message });
  try {
    for (let iteration = 0; iteration <= resolved.iterations; iteration++) {
      control.signal.throwIfAborted();
      const examples = kept;
      control.emit({ type: 'iteration-start', iteration, examples });
      const started = performance.now();
      const staleBefore = control.resumed.stale;
      const [train, held] = await Promise.all([
        timedCollect(resolved, control, resolved.tasks, examples, 'train', iteration),
        resolved.evalTasks.length === 0
          ? undefined
          : timedCollect(resolved, control, resolved.evalTasks, examples, 'eval', iteration),
      ]);
      const trajectories = [...train.trajectories, ...(held?.trajectories ?? [])];
      const stale = control.resumed.stale - staleBefore;
      if (stale > 0) {
        control.emit({
          type: 'warning',
          message:
            `${stale} journaled samples of iteration ${iteration} were made with other prompts: the resumed run diverged ` +
            'from the journal (a changed scorer, selector or folder changed the examples); they were sampled again.',
        });
      }
      const exhausted = resolved.gate?.exhausted;
      if (exhausted !== undefined) {
        stopped = { reason: exhausted.budget, iteration, message: exhausted.message };
        control.emit({ type: 'warning', message: `The run ends early: ${exhausted.message}` });
        // The budget admitted nothing this iteration: it did not happen.
        if (trajectories.length === 0) break;
      }
      const fresh = scoredOnly(train.trajectories);
      kept = resolved.select(selectionPool(resolved.pool, kept, fresh), {
        iteration,
        rng: createRng(deriveSeed(settings.seed, 'select', iteration)),
      });
      for (const candidate of fresh) if (best === undefined || byReward(candidate, best) < 0) best = candidate;
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
      journal?.iteration(result);
      control.emit({ type: 'iteration-end', result });
      await journal?.flush();
      stopped ??= earlyStop(resolved, result, progress);
      yield result;
      if (stopped !== undefined) break;
    }
  } catch (error) {
    control.stop(error);
    // Keep what was paid for: the samples so far reach the journal before the run rejects.
    await journal?.flush().catch(() => {});
    const reason: unknown = control.signal.aborted ? control.signal.reason : error;
    // The error is rebuilt whole, carrying what the run completed before it stopped.
    if (reason instanceof TooManyErrorsError) throw new TooManyErrorsError(reason.maxErrors, reason.failures, [...iterations]);
    throw reason;
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
    stopped,
    resumed: journal?.resuming === true ? { ...control.resumed } : undefined,
  };
  journal?.end(result);
  control.emit({ type: 'run-end', result });
  await journal?.flush();
  return result;
}

/** `targetReward` and `patience`: whether the run should end after this iteration. */
function earlyStop<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  result: IterationResult<Task, Output, Info>,
  progress: { bestMean: number; flat: number },
): StopReason | undefined {
  const mean = result.train.mean;
  const { iteration } = result;
  if (resolved.targetReward !== undefined && mean !== null && mean >= resolved.targetReward) {
    return { reason: 'targetReward', iteration, message: `The training mean reward ${mean} reached targetReward (${resolved.targetReward}).` };
  }
  if (mean !== null && mean > progress.bestMean) {
    progress.bestMean = mean;
    progress.flat = 0;
  } else {
    progress.flat++;
  }
  if (resolved.patience !== undefined && progress.flat >= resolved.patience) {
    return {
      reason: 'patience',
      iteration,
      message: `${progress.flat} ${progress.flat === 1 ? 'iteration' : 'iterations'} in a row without a higher best training mean reward than ${progress.bestMean} (patience ${resolved.patience}).`,
    };
  }
  return undefined;
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
