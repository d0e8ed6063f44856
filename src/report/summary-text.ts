import { decimalsFor, dollars, fixed, interval, left, right, table, tokens, wrap } from './format.js';
import type { IterationSummary, RunSummary } from './runs.js';

/** What the header says instead of listing them: shown elsewhere (provider, model, seed, entry) or hashes of the tasks. */
const notListed = new Set(['entry', 'provider', 'model', 'seed', 'tasks', 'evalTasks', 'examples', 'teacher']);

/**
 * A run as `pauper summary` prints it: what ran (entry, provider, model, options), how it
 * ended or how far it got, then per iteration a reward table and a usage table, each under
 * 100 columns.
 */
export function summaryText(run: RunSummary): string {
  return [
    ...header(run),
    '',
    ...rewardTable(run.iterations),
    '',
    ...usageTable(run.iterations),
    ...fineTuneLines(run),
    ...providerTable(run),
  ].join('\n');
}

/** The run's fine-tuning jobs and what training cost, apart from sampling: nothing for a run without any. */
function fineTuneLines(run: RunSummary): string[] {
  if (run.fineTunes.length === 0) return [];
  return [
    '',
    `fine-tuning: ${run.fineTunes.length} job${run.fineTunes.length === 1 ? '' : 's'}, training cost ${dollars(run.trainingCostUsd)} (not in the cost above)`,
    ...run.fineTunes.map(
      (job) =>
        `  after iteration ${job.iteration}: ${job.jobId ?? '(no job yet)'} ${job.phase} on ${job.examples.length} kept, ${job.baseModel}` +
        `${job.model === undefined ? '' : ` → ${job.model}`}${job.costUsd === undefined ? '' : `, ${dollars(job.costUsd)}`}${job.message === undefined ? '' : `: ${job.message}`}`,
    ),
  ];
}

/** With more than one provider (a teacher, an embedder): what each made and cost. */
function providerTable(run: RunSummary): string[] {
  if (run.byProvider.length < 2) return [];
  const columns = [left('role'), left('provider/model'), ...['samples', 'requests', 'input tok', 'output tok', 'cost'].map(right)];
  const rows = run.byProvider.map((spend) => [
    spend.role,
    `${spend.provider}/${spend.model}`,
    String(spend.samples),
    String(spend.usage.requests),
    tokens(spend.usage.inputTokens),
    tokens(spend.usage.outputTokens),
    dollars(spend.costUsd),
  ]);
  return ['', ...table(columns, rows)];
}

/**
 * Where a run stands, in one line: finished, stopped early and why, or in progress with how many
 * samples its last iteration has of those it plans.
 */
export function runStatus(run: RunSummary): string {
  const last = run.iterations.at(-1);
  if (run.ended) {
    const done = last === undefined ? 'no iterations' : `${run.iterations.length} iteration${run.iterations.length === 1 ? '' : 's'}`;
    return run.stopped === undefined ? `finished: ${done}` : `stopped early (${run.stopped.reason}) at iteration ${run.stopped.iteration}: ${done}`;
  }
  if (last === undefined) return 'in progress: no samples yet';
  if (last.complete) return `in progress: iteration ${last.iteration} done, the next not started`;
  const has = last.train.samples + (last.eval?.samples ?? 0);
  const planned = plannedSamples(run);
  return `in progress: iteration ${last.iteration} has ${has}${planned === undefined ? '' : ` of ${planned}`} samples`;
}

/** Samples one iteration plans: samples per task times the tasks of both splits (unknown when the journal does not say). */
function plannedSamples(run: RunSummary): number | undefined {
  const perTask = run.options.samples;
  if (typeof perTask !== 'number') return undefined;
  return perTask * (run.tasks.train.length + run.tasks.eval.length);
}

/** The run's path, what ran, its options, its status and what reading it skipped. */
function header(run: RunSummary): string[] {
  const tasks = `${run.tasks.train.length} train task${run.tasks.train.length === 1 ? '' : 's'}, ${run.tasks.eval.length} held-out`;
  return [
    run.path,
    `${run.entry} with ${run.provider}/${run.model}${typeof run.options.teacher === 'string' ? ` taught by ${run.options.teacher}` : ''}, seed ${run.seed}, ${tasks}`,
    ...wrap(['options:', ...optionWords(run.options)]),
    runStatus(run),
    ...run.warnings.map((warning) => `note: ${warning}`),
  ];
}

/** `name=value` pairs of the options set (not null) and not in the header; long text is cut short. */
function optionWords(options: RunSummary['options']): string[] {
  return Object.entries(options)
    .filter(([name, value]) => !notListed.has(name) && value !== null)
    .map(([name, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
      const short = text.length > 40 ? `${text.slice(0, 39)}…` : text;
      return `${name}=${short.replace(/\s+/g, ' ')}`;
    });
}

/** Per iteration: train mean with its band, median, p10, p90, max, failures, and the held-out mean with its band. */
function rewardTable(iterations: readonly IterationSummary[]): string[] {
  const heldOut = iterations.some((iteration) => iteration.eval !== undefined);
  const digits = decimalsFor(iterations.flatMap((iteration) => [iteration.train.max, iteration.train.min, iteration.eval?.max, iteration.eval?.min]));
  const columns = [
    ...['iter', 'train'].map(right),
    left('95% band'),
    ...['median', 'p10', 'p90', 'max', 'failed'].map(right),
    ...(heldOut ? [right('held-out'), left('95% band')] : []),
  ];
  const rows = iterations.map((iteration) => {
    const { train } = iteration;
    return [
      `${iteration.iteration}${iteration.fineTunedModel === undefined ? '' : 'ft'}${iteration.complete ? '' : '…'}`,
      fixed(train.mean, digits),
      interval(train.band, digits),
      fixed(train.median, digits),
      fixed(train.p10, digits),
      fixed(train.p90, digits),
      fixed(train.max, digits),
      `${train.failed}/${train.samples}`,
      ...(heldOut ? [fixed(iteration.eval?.mean, digits), interval(iteration.eval?.band, digits)] : []),
    ];
  });
  return [...table(columns, rows), legend(iterations)];
}

/** What the reward table's numbers are. */
function legend(iterations: readonly IterationSummary[]): string {
  const unfinished = iterations.some((iteration) => !iteration.complete) ? '; … an iteration still being written' : '';
  const tuned = iterations.some((iteration) => iteration.fineTunedModel !== undefined) ? '; ft: it sampled a fine-tuned model' : '';
  return `mean reward over scored samples; 95% band: bootstrap over task means; failed/samples${unfinished}${tuned}`;
}

/** Per iteration: requests, tokens in and out, cost, and cost so far. */
function usageTable(iterations: readonly IterationSummary[]): string[] {
  const columns = ['iter', 'requests', 'input tok', 'cached', 'output tok', 'cost', 'cumulative'].map(right);
  const rows = iterations.map(({ iteration, usage, costUsd, cumulative }) => [
    String(iteration),
    String(usage.requests),
    tokens(usage.inputTokens),
    tokens(usage.cachedInputTokens),
    tokens(usage.outputTokens),
    dollars(costUsd),
    dollars(cumulative.costUsd),
  ]);
  return table(columns, rows);
}
