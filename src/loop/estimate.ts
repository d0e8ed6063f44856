import { ConfigError } from '../core/errors.js';
import type { TokenCounter, TokenEncoding } from '../core/tokens.js';
import { messagesTokens, tokenCounterFor } from '../core/tokens.js';
import type { IterateOptions, ResolvedIterate } from './options.js';
import { iterateDefaults, resolveIterate } from './options.js';
import { fineTuneScheduled, type ResolvedFineTune } from './fine-tune.js';
import { poolBound } from '../stages/select.js';
import type { Message } from '../core/messages.js';
import { integer } from '../blocks/options.js';
import { costIn, defaultPrices, roundUsd, trainingCostIn, type PriceTable } from '../core/pricing.js';
import type { Example } from '../core/trajectory.js';
import type { Usage } from '../core/usage.js';
import { zeroUsage } from '../core/usage.js';
import type { BudgetName } from '../core/results.js';
import type { Budget } from '../run/budget.js';

/** Options of `estimate`: the run's options plus what a dry run cannot know. */
export interface EstimateOptions<Task, Output = string, Info = undefined> extends IterateOptions<Task, Output, Info> {
  /** Expected completion tokens per sample (per turn of an episode): the low end. @default a quarter of `maxOutputTokens`, or 256 without it */
  readonly outputTokens?: number;
  /** Examples folded into each prompt after iteration 0, for the high end. @default `keep` (4) */
  readonly examplesPerPrompt?: number;
  /** Model turns per episode with `rollout`. @default 1 */
  readonly turnsPerEpisode?: number;
}

/** A low and a high figure. */
export interface Range {
  readonly low: number;
  readonly high: number;
}

/** What a run would use, worked out without calling the model. */
export interface Estimate {
  /** Model requests (a native-`n` request counts once). */
  readonly requests: number;
  /** Samples (completions, or episodes with `rollout`). */
  readonly samples: number;
  /** Prompt tokens: low with zero-shot prompts throughout, high with `examplesPerPrompt` full-length examples from iteration 1. */
  readonly inputTokens: Range;
  /** Completion tokens: low at `outputTokens` per completion, high at `maxOutputTokens`. */
  readonly outputTokens: Range;
  /** Cost in US dollars from the price table (no prompt-cache discount), or completions × `costPerCall` for a provider billed per call; `null` when neither is known. */
  readonly costUsd: Range | null;
  /**
   * How prompt tokens were counted: with the model's own public encoding (OpenAI's models), or
   * `estimate` (four characters a token) for models whose encoding is not public.
   */
  readonly encoding: TokenEncoding | 'estimate';
  /**
   * With `fineTune`: the jobs the run would start (one after every `every`-th iteration but the
   * last) and what training them costs, apart from `costUsd` (`null` without a training price).
   * Samples after the first job are priced at the fine-tuned model's rate in `costUsd`.
   */
  readonly fineTune?: { readonly jobs: number; readonly trainedTokens: Range; readonly trainingCostUsd: Range | null };
  /** The run's budgets that the high figures cross (training included): the run would end early at the first one it reaches. */
  readonly overBudget: readonly BudgetName[];
  /** What the figures assume, in words. */
  readonly assumptions: readonly string[];
}

/**
 * A dry run: how many requests and samples a run would make and roughly what
 * it would use and cost, from the prompts it would build (tokens counted with the model's
 * public encoding where it has one, else estimated at four characters a token; `encoding` says
 * which) and the price table. Calls no model.
 * @example
 * const { requests, costUsd } = estimate({ provider, tasks, reward, samples: 8, iterations: 4, maxOutputTokens: 200 });
 */
export function estimate<Task, Output = string, Info = undefined>(options: EstimateOptions<Task, Output, Info>): Estimate {
  const resolved = resolveIterate(options, { name: 'estimate()', options: ['outputTokens', 'examplesPerPrompt', 'turnsPerEpisode'] });
  if (resolved.teacher !== undefined) {
    throw new ConfigError(
      'teacher',
      options.teacher,
      "no `teacher` in estimate(), which prices one provider: estimate the teacher's share with `provider: teacher, evalTasks: []` " +
        'and the held-out share with the student as `provider` and its held-out tasks as `tasks`',
    );
  }
  const { settings } = resolved;
  const assumptions: string[] = [];
  const { expected, ceiling } = completionTokens(settings.maxOutputTokens, options.outputTokens, assumptions);
  const examplesPerPrompt =
    options.examplesPerPrompt === undefined
      ? (options.keep ?? 4)
      : integer('examplesPerPrompt', options.examplesPerPrompt, 0);
  const turns = options.turnsPerEpisode === undefined ? 1 : integer('turnsPerEpisode', options.turnsPerEpisode, 1);
  if (options.turnsPerEpisode !== undefined && settings.rollout === undefined) {
    throw new ConfigError('turnsPerEpisode', options.turnsPerEpisode, 'nothing without `rollout`');
  }
  const prices = settings.provider.prices;
  const rounds = resolved.iterations + 1;
  const nativeN = settings.provider.capabilities.nativeN && settings.rollout === undefined && settings.samples > 1;
  const requestsPerTask = settings.rollout === undefined ? (nativeN ? 1 : settings.samples) : settings.samples * turns;
  const allTasks = [...resolved.tasks, ...resolved.evalTasks];

  const counter = tokenCounterFor(settings.provider.model);
  const examples = standInExamples(resolved, examplesPerPrompt, ceiling, counter);

  // With fine-tuning and without `foldExamples`, every prompt stays zero-shot.
  const folds = resolved.fineTune === undefined || resolved.fineTune.foldExamples;
  // Prompt tokens of one round: every round alike at the low end (zero-shot); at the high end,
  // round 0 zero-shot and each later round with the examples folded in.
  let roundLow = 0;
  let firstRoundHigh = 0;
  let laterRoundHigh = 0;
  let trainingPrompts = 0;
  for (const [position, task] of allTasks.entries()) {
    const zeroShot = messagesTokens(settings.prompt(task, []), counter);
    const folded = folds ? messagesTokens(settings.prompt(task, examples), counter) : zeroShot;
    if (position < resolved.tasks.length) trainingPrompts += zeroShot;
    // Each turn of an episode resends the conversation so far: the earlier turns and replies.
    const perSample = (prompt: number, reply: number): number => {
      let total = 0;
      for (let turn = 0; turn < turns; turn++) total += prompt + turn * (reply + 8);
      return total;
    };
    const requestsInput = (prompt: number, reply: number): number =>
      settings.rollout === undefined ? requestsPerTask * prompt : settings.samples * perSample(prompt, reply);
    roundLow += requestsInput(zeroShot, expected);
    firstRoundHigh += requestsInput(zeroShot, ceiling);
    laterRoundHigh += requestsInput(folded, ceiling);
  }
  if (settings.rollout !== undefined) assumptions.push(`${turns} model turn(s) per episode; the environment's own messages are not counted`);
  assumptions.push(
    counter.exact
      ? `prompt tokens counted with ${counter.encoding}, ${settings.provider.model}'s encoding, plus 4 a message for the chat framing; prompt-cache discounts not applied`
      : `prompt tokens estimated at four characters a token (${settings.provider.model} has no public encoding); prompt-cache discounts not applied`,
  );

  const samples = allTasks.length * settings.samples * rounds;
  const completions = samples * (settings.rollout === undefined ? 1 : turns);
  const outputTokens = { low: completions * expected, high: completions * ceiling };
  const inputTokens = { low: rounds * roundLow, high: firstRoundHigh + resolved.iterations * laterRoundHigh };
  const usage = (input: number, output: number): Usage => ({ ...zeroUsage, inputTokens: input, outputTokens: output });
  // In batch mode single-shot samples go out as batches, at batch prices where the engine charges them.
  const carrier = settings.rollout === undefined ? settings.provider.batch : undefined;
  if (carrier !== undefined) {
    const perIteration = allTasks.length * requestsPerTask;
    assumptions.push(
      `batch mode: ${perIteration} requests an iteration in ${Math.max(1, Math.ceil(perIteration / carrier.limits.requests))} batch(es)` +
        `${carrier.batchPrices ? ', priced at batch rates (half the live price)' : ''}; each iteration waits for its whole batch (up to 24 hours on a hosted API)`,
    );
  }
  const table = prices ?? defaultPrices;
  // The kept set a job trains on: what the selector keeps (`topK(keep)` by default; per task: per training task),
  // else, for a selector that declares no bound, as many as the default `keep`.
  const bound = poolBound(resolved.select);
  const kept = bound === undefined ? iterateDefaults.keep : bound.perTask ? bound.count * resolved.tasks.length : bound.count;
  const tuning = resolved.fineTune === undefined ? undefined : fineTunePlan(resolved.fineTune, resolved, kept, trainingPrompts / Math.max(1, resolved.tasks.length), { expected, ceiling }, table, assumptions);
  // Rounds from the first job on sample the fine-tuned model, at its own rate.
  const firstTuned = tuning === undefined || tuning.jobs === 0 ? rounds : tuning.firstTunedRound;
  const tunedModel = `ft:${settings.provider.model}:estimate::job`;
  // The rounds before the first job at the model's price, the rest at the fine-tuned one's: each
  // group's prompt tokens (`inputOf` a round) and completions × reply tokens of output.
  const priced = (reply: number, inputOf: (round: number) => number): number | null => {
    if (settings.provider.costPerCall !== undefined) return roundUsd(completions * settings.provider.costPerCall);
    const group = (model: string, from: number, to: number): number | null => {
      let input = 0;
      for (let round = from; round < to; round++) input += inputOf(round);
      return from === to ? 0 : costIn(table, model, usage(input, (completions / rounds) * (to - from) * reply), carrier?.batchPrices === true);
    };
    const base = group(settings.provider.model, 0, firstTuned);
    const tuned = group(tunedModel, firstTuned, rounds);
    return base === null || tuned === null ? null : roundUsd(base + tuned);
  };
  const low = priced(expected, () => roundLow);
  const high = priced(ceiling, (round) => (round === 0 ? firstRoundHigh : laterRoundHigh));
  const costUsd = low === null || high === null ? null : { low, high };
  if (firstTuned < rounds && settings.provider.costPerCall === undefined) {
    assumptions.push(`iterations ${firstTuned} to ${rounds - 1} sample the fine-tuned model, priced at its rate (the entry \`ft:${settings.provider.model}\`)`);
  }
  if (options.journal !== undefined || options.cache !== undefined) {
    assumptions.push('samples a resumed journal or the response cache already holds are counted as if they were requested');
  }
  const trainingHigh = tuning?.trainingCostUsd === null ? undefined : (tuning?.trainingCostUsd.high ?? 0);
  const costHigh = costUsd === null || trainingHigh === undefined ? undefined : roundUsd(costUsd.high + trainingHigh);
  const overBudget = budgetsCrossed(options.budget, { samples: completions, tokens: inputTokens.high + outputTokens.high, costUsd: costHigh }, assumptions);
  const requests = allTasks.length * requestsPerTask * rounds;
  const fineTune = tuning === undefined ? {} : { fineTune: { jobs: tuning.jobs, trainedTokens: tuning.trainedTokens, trainingCostUsd: tuning.trainingCostUsd } };
  return { requests, samples, inputTokens, outputTokens, costUsd, encoding: counter.encoding, ...fineTune, overBudget, assumptions };
}

/** OpenAI's rule for `n_epochs: 'auto'` (its fine-tuning data guide): 3, raised for small files to reach 100 examples, at most 25. */
function autoEpochs(examples: number): number {
  return examples * 3 < 100 ? Math.min(25, Math.floor(100 / Math.max(1, examples))) : 3;
}

/**
 * The jobs `fineTune` would start and what they train: the kept set (`keep` examples) each time,
 * every example a task's zero-shot prompt and an answer (`expected` tokens at the low end, the
 * ceiling at the high end), times the epochs.
 */
function fineTunePlan<Task, Output, Info>(
  fineTune: ResolvedFineTune,
  resolved: ResolvedIterate<Task, Output, Info>,
  keep: number,
  promptTokens: number,
  reply: { readonly expected: number; readonly ceiling: number },
  prices: PriceTable,
  assumptions: string[],
): { readonly jobs: number; readonly firstTunedRound: number; readonly trainedTokens: Range; readonly trainingCostUsd: Range | null } {
  let jobs = 0;
  for (let iteration = 0; iteration < resolved.iterations; iteration++) if (fineTuneScheduled(fineTune, iteration, resolved.iterations)) jobs++;
  const epochs = typeof fineTune.hyperparameters.n_epochs === 'number' ? fineTune.hyperparameters.n_epochs : autoEpochs(keep);
  const tokens = (answer: number): number => jobs * keep * Math.round(promptTokens + answer + 4) * epochs;
  const trainedTokens = { low: tokens(reply.expected), high: tokens(reply.ceiling) };
  const model = resolved.settings.provider.model;
  const low = trainingCostIn(prices, model, trainedTokens.low);
  const high = trainingCostIn(prices, model, trainedTokens.high);
  assumptions.push(
    `${jobs} fine-tuning job(s), each on ${keep} kept examples × ${epochs} epoch(s)` +
      `${typeof fineTune.hyperparameters.n_epochs === 'number' ? '' : " (n_epochs 'auto': OpenAI's rule for a file that size)"}` +
      `; every job assumed to find ${fineTune.minNewExamples} new example(s) or more` +
      (low === null ? `; no training price for "${model}", so no training cost` : ''),
  );
  return { jobs, firstTunedRound: fineTune.every, trainedTokens, trainingCostUsd: low === null || high === null ? null : { low, high } };
}

/** The budgets the planned figures cross, each explained in `assumptions`. */
function budgetsCrossed(
  budget: Budget | undefined,
  planned: { readonly samples: number; readonly tokens: number; readonly costUsd: number | undefined },
  assumptions: string[],
): BudgetName[] {
  const crossed: BudgetName[] = [];
  const check = (name: BudgetName, limit: number | undefined, value: number | undefined, what: string): void => {
    if (limit === undefined || value === undefined || value <= limit) return;
    crossed.push(name);
    assumptions.push(`budget.${name} (${limit}) is below the ${what} at the high end (${value}): the run would end early`);
  };
  check('maxSamples', budget?.maxSamples, planned.samples, 'completions planned');
  check('maxTokens', budget?.maxTokens, planned.tokens, 'tokens');
  check('maxCostUsd', budget?.maxCostUsd, planned.costUsd === undefined ? undefined : Number(planned.costUsd.toFixed(6)), 'cost in US dollars');
  return crossed;
}

/** Completion tokens per completion: expected (the low end) and the ceiling (the high end). */
function completionTokens(
  maxOutputTokens: number | undefined,
  outputTokens: number | undefined,
  assumptions: string[],
): { readonly expected: number; readonly ceiling: number } {
  const expected =
    outputTokens === undefined
      ? maxOutputTokens === undefined
        ? 256
        : Math.max(1, Math.round(maxOutputTokens / 4))
      : integer('outputTokens', outputTokens, 1);
  const ceiling = maxOutputTokens ?? expected * 4;
  if (maxOutputTokens === undefined) assumptions.push(`no maxOutputTokens: the high end assumes ${ceiling} completion tokens (4 × outputTokens)`);
  return { expected, ceiling: Math.max(ceiling, expected) };
}

/** Stand-in examples as long as the folder will see them: a task's turns and a full-length answer. */
function standInExamples<Task, Output, Info>(
  resolved: ResolvedIterate<Task, Output, Info>,
  count: number,
  ceiling: number,
  counter: TokenCounter,
): Example<Task, Output, Info>[] {
  const { settings } = resolved;
  // `ceiling` tokens by the counter: ' x' is one token in OpenAI's encodings, 'xxxx' one by the estimate.
  const filler = counter.exact ? ' x'.repeat(ceiling) : 'x'.repeat(ceiling * 4);
  return Array.from({ length: count }, (_, index) => {
    const taskIndex = index % resolved.tasks.length;
    const task = resolved.tasks[taskIndex] as Task;
    const turns: Message[] = [...settings.taskTurns(task, taskIndex, 'train'), { role: 'assistant', content: filler }];
    return {
      id: `estimate/${index}`,
      split: 'train',
      iteration: 0,
      taskIndex,
      taskId: `estimate/${index}`,
      index: 0,
      task,
      prompt: [],
      turns,
      text: filler,
      steps: [],
      usage: zeroUsage,
      costUsd: 0,
      latencyMs: 0,
      seed: 0,
      ok: true,
      output: filler as Output,
      reward: 0,
      info: undefined,
    };
  });
}
