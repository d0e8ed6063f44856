import { ConfigError } from '../core/errors.js';
import type { TokenCounter, TokenEncoding } from '../core/tokens.js';
import { messagesTokens, tokenCounterFor } from '../core/tokens.js';
import type { IterateOptions, ResolvedIterate } from './options.js';
import { resolveIterate } from './options.js';
import type { Message } from '../core/messages.js';
import { integer } from '../blocks/options.js';
import { costIn, defaultPrices, roundUsd } from '../core/pricing.js';
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
  /** The run's budgets that the high figures cross: the run would end early at the first one it reaches. */
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

  let inputLow = 0;
  let inputHigh = 0;
  for (const task of allTasks) {
    const zeroShot = messagesTokens(settings.prompt(task, []), counter);
    const folded = messagesTokens(settings.prompt(task, examples), counter);
    // Each turn of an episode resends the conversation so far: the earlier turns and replies.
    const perSample = (prompt: number, reply: number): number => {
      let total = 0;
      for (let turn = 0; turn < turns; turn++) total += prompt + turn * (reply + 8);
      return total;
    };
    const requestsInput = (prompt: number, reply: number): number =>
      settings.rollout === undefined ? requestsPerTask * prompt : settings.samples * perSample(prompt, reply);
    inputLow += rounds * requestsInput(zeroShot, expected);
    inputHigh += requestsInput(zeroShot, ceiling) + resolved.iterations * requestsInput(folded, ceiling);
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
  const inputTokens = { low: inputLow, high: inputHigh };
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
  const priced = (input: number, output: number): number | null =>
    settings.provider.costPerCall === undefined
      ? costIn(prices ?? defaultPrices, settings.provider.model, usage(input, output), carrier?.batchPrices === true)
      : roundUsd(completions * settings.provider.costPerCall);
  const low = priced(inputTokens.low, outputTokens.low);
  const high = priced(inputTokens.high, outputTokens.high);
  const costUsd = low === null || high === null ? null : { low, high };
  if (options.journal !== undefined || options.cache !== undefined) {
    assumptions.push('samples a resumed journal or the response cache already holds are counted as if they were requested');
  }
  const overBudget = budgetsCrossed(options.budget, { samples: completions, tokens: inputTokens.high + outputTokens.high, costUsd: costUsd?.high }, assumptions);
  const requests = allTasks.length * requestsPerTask * rounds;
  return { requests, samples, inputTokens, outputTokens, costUsd, encoding: counter.encoding, overBudget, assumptions };
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
