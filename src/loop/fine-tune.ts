import { fineTuningRecords } from '../blocks/export.js';
import { integer } from '../blocks/options.js';
import { ConfigError, FineTuneError, ProviderError } from '../core/errors.js';
import type { PriceTable } from '../core/pricing.js';
import { defaultPrices, findPrice, priceShape, trainingCostIn } from '../core/pricing.js';
import { deriveSeed } from '../core/random.js';
import type { FineTuneResult, IterationResult } from '../core/results.js';
import type { Example } from '../core/trajectory.js';
import { zeroUsage } from '../core/usage.js';
import { wait } from '../core/wait.js';
import type { JournalFineTune } from '../journal/records.js';
import type { FineTuneStep, OpenJournal } from '../journal/open.js';
import type { FineTuning, FineTuningJob, Provider } from '../providers/spec.js';
import type { Budget, RunBudgetGate } from '../run/budget.js';
import type { EventListener } from '../run/events.js';

/**
 * `iterate({ fineTune })`: between iterations, fine-tune the model on the kept trajectories and
 * sample the fine-tuned model from the next iteration on (see `docs/fine-tuning.md`).
 */
export interface FineTuneOptions {
  /** Train after every `every`-th iteration: after iterations `every - 1`, `2 × every - 1`, ..., never after the last. @default 1 */
  readonly every?: number;
  /** Train only when at least this many kept examples are not in the previous job's file. @default 1 */
  readonly minNewExamples?: number;
  /** Fold the kept examples into the prompts too (prompting and fine-tuning); `false` keeps every prompt zero-shot. @default false */
  readonly foldExamples?: boolean;
  /** What each job trains: the provider's own model on the whole kept set (`'base'`), or the latest fine-tuned model (`'latest'`). @default 'base' */
  readonly from?: 'base' | 'latest';
  /**
   * The supervised method's hyperparameters, passed through: `n_epochs`, `batch_size`,
   * `learning_rate_multiplier`, each a number or `'auto'`. `budget.maxCostUsd` needs a numeric `n_epochs`.
   * @default {} (the provider chooses)
   */
  readonly hyperparameters?: Readonly<Record<string, number | 'auto'>>;
  /** Added to the fine-tuned model's name (up to 64 characters). @default 'pauper' */
  readonly suffix?: string;
  /** Milliseconds before the first poll of a job; each later wait doubles, up to `pollMaxMs`. @default 5000 */
  readonly pollMs?: number;
  /** The longest wait between polls, in milliseconds. @default 60000 */
  readonly pollMaxMs?: number;
}

/** The defaults of `fineTune`, filled in one place. */
export const fineTuneDefaults = { every: 1, minNewExamples: 1, foldExamples: false, from: 'base', suffix: 'pauper', pollMs: 5_000, pollMaxMs: 60_000 } as const;

/** `FineTuneOptions` validated, with what the loop needs of the provider. */
export interface ResolvedFineTune {
  readonly every: number;
  readonly minNewExamples: number;
  readonly foldExamples: boolean;
  readonly from: 'base' | 'latest';
  readonly hyperparameters: Readonly<Record<string, number | 'auto'>>;
  readonly suffix: string;
  readonly pollMs: number;
  readonly pollMaxMs: number;
  readonly api: FineTuning;
  /** The provider sampling another model. */
  readonly switchTo: (model: string) => Provider;
  readonly prices: PriceTable;
}

const names = ['every', 'minNewExamples', 'foldExamples', 'from', 'hyperparameters', 'suffix', 'pollMs', 'pollMaxMs'] as const satisfies readonly (keyof FineTuneOptions)[];

/** Validates `fineTune` against the provider and the budget (a `ConfigError` names the bad field); `undefined` without it. */
export function resolveFineTune(options: FineTuneOptions | undefined, provider: Provider, budget: Budget | undefined): ResolvedFineTune | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new ConfigError('fineTune', options, 'an object such as { every: 2, hyperparameters: { n_epochs: 3 } }');
  for (const key of Object.keys(options)) {
    if (!(names as readonly string[]).includes(key)) throw new ConfigError(`fineTune.${key}`, (options as Record<string, unknown>)[key], `one of the fields ${names.join(', ')}`);
  }
  const { fineTuning: api, withModel } = provider;
  if (api === undefined || typeof withModel !== 'function') {
    throw new ConfigError('fineTune', options, `a provider that can fine-tune and switch models, such as openai({ model }); ${provider.name} cannot`);
  }
  const foldExamples = options.foldExamples ?? fineTuneDefaults.foldExamples;
  if (typeof foldExamples !== 'boolean') throw new ConfigError('fineTune.foldExamples', foldExamples, 'true or false');
  const from = options.from ?? fineTuneDefaults.from;
  if (from !== 'base' && from !== 'latest') throw new ConfigError('fineTune.from', from, "'base' or 'latest'");
  const suffix = options.suffix ?? fineTuneDefaults.suffix;
  if (typeof suffix !== 'string' || suffix.length > 64) throw new ConfigError('fineTune.suffix', suffix, 'a string of up to 64 characters');
  const hyperparameters = options.hyperparameters ?? {};
  if (typeof hyperparameters !== 'object' || hyperparameters === null || Array.isArray(hyperparameters)) {
    throw new ConfigError('fineTune.hyperparameters', hyperparameters, "an object such as { n_epochs: 3, batch_size: 'auto' }");
  }
  for (const [key, value] of Object.entries(hyperparameters)) {
    if (value !== 'auto' && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
      throw new ConfigError(`fineTune.hyperparameters.${key}`, value, "a positive number or 'auto'");
    }
  }
  const prices = provider.prices ?? defaultPrices;
  if (budget?.maxCostUsd !== undefined) checkPriced(provider.model, prices, hyperparameters);
  const pollMs = integer('fineTune.pollMs', options.pollMs ?? fineTuneDefaults.pollMs, 1);
  return {
    every: integer('fineTune.every', options.every ?? fineTuneDefaults.every, 1),
    minNewExamples: integer('fineTune.minNewExamples', options.minNewExamples ?? fineTuneDefaults.minNewExamples, 1),
    foldExamples,
    from,
    hyperparameters: { ...hyperparameters },
    suffix,
    pollMs,
    pollMaxMs: integer('fineTune.pollMaxMs', options.pollMaxMs ?? Math.max(pollMs, fineTuneDefaults.pollMaxMs), pollMs),
    api,
    switchTo: (model) => withModel.call(provider, model),
    prices,
  };
}

/** What a journal's resume must match of `fineTune`: what shapes the jobs, not how often they are polled. */
export function fineTuneFingerprint(fineTune: ResolvedFineTune): Readonly<Record<string, unknown>> {
  const { every, minNewExamples, foldExamples, from, hyperparameters, suffix } = fineTune;
  return { every, minNewExamples, foldExamples, from, hyperparameters, suffix };
}

/** `budget.maxCostUsd` bounds a job before it is created: it needs the epochs, the training price and the fine-tuned model's price. */
function checkPriced(model: string, prices: PriceTable, hyperparameters: Readonly<Record<string, number | 'auto'>>): void {
  if (typeof hyperparameters.n_epochs !== 'number') {
    throw new ConfigError('fineTune.hyperparameters.n_epochs', hyperparameters.n_epochs, 'a number of epochs: `budget.maxCostUsd` needs one to bound what a job can cost');
  }
  if (trainingCostIn(prices, model, 1) === null) {
    throw new ConfigError('provider.prices', model, `a training price for "${model}": give the provider \`prices: { '${model}': { input, output, training } }\``);
  }
  if (findPrice(`ft:${model}:pauper::check`, prices) === undefined) {
    throw new ConfigError('provider.prices', `ft:${model}`, `a price for the models fine-tuned from "${model}": give the provider ${priceShape(`ft:${model}`)}`);
  }
}

/** Whether `every` puts a job after `iteration` (never after the last one: nothing would sample its model). */
export function fineTuneScheduled(fineTune: ResolvedFineTune, iteration: number, lastIteration: number): boolean {
  return iteration < lastIteration && (iteration + 1) % fineTune.every === 0;
}

/** Whether a job is due after `iteration`: scheduled, and the kept set has `minNewExamples` not trained on yet. */
export function fineTuneDue(fineTune: ResolvedFineTune, iteration: number, lastIteration: number, kept: readonly Example<unknown, unknown, unknown>[], trainedOn: ReadonlySet<string>): boolean {
  if (!fineTuneScheduled(fineTune, iteration, lastIteration)) return false;
  return kept.filter((example) => !trainedOn.has(example.id)).length >= fineTune.minNewExamples;
}

/** What a fine-tuning step works with: the run's journal, budget, signal and events. */
export interface FineTuneContext {
  readonly fineTune: ResolvedFineTune;
  readonly journal: OpenJournal | undefined;
  readonly gate: RunBudgetGate | undefined;
  readonly signal: AbortSignal;
  readonly emit: EventListener<unknown, unknown, unknown>;
  readonly seed: number;
  /** The iterations completed so far, carried by a `FineTuneError`. */
  readonly completed: readonly IterationResult<unknown, unknown, unknown>[];
}

/**
 * Trains a job on the kept set after `iteration` and waits for its model: uploads the file,
 * creates the job, polls it with backoff, journaling each step as it happens. A resumed run
 * continues from the journal: a finished job's model is taken as it is, a journaled job is
 * polled, a file whose job went unjournaled adopts that job. `'refused'` when the budget does not
 * admit the job; `undefined` when the kept set is too small (a warning says so).
 */
export async function trainAfter(
  context: FineTuneContext,
  iteration: number,
  kept: readonly Example<unknown, unknown, unknown>[],
  baseModel: string,
): Promise<FineTuneResult | 'refused' | undefined> {
  try {
    return await train(context, iteration, kept, baseModel);
  } catch (error) {
    // A request of the job that failed past its retries (an upload refused, the API down) fails the job, keeping the run's results.
    if (!(error instanceof ProviderError) || context.signal.aborted) throw error;
    const jobId = context.journal?.heldFineTunes.get(iteration)?.jobId;
    throw new FineTuneError({ jobId, status: 'failed', iteration, reason: error.message }, context.completed, { cause: error });
  }
}

async function train(
  context: FineTuneContext,
  iteration: number,
  kept: readonly Example<unknown, unknown, unknown>[],
  baseModel: string,
): Promise<FineTuneResult | 'refused' | undefined> {
  const { fineTune, journal, gate } = context;
  const held = journal?.heldFineTunes.get(iteration);
  if (held?.phase === 'succeeded' && held.model !== undefined && held.jobId !== undefined) {
    gate?.charge(zeroUsage, held.costUsd ?? null, 0);
    return resultOf(held, held.jobId, held.model);
  }
  const records = fineTuningRecords(kept);
  if (held === undefined && records.length < fineTune.api.minExamples) {
    context.emit({
      type: 'warning',
      code: 'fine-tune-skipped',
      message: `No fine-tuning job after iteration ${iteration}: the kept set holds ${records.length} trainable examples, the provider needs ${fineTune.api.minExamples}. Keep more (\`keep\`, \`select\`).`,
    });
    return undefined;
  }
  const jsonl = records.map((record) => `${JSON.stringify(record)}\n`).join('');
  const metadata = { pauper_iteration: String(iteration) };
  let step: FineTuneStep =
    held === undefined
      ? { iteration, phase: 'file', baseModel, fileId: '', examples: kept.filter((example) => example.turns.at(-1)?.role === 'assistant').map((example) => example.id) }
      : continued(held);
  const record = async (next: FineTuneStep): Promise<void> => {
    step = next;
    await journal?.fineTune(next);
  };
  if (held === undefined) {
    const fileId = await fineTune.api.upload(jsonl, `pauper-iteration-${iteration}.jsonl`, context.signal);
    await record({ ...step, fileId });
    context.emit({ type: 'fine-tune', iteration, phase: 'file', fileId });
  }
  // The budget holds the job's worst case from before it is created: bytes bound tokens, times the epochs.
  const epochs = fineTune.hyperparameters.n_epochs;
  const worst = typeof epochs === 'number' ? (trainingCostIn(fineTune.prices, step.baseModel, Buffer.byteLength(jsonl) * Math.ceil(epochs)) ?? 0) : 0;
  let job: FineTuningJob | undefined;
  if (step.phase === 'job' && step.jobId !== undefined) job = await fineTune.api.retrieve(step.jobId, context.signal);
  // A crash between creating the job and journaling it: the job exists; adopt it.
  else if (step.phase === 'file' && held !== undefined) job = await fineTune.api.find(step.fileId, metadata, context.signal);
  let ticket: { settle(costUsd: number | null): void } | undefined;
  if (job === undefined) {
    if (gate !== undefined) {
      ticket = gate.admitTraining(worst);
      if (ticket === undefined) return 'refused';
    }
    job = await fineTune.api.create(
      {
        model: step.baseModel,
        trainingFile: step.fileId,
        hyperparameters: fineTune.hyperparameters,
        suffix: fineTune.suffix === '' ? undefined : fineTune.suffix,
        seed: deriveSeed(context.seed, 'fine-tune', iteration) >>> 1,
        metadata,
      },
      context.signal,
    );
  }
  if (step.jobId !== job.id || step.phase !== 'job') await record({ ...step, phase: 'job', jobId: job.id });
  context.emit({ type: 'fine-tune', iteration, phase: 'job', fileId: step.fileId, jobId: job.id, status: job.status });
  job = await untilDone(context, iteration, step.fileId, job);
  const costUsd = job.trainedTokens === undefined ? null : trainingCostIn(fineTune.prices, step.baseModel, job.trainedTokens);
  const charge = (cost: number | null): void => {
    if (ticket !== undefined) ticket.settle(cost);
    else gate?.charge(zeroUsage, cost ?? worst, 0);
  };
  if (job.status !== 'succeeded') {
    charge(costUsd ?? 0);
    const reason = job.error ?? `the job ended ${job.status}`;
    await record({ ...step, phase: job.status === 'cancelled' ? 'cancelled' : 'failed', message: reason, ...trained(job, costUsd) });
    throw new FineTuneError({ jobId: job.id, status: job.status === 'cancelled' ? 'cancelled' : 'failed', iteration, reason }, context.completed);
  }
  charge(costUsd);
  const model = job.fineTunedModel;
  if (model === undefined) {
    throw new ProviderError(`The fine-tuning job ${job.id} succeeded without a \`fine_tuned_model\`; retrieve it by hand, then resume.`, { provider: 'fine-tuning', isRetryable: false });
  }
  await record({ ...step, phase: 'succeeded', jobId: job.id, model, ...trained(job, costUsd) });
  context.emit({ type: 'fine-tune', iteration, phase: 'succeeded', fileId: step.fileId, jobId: job.id, status: job.status, model });
  return resultOf(step, job.id, model);
}

/** Polls a job until it ends, waiting `pollMs`, then twice as long each time up to `pollMaxMs`. */
async function untilDone(context: FineTuneContext, iteration: number, fileId: string, created: FineTuningJob): Promise<FineTuningJob> {
  let job = created;
  let delay = context.fineTune.pollMs;
  while (job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'cancelled') {
    await wait(delay, context.signal);
    delay = Math.min(delay * 2, context.fineTune.pollMaxMs);
    job = await context.fineTune.api.retrieve(job.id, context.signal);
    context.emit({ type: 'fine-tune', iteration, phase: 'status', fileId, jobId: job.id, status: job.status });
  }
  return job;
}

/** A journaled step to continue from: its record's own fields, and not a failed job's outcome (a resume trains a new job on its file). */
function continued(held: JournalFineTune): FineTuneStep {
  const { v: _v, type: _type, time: _time, message: _message, trainedTokens: _trained, costUsd: _cost, ...step } = held;
  return step;
}

function trained(job: FineTuningJob, costUsd: number | null) {
  return job.trainedTokens === undefined ? { costUsd } : { trainedTokens: job.trainedTokens, costUsd };
}

function resultOf(step: FineTuneStep | JournalFineTune, jobId: string, model: string): FineTuneResult {
  return {
    iteration: step.iteration,
    baseModel: step.baseModel,
    fileId: step.fileId,
    jobId,
    model,
    examples: step.examples,
    trainedTokens: step.trainedTokens,
    costUsd: step.costUsd ?? null,
  };
}
