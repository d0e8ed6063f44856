import { basename } from 'node:path';
import type { Comparison } from './compare.js';
import { letter, significantMark } from './compare-text.js';
import { dollars, fixed, interval, signed } from './format.js';
import type { Chart, ChartSeries, Page, Table } from './page.js';
import { renderPage } from './page.js';
import type { RunSummary } from './runs.js';

/** One colour per run, baseline first; past these the palette repeats. */
const palette = ['#2457c5', '#c0392b', '#1f8a4c', '#d9822b', '#7b3fb5', '#0f8b8d', '#8a6d1f', '#c2185b'] as const;

const colorOf = (position: number): string => palette[position % palette.length] ?? palette[0];

/**
 * A comparison as one self-contained HTML page (`pauper compare --html`): one curve per run of
 * its mean reward over the shared tasks, each run's paired difference from the baseline with its
 * 95% band, cumulative cost per run, and the tables `pauper compare` prints. `runs` are the
 * summaries the comparison was made from, in the same order.
 */
export function renderComparison(comparison: Comparison, runs: readonly RunSummary[]): string {
  return renderPage(comparisonPage(comparison, runs));
}

/** What a comparison's page shows: no trajectory viewer (each run's own report has one). */
export function comparisonPage(comparison: Comparison, runs: readonly RunSummary[]): Page {
  const x = comparison.iterations.map((iteration) => iteration.iteration);
  const splitName = comparison.split === 'eval' ? 'held-out' : 'training';
  return {
    title: `pauper compare: ${runs.map((run) => basename(run.path)).join(' vs ')}`,
    facts: [
      ...comparison.runs.map((run, position) => `${letter(position)}: ${basename(run.path)} (${run.provider} / ${run.model})`),
      `${comparison.tasks.shared} shared ${splitName} tasks, paired by ${comparison.tasks.by}`,
    ],
    notes: runs.flatMap((run) => run.warnings.map((warning) => `${basename(run.path)}: ${warning}`)),
    charts: [meanChart(comparison, x, splitName), ...comparison.runs.slice(1).map((_, offset) => differenceChart(comparison, x, offset + 1)), costChart(runs, x)],
    tables: [runTable(comparison), iterationTable(comparison)],
    kept: [],
    samples: [],
  };
}

/** One curve per run: its mean reward over the shared tasks. */
function meanChart(comparison: Comparison, x: readonly number[], splitName: string): Chart {
  return {
    title: `Mean reward on the shared ${splitName} tasks`,
    caption: 'One curve per run; each task counts once, by its mean reward. A is the baseline.',
    xLabel: 'iteration',
    yLabel: 'reward',
    x,
    series: comparison.runs.map((run, position) => ({
      label: `${letter(position)} ${basename(run.path)}`,
      color: colorOf(position),
      line: 'solid',
      values: comparison.iterations.map((iteration) => iteration.cells[position]?.mean ?? null),
    })),
    bands: [],
  };
}

/** Run `position` minus the baseline per iteration, with its paired 95% band; 0 drawn for reference. */
function differenceChart(comparison: Comparison, x: readonly number[], position: number): Chart {
  const differences = comparison.iterations.map((iteration) => iteration.cells[position]?.difference ?? null);
  const color = colorOf(position);
  const band = `${color}29`;
  const series: ChartSeries[] = [
    { label: 'band high', color: band, line: 'none', values: differences.map((difference) => difference?.high ?? null) },
    { label: 'band low', color: band, line: 'none', values: differences.map((difference) => difference?.low ?? null) },
    { label: `${letter(position)} − A`, color, line: 'solid', values: differences.map((difference) => difference?.mean ?? null) },
    { label: 'no difference', color: '#7d869c', line: 'dotted', values: x.map(() => 0) },
  ];
  return {
    title: `${letter(position)} − A: difference in mean reward`,
    caption: 'Paired by task, with its bootstrap 95% band (shaded): where the band leaves 0, the difference is unlikely to be resampling noise.',
    xLabel: 'iteration',
    yLabel: 'reward difference',
    x,
    series,
    bands: [{ upper: 0, lower: 1, color: band }],
  };
}

/** What each run had spent by the end of each iteration. */
function costChart(runs: readonly RunSummary[], x: readonly number[]): Chart {
  return {
    title: 'Cost so far (USD)',
    caption: "Each run's cost up to the end of each iteration; a gap where a price was unknown.",
    xLabel: 'iteration',
    yLabel: 'USD',
    x,
    series: runs.map((run, position) => {
      const byIteration = new Map(run.iterations.map((iteration) => [iteration.iteration, iteration.cumulative.costUsd]));
      return { label: letter(position), color: colorOf(position), line: 'solid', values: x.map((iteration) => byIteration.get(iteration) ?? null) };
    }),
    bands: [],
  };
}

/** Per run: what it is, what it cost and gained. */
function runTable(comparison: Comparison): Table {
  const tuned = comparison.runs.some((run) => run.fineTunes > 0);
  return {
    title: 'Runs',
    caption: 'Gain: mean reward over the shared tasks at the last iteration minus at the first. Cost per point: dollars per point of reward gained.',
    columns: ['run', 'journal', 'provider / model', 'status', 'cost', ...(tuned ? ['training'] : []), 'gain', 'cost per point'],
    rows: comparison.runs.map((run, position) => [
      letter(position),
      run.path,
      `${run.provider} / ${run.model}${run.fineTunes > 0 ? ` (then ${run.fineTunes} fine-tuned)` : ''}`,
      run.stopped === null ? (run.ended ? 'finished' : 'in progress') : `stopped (${run.stopped})`,
      dollars(run.costUsd),
      ...(tuned ? [dollars(run.trainingCostUsd)] : []),
      fixed(run.gain, 3),
      run.costPerPoint === null ? '-' : dollars(run.costPerPoint),
    ]),
  };
}

/** Per iteration: each run's mean, and each other run's difference from the baseline with its interval. */
function iterationTable(comparison: Comparison): Table {
  const others = comparison.runs.slice(1).map((_, offset) => offset + 1);
  return {
    title: 'Iterations',
    caption: `${significantMark} the paired bootstrap 95% interval of the difference excludes 0.`,
    columns: ['iteration', ...comparison.runs.map((_, position) => `${letter(position)} mean`), ...others.map((position) => `${letter(position)} − A (95%)`)],
    rows: comparison.iterations.map((iteration) => [
      String(iteration.iteration),
      ...iteration.cells.map((cell) => fixed(cell.mean, 3)),
      ...others.map((position) => {
        const difference = iteration.cells[position]?.difference;
        if (difference === null || difference === undefined) return '-';
        return `${signed(difference.mean, 3)} ${interval(difference, 3, signed)}${difference.significant ? ` ${significantMark}` : ''}`;
      }),
    ]),
  };
}
