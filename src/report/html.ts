import { open } from 'node:fs/promises';
import { basename, format, parse, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { JournalSample } from '../journal/records.js';
import type { BootstrapOptions } from './stats.js';
import { dollars, fixed, tokens } from './format.js';
import { pageParts, renderPage } from './page.js';
import type { Chart, ChartSeries, Page, PageSample, Table } from './page.js';
import { loadRun } from './runs.js';
import type { IterationSummary, RunSummary, SplitSummary } from './runs.js';

/** What `writeReport` wrote. */
export interface WrittenReport {
  /** The HTML file. */
  readonly path: string;
  readonly bytes: number;
  /** What reading the journal skipped (a partial last line); the report shows them too. */
  readonly warnings: readonly string[];
}

/**
 * Reads a journal (finished or still being written) and writes its report: one HTML file that
 * opens offline, with reward curves, failures, tokens and cost per iteration, the kept examples
 * and every trajectory. `output` defaults to the journal's path with `.html`.
 * @example
 * const { path } = await writeReport('runs/maze.jsonl'); // runs/maze.html
 */
export async function writeReport(journal: string, output: string = reportPath(journal), options: BootstrapOptions = {}): Promise<WrittenReport> {
  if (resolve(output) === resolve(journal)) throw new ConfigError('output', output, 'a path other than the journal it reports on');
  const run = await loadRun(journal, options);
  // Written a piece at a time (about 1 MiB each): the page of a million samples is never one string.
  const file = await open(output, 'w');
  let bytes = 0;
  try {
    let pending: string[] = [];
    let size = 0;
    const write = async (): Promise<void> => {
      const chunk = Buffer.from(pending.join(''));
      pending = [];
      size = 0;
      bytes += chunk.length;
      await file.write(chunk);
    };
    for (const part of pageParts(runPage(run))) {
      pending.push(part);
      size += part.length;
      if (size >= 1024 * 1024) await write();
    }
    await write();
  } finally {
    await file.close();
  }
  return { path: output, bytes, warnings: run.warnings };
}

/** The default report path of a journal: its path with the extension `.html` (`runs/maze.jsonl` → `runs/maze.html`). */
export function reportPath(journal: string): string {
  const parts = parse(journal);
  return format({ dir: parts.dir, name: parts.ext === '' ? parts.base : parts.name, ext: '.html' });
}

/** A summarised run as one self-contained HTML page (see `writeReport`). */
export function renderReport(run: RunSummary): string {
  return renderPage(runPage(run));
}

/** What a single run's report shows. */
export function runPage(run: RunSummary): Page {
  return {
    title: `pauper run: ${basename(run.path)}`,
    facts: runFacts(run),
    notes: runNotes(run),
    charts: runCharts(run),
    tables: [iterationTable(run), ...providerTable(run)],
    kept: run.iterations.filter((iteration) => iteration.complete).map((iteration) => ({ iteration: iteration.iteration, ids: iteration.kept })),
    samples: [...run.samples.values()].sort(sampleOrder).map(pageSample),
  };
}

function runFacts(run: RunSummary): string[] {
  const state = run.stopped !== undefined ? `stopped early (${run.stopped.reason})` : run.ended ? 'finished' : 'in progress';
  return [
    `${run.entry}() with ${run.provider} / ${run.model}${typeof run.options.teacher === 'string' ? `, taught by ${run.options.teacher}` : ''}`,
    `seed ${run.seed}`,
    `${run.iterations.length} iterations`,
    `${run.samples.size} samples`,
    `${tokens(run.usage.inputTokens + run.usage.outputTokens)} tokens`,
    `cost ${dollars(run.costUsd)}`,
    ...(run.fineTunes.length === 0 ? [] : [`${run.fineTunes.length} fine-tuning job${run.fineTunes.length === 1 ? '' : 's'}, training ${dollars(run.trainingCostUsd)}`]),
    state,
  ];
}

function runNotes(run: RunSummary): string[] {
  const notes = [...run.warnings];
  if (run.stopped !== undefined) notes.push(`The run stopped early in iteration ${run.stopped.iteration}: ${run.stopped.message}`);
  else if (!run.ended) notes.push('The journal has no end record: the run is still being written (or was killed). This shows what it holds so far; the last iteration may be partial.');
  for (const job of run.fineTunes) {
    const made = job.model === undefined ? `${job.phase}${job.message === undefined ? '' : `: ${job.message}`}` : `made ${job.model}, sampled from iteration ${job.iteration + 1} on`;
    notes.push(`Fine-tuning after iteration ${job.iteration}: ${job.baseModel} on ${job.examples.length} kept trajectories (job ${job.jobId ?? 'not created'}) ${made}; training cost ${dollars(job.costUsd ?? null)}, not in the sampling cost.`);
  }
  return notes;
}

const colors = { mean: '#2457c5', band: 'rgba(36, 87, 197, 0.16)', spread: '#7d869c', max: '#1f8a4c', eval: '#c0392b', input: '#2457c5', output: '#d9822b', total: '#4a5163' } as const;

function runCharts(run: RunSummary): Chart[] {
  const x = run.iterations.map((iteration) => iteration.iteration);
  const withEval = run.iterations.some((iteration) => iteration.eval !== undefined);
  return [
    rewardChart('Training reward', x, run.iterations.map((iteration) => iteration.train)),
    ...(withEval ? [rewardChart('Held-out reward', x, run.iterations.map((iteration) => iteration.eval))] : []),
    failureChart(x, run.iterations, withEval),
    tokenChart(x, run.iterations),
    costChart(x, run.iterations),
  ];
}

/** Mean with its band over tasks, and the spread of single samples around it. */
export function rewardChart(title: string, x: readonly number[], splits: readonly (SplitSummary | undefined)[]): Chart {
  const series = (label: string, color: string, line: ChartSeries['line'], value: (split: SplitSummary) => number | null | undefined): ChartSeries => ({
    label,
    color,
    line,
    values: splits.map((split) => (split === undefined ? null : value(split) ?? null)),
  });
  return {
    title,
    caption: 'Mean over tasks with its 95% bootstrap band (shaded); median, p10 and p90 and max over single samples. Failed samples are not in these figures.',
    xLabel: 'iteration',
    yLabel: 'reward',
    x,
    series: [
      series('band high', colors.band, 'none', (split) => split.band?.high),
      series('band low', colors.band, 'none', (split) => split.band?.low),
      series('mean', colors.mean, 'solid', (split) => split.mean),
      series('median', colors.mean, 'dashed', (split) => split.median),
      series('p10', colors.spread, 'dotted', (split) => split.p10),
      series('p90', colors.spread, 'dotted', (split) => split.p90),
      series('max', colors.max, 'dashed', (split) => split.max),
    ],
    bands: [{ upper: 0, lower: 1, color: colors.band }],
  };
}

function failureChart(x: readonly number[], iterations: readonly IterationSummary[], withEval: boolean): Chart {
  return iterationChart('Failed samples', 'Samples whose request, parsing, rollout or reward failed, per iteration.', 'samples', x, [
    { label: 'training', color: colors.mean, line: 'solid', values: iterations.map((iteration) => iteration.train.failed) },
    ...(withEval ? [{ label: 'held-out', color: colors.eval, line: 'solid' as const, values: iterations.map((iteration) => iteration.eval?.failed ?? null) }] : []),
  ]);
}

function tokenChart(x: readonly number[], iterations: readonly IterationSummary[]): Chart {
  return iterationChart('Tokens', "Input and output tokens of each iteration (training and held-out), and the run's total so far.", 'tokens', x, [
    { label: 'input', color: colors.input, line: 'solid', values: iterations.map((iteration) => iteration.usage.inputTokens) },
    { label: 'output', color: colors.output, line: 'solid', values: iterations.map((iteration) => iteration.usage.outputTokens) },
    { label: 'total so far', color: colors.total, line: 'dashed', values: iterations.map(({ cumulative }) => cumulative.usage.inputTokens + cumulative.usage.outputTokens) },
  ]);
}

function costChart(x: readonly number[], iterations: readonly IterationSummary[]): Chart {
  return iterationChart('Cost (USD)', "Cost of each iteration and of the run so far; a gap where a sample's price was unknown.", 'USD', x, [
    { label: 'iteration', color: colors.input, line: 'solid', values: iterations.map((iteration) => iteration.costUsd) },
    { label: 'so far', color: colors.total, line: 'dashed', values: iterations.map((iteration) => iteration.cumulative.costUsd) },
  ]);
}

/** A chart over iterations with plain lines, no band. */
function iterationChart(title: string, caption: string, yLabel: string, x: readonly number[], series: readonly ChartSeries[]): Chart {
  return { title, caption, xLabel: 'iteration', yLabel, x, series, bands: [] };
}

/** One row per iteration with the numbers behind the charts. */
function iterationTable(run: RunSummary): Table {
  const withEval = run.iterations.some((iteration) => iteration.eval !== undefined);
  const splitColumns = (name: string) => [`${name} mean`, `${name} 95% band`, `${name} median`, `${name} p10`, `${name} p90`, `${name} max`, `${name} failed`];
  // A run that fine-tuned says, per iteration, which model it sampled.
  const tuned = run.fineTunes.length > 0;
  return {
    title: 'Iterations',
    caption: 'The band is over tasks (each task counts once, by its mean reward); p10, p90 and max are over single samples. "failed" is failed of all samples.',
    columns: ['iteration', ...(tuned ? ['model'] : []), ...splitColumns('train'), ...(withEval ? splitColumns('held-out') : []), 'input tokens', 'output tokens', 'cost', 'cost so far', 'kept', 'state'],
    rows: run.iterations.map((iteration) => [
      String(iteration.iteration),
      ...(tuned ? [iteration.fineTunedModel === undefined ? `${run.model} (base)` : `fine-tuned: ${iteration.fineTunedModel}`] : []),
      ...splitCells(iteration.train),
      ...(withEval ? splitCells(iteration.eval) : []),
      String(iteration.usage.inputTokens),
      String(iteration.usage.outputTokens),
      dollars(iteration.costUsd),
      dollars(iteration.cumulative.costUsd),
      String(iteration.kept.length),
      iteration.complete ? 'complete' : 'in progress',
    ]),
  };
}

/** With more than one provider (a teacher, an embedder): what each made and cost. */
function providerTable(run: RunSummary): Table[] {
  if (run.byProvider.length < 2) return [];
  return [
    {
      title: 'Providers',
      caption: 'The student is the `provider` option (held-out tasks, and training outside the teacher\'s iterations); the teacher samples training tasks; the embedder embedded tasks for `nearest` (its samples are texts).',
      columns: ['role', 'provider', 'model', 'samples', 'requests', 'input tokens', 'output tokens', 'cost'],
      rows: run.byProvider.map((spend) => [
        spend.role,
        spend.provider,
        spend.model,
        String(spend.samples),
        String(spend.usage.requests),
        String(spend.usage.inputTokens),
        String(spend.usage.outputTokens),
        dollars(spend.costUsd),
      ]),
    },
  ];
}

function splitCells(split: SplitSummary | undefined): string[] {
  if (split === undefined) return ['', '', '', '', '', '', ''];
  const band = split.band === undefined ? '–' : `${number(split.band.low)} to ${number(split.band.high)}`;
  return [number(split.mean), band, number(split.median), number(split.p10), number(split.p90), number(split.max), `${split.failed} of ${split.samples}`];
}

function pageSample(sample: JournalSample): PageSample {
  return {
    id: sample.id,
    split: sample.split === 'train' ? 'training' : 'held-out',
    iteration: sample.iteration,
    taskId: sample.taskId,
    reward: sample.ok ? sample.reward : null,
    info: sample.info === undefined ? '' : JSON.stringify(sample.info, null, 2),
    failure: sample.failure === undefined ? '' : `${sample.failure.stage}: ${sample.failure.message}`,
    turns: sample.turns,
    usage: `${tokens(sample.usage.inputTokens)} input and ${tokens(sample.usage.outputTokens)} output tokens, ${dollars(sample.costUsd)}`,
  };
}

/** By iteration, training before held-out, then by task and sample. */
function sampleOrder(a: JournalSample, b: JournalSample): number {
  return a.iteration - b.iteration || (a.split === b.split ? 0 : a.split === 'train' ? -1 : 1) || a.taskIndex - b.taskIndex || a.index - b.index;
}

/** Rewards to three decimals, as `pauper summary` shows them. */
function number(value: number | null): string {
  return fixed(value, 3);
}
