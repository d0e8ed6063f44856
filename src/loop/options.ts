import type { FingerprintedFunction } from '../blocks/journal-config.js';
import { journalChecks, optionsFingerprint } from '../blocks/journal-config.js';
import type { ResolvedRunOptions, RunOptions } from '../blocks/options.js';
import { integer, optionalFunction, resolveRunOptions } from '../blocks/options.js';
import { jsonReason, taskList } from '../blocks/tasks.js';
import { ConfigError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import type { JournalRunConfig } from '../journal/open.js';
import type { Example } from '../core/trajectory.js';
import type { Provider } from '../providers/spec.js';
import type { BudgetGate } from '../run/budget.js';
import type { PoolPolicy, SelectContext, Selector } from '../stages/select.js';
import { topK } from '../stages/select.js';
import type { FineTuneOptions, ResolvedFineTune } from './fine-tune.js';
import { fineTuneFingerprint, resolveFineTune } from './fine-tune.js';
import type { ProgressOptions, ProgressSettings } from './progress.js';
import { resolveProgress } from './progress.js';

/** Options of `iterate`: the sampling options plus the training set and the loop's shape. */
export interface IterateOptions<Task, Output = string, Info = undefined> extends RunOptions<Task, Output, Info> {
  /**
   * The training tasks: sampled every iteration, and the only source of examples. No holes; JSON
   * values (no BigInt, cycle, function, `undefined` field, ...) when a `journal` hashes them or the
   * default rendering shows them as JSON (no `render`, `prompt` or `rollout`). Checked before any request.
   */
  readonly tasks: readonly Task[];
  /** Held-out tasks: evaluated every iteration with the same examples as the training prompts, never selected from. @default none */
  readonly evalTasks?: readonly Task[];
  /** Iterations after the zero-shot baseline (iteration 0); the run has `iterations + 1` in all. @default 3 */
  readonly iterations?: number;
  /** Examples kept by the default selector, `topK(keep)`. Give `keep` or `select`, not both. @default 4 */
  readonly keep?: number;
  /** Chooses the kept set from the pool (see `select.ts`). @default topK(keep) */
  readonly select?: SelectOption<Task, Output, Info>;
  /** What the selector sees: the kept set plus this iteration's trajectories (`elitist`), or this iteration's only (`fresh`). @default 'elitist' */
  readonly pool?: PoolPolicy;
  /** Stop after the first iteration whose training mean reward reaches this. @default none */
  readonly targetReward?: number;
  /** Stop after this many iterations in a row without a higher best training mean reward. @default none */
  readonly patience?: number;
  /**
   * Live progress on standard error (or `progress.stream`): on a terminal a status line redrawn in
   * place, then a line per iteration; elsewhere a line per iteration and one at the end.
   * @default on when standard error is a terminal or `CI` is set; off under a test runner (`VITEST`, `JEST_WORKER_ID`, `NODE_TEST_CONTEXT`, `NODE_ENV=test`)
   */
  readonly progress?: boolean | ProgressOptions;
  /**
   * Fine-tune the model on the kept trajectories between iterations and sample the fine-tuned
   * model from then on (`openai` providers); see `FineTuneOptions` and docs/fine-tuning.md.
   * @default none: examples are folded into the prompts only
   */
  readonly fineTune?: FineTuneOptions;
  /**
   * A stronger (dearer) model whose samples of the training tasks become the examples folded into
   * the student's (`provider`'s) prompts: held-out tasks, and the training iterations not in
   * `teacherIterations`, are sampled by the student. Each sample records which one made it
   * (`sampledBy`); results split usage and cost by provider; budgets count both. @default none
   */
  readonly teacher?: Provider;
  /** The training iterations the `teacher` samples (0 is the baseline); the others are the student's. @default every iteration */
  readonly teacherIterations?: readonly number[];
  /**
   * Where the run's trajectories live. `'memory'`: in the result (`result.trajectories` and each
   * iteration's). `'journal'`: only in the `journal`, for runs too large to hold. The result then
   * holds statistics, the kept set and the best trajectory, and reading its `trajectories` throws
   * `TrajectoriesNotKeptError`; read them back with `readSamples(journal)`. Selection holds only
   * the best `k` under `topK(k)`, `perTask(k)` or a `pipe` starting with one; another selector
   * gets every scored training trajectory of the iteration.
   * @default 'memory'
   */
  readonly trajectories?: TrajectoryStore;
}

/** Where a run's trajectories live: in its result, or only in its journal (see `IterateOptions.trajectories`). */
export type TrajectoryStore = 'memory' | 'journal';

/**
 * A `Selector` as `iterate` takes it. Its pool, not its result, is where TypeScript may infer the
 * run's `Info`, so a separately typed selector gives an inline reward its info type without
 * `iterate<Task, Output, Info>(...)`, and a reward's own info still wins when both give one.
 */
type SelectOption<Task, Output, Info> = (
  pool: readonly Example<NoInfer<Task>, NoInfer<Output>, Info>[],
  context: SelectContext,
) => readonly Example<NoInfer<Task>, NoInfer<Output>, NoInfer<Info>>[];

/** The options `iterate` takes beside `RunOptions`. */
const iterateOptionNames = ['tasks', 'evalTasks', 'iterations', 'keep', 'select', 'pool', 'targetReward', 'patience', 'progress', 'fineTune', 'teacher', 'teacherIterations', 'trajectories'] as const satisfies readonly (keyof IterateOptions<unknown>)[];

/** The defaults of the loop's shape. */
export const iterateDefaults = { iterations: 3, keep: 4, pool: 'elitist', trajectories: 'memory' } as const;

/** `IterateOptions` validated, defaults filled in. */
export interface ResolvedIterate<Task, Output, Info> extends Omit<ResolvedRunOptions<Task, Output, Info>, 'journal'> {
  readonly tasks: readonly Task[];
  readonly evalTasks: readonly Task[];
  readonly iterations: number;
  readonly select: Selector<Task, Output, Info>;
  readonly pool: PoolPolicy;
  readonly journal: { readonly path: string; readonly resume: boolean; readonly config: JournalRunConfig } | undefined;
  readonly targetReward: number | undefined;
  readonly patience: number | undefined;
  /** Where to report progress; `undefined` when off. */
  readonly progress: ProgressSettings | undefined;
  /** Fine-tuning between iterations; `undefined` when off. */
  readonly fineTune: ResolvedFineTune | undefined;
  /** Where the run's trajectories live. */
  readonly trajectories: TrajectoryStore;
  /** The teacher and the training iterations it samples; `undefined` without one. */
  readonly teacher: ResolvedTeacher | undefined;
}

/** The `teacher` option resolved: its provider, the iterations it samples, and its budget gate. */
export interface ResolvedTeacher {
  readonly provider: Provider;
  /** Whether the teacher samples a training iteration. */
  readonly samples: (iteration: number) => boolean;
  /** The run's budget gate, bounding the teacher's requests at its own prices. */
  readonly gate: BudgetGate | undefined;
}

/** Validates `iterate` options (a `ConfigError` names the bad one) and fills in defaults. */
export function resolveIterate<Task, Output, Info>(
  options: IterateOptions<Task, Output, Info>,
  entry: { readonly name: string; readonly options: readonly string[] } = { name: 'iterate()', options: [] },
): ResolvedIterate<Task, Output, Info> {
  const sampling = resolveRunOptions(options, { name: entry.name, options: [...iterateOptionNames, ...entry.options] });
  const json = jsonReason(options);
  const tasks = taskList('tasks', options.tasks, { allowEmpty: false, json });
  const evalTasks = options.evalTasks === undefined ? [] : taskList('evalTasks', options.evalTasks, { allowEmpty: true, json });
  const iterations = integer('iterations', options.iterations ?? iterateDefaults.iterations, 0);
  if (options.keep !== undefined && options.select !== undefined) {
    throw new ConfigError('keep', options.keep, 'no `keep` when `select` is given (use topK(k) inside `select`)');
  }
  const keep = integer('keep', options.keep ?? iterateDefaults.keep, 1);
  optionalFunction('select', options.select);
  const pool = options.pool ?? iterateDefaults.pool;
  if (pool !== 'elitist' && pool !== 'fresh') throw new ConfigError('pool', pool, "'elitist' or 'fresh'");
  const targetReward = options.targetReward;
  if (targetReward !== undefined && (typeof targetReward !== 'number' || !Number.isFinite(targetReward))) {
    throw new ConfigError('targetReward', targetReward, 'a finite number');
  }
  const patience = options.patience === undefined ? undefined : integer('patience', options.patience, 1);
  const progress = resolveProgress(options.progress);
  const fineTune = resolveFineTune(options.fineTune, options.provider, options.budget);
  const teacher = resolveTeacher(options, sampling);
  const trajectories = options.trajectories ?? iterateDefaults.trajectories;
  if (trajectories !== 'memory' && trajectories !== 'journal') throw new ConfigError('trajectories', trajectories, "'memory' or 'journal'");
  if (trajectories === 'journal' && sampling.journal === undefined) {
    throw new ConfigError('trajectories', trajectories, "a `journal` path to leave them in, or 'memory' to keep them in the result");
  }
  const select = options.select ?? topK(keep);
  const resolved = { ...sampling, tasks, evalTasks, iterations, select, pool, targetReward, patience, progress, fineTune, teacher, trajectories };
  const { journal } = sampling;
  return {
    ...resolved,
    // Built now, so tasks a journal cannot hold are a ConfigError from iterate() itself.
    journal: journal === undefined ? undefined : { ...journal, config: journalConfig(options, resolved, journal.acceptChanged) },
  };
}

/** Checks `teacher` and `teacherIterations`; the teacher's gate shares the run's budget. */
function resolveTeacher<Task, Output, Info>(
  options: IterateOptions<Task, Output, Info>,
  sampling: ResolvedRunOptions<Task, Output, Info>,
): ResolvedTeacher | undefined {
  const { teacher, teacherIterations } = options;
  if (teacher === undefined) {
    if (teacherIterations !== undefined) throw new ConfigError('teacherIterations', teacherIterations, 'nothing without a `teacher`');
    return undefined;
  }
  if (typeof teacher !== 'object' || teacher === null || typeof (teacher as Provider).sample !== 'function') {
    throw new ConfigError('teacher', teacher, 'a Provider such as openai({ model }) or fromFunction(fn)');
  }
  if (teacherIterations !== undefined && (!Array.isArray(teacherIterations) || !teacherIterations.every((n) => Number.isInteger(n) && n >= 0))) {
    throw new ConfigError('teacherIterations', teacherIterations, 'an array of iteration numbers (integers of at least 0)');
  }
  const chosen = teacherIterations === undefined ? undefined : new Set(teacherIterations);
  const { model, prices, costPerCall } = teacher;
  const context = { model, completionTokens: sampling.settings.maxOutputTokens, prices, costPerCall };
  return {
    provider: teacher,
    samples: (iteration) => chosen === undefined || chosen.has(iteration),
    gate: sampling.gate?.pricedFor(context, 'teacher'),
  };
}

/** What the journal records of the options: `resume` holds what a resumed run must match; no secrets, no functions. */
function journalConfig<Task, Output, Info>(
  options: IterateOptions<Task, Output, Info>,
  resolved: Omit<ResolvedIterate<Task, Output, Info>, 'journal'>,
  acceptChanged: readonly FingerprintedFunction[],
): JournalRunConfig {
  const { settings } = resolved;
  const resume = {
    ...optionsFingerprint(options, settings),
    select: options.select === undefined ? `topK(${options.keep ?? iterateDefaults.keep})` : 'custom',
    pool: resolved.pool,
    tasks: contentHash(resolved.tasks),
    evalTasks: contentHash(resolved.evalTasks),
    // What shapes the run's jobs (not how often they are polled); absent without fine-tuning, so other journals keep their fingerprint.
    ...(resolved.fineTune === undefined ? {} : { fineTune: fineTuneFingerprint(resolved.fineTune) }),
    // Only with a teacher: a journal written without one keeps its fingerprint.
    ...(options.teacher === undefined
      ? {}
      : { teacher: `${options.teacher.name}/${options.teacher.model}`, teacherIterations: options.teacherIterations === undefined ? 'all' : [...options.teacherIterations].sort((a, b) => a - b) }),
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
    // Iteration 0 has no examples: its prompts are known before sampling.
    ...journalChecks(options, {
      settings,
      acceptChanged,
      tasks: { train: resolved.tasks, eval: resolved.evalTasks },
      iteration: 0,
      examples: [],
    }),
  };
}
