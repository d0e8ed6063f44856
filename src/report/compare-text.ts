import type { ComparedRun, Comparison } from './compare.js';
import { decimalsFor, dollars, fixed, interval, left, maxWidth, right, signed, table, wrap } from './format.js';

/** Runs compared with the baseline per table: two keep a table of iterations under 100 columns. */
const perTable = 2;

/** The mark of a significant difference, explained under the tables. */
export const significantMark = '*';

/**
 * A comparison as `pauper compare` prints it: which runs (lettered, `A` the baseline) on which
 * tasks, what each cost, then per iteration each run's mean and its difference from the
 * baseline with a paired 95% interval, significant ones marked.
 */
export function comparisonText(comparison: Comparison): string {
  const digits = decimalsFor(comparison.iterations.flatMap((iteration) => iteration.cells.map((cell) => cell.mean)));
  const groups: number[][] = [];
  for (let run = 1; run < comparison.runs.length; run += perTable) {
    groups.push(Array.from({ length: Math.min(perTable, comparison.runs.length - run) }, (_, offset) => run + offset));
  }
  return [
    ...wrap(intro(comparison).split(' ')),
    ...comparison.runs.map((run, position) => fitPath(`${letter(position)}  ${run.path}`)),
    '',
    ...runTable(comparison.runs, digits),
    ...groups.flatMap((group) => ['', ...iterationTable(comparison, group, digits)]),
    '',
    `${significantMark} the paired bootstrap 95% interval of the difference excludes 0: unlikely to be resampling noise.`,
  ].join('\n');
}

/** `A`, `B`, … `Z`, then `R27`: how the tables name the runs. */
export function letter(position: number): string {
  return position < 26 ? String.fromCharCode(65 + position) : `R${position + 1}`;
}

/** Which tasks are compared and how they were matched. */
function intro({ runs, split, tasks }: Comparison): string {
  const splitName = split === 'eval' ? 'held-out' : 'train';
  const baseline = runs.length > 2 ? 'each against A, the baseline' : 'B against A, the baseline';
  const matched =
    tasks.by === 'index'
      ? 'same task lists, paired by index'
      : `shared by id; ${tasks.perRun.map((count, position) => `${letter(position)} has ${count}`).join(', ')}`;
  return `Comparing ${runs.length} runs on ${tasks.shared} ${splitName} task${tasks.shared === 1 ? '' : 's'} (${matched}); ${baseline}.`;
}

/** A line cut from the left to fit the width, the end of a long path being the part that tells runs apart. */
function fitPath(line: string): string {
  return line.length <= maxWidth ? line : `${line.slice(0, 3)}…${line.slice(line.length - maxWidth + 4)}`;
}

/** Per run: provider and model, how it ended, cost, reward gained from first to last iteration, and dollars per point gained. */
function runTable(runs: readonly ComparedRun[], digits: number): string[] {
  // Training cost gets its own column only when a run fine-tuned.
  const tuned = runs.some((run) => run.fineTunes > 0);
  const columns = [
    left('run'),
    left('provider/model'),
    left('entry'),
    left('status'),
    right('cost'),
    ...(tuned ? [right('training')] : []),
    right('gain'),
    right('cost/point'),
  ];
  const rows = runs.map((run, position) => [
    letter(position),
    cut(`${run.provider}/${run.model}${run.fineTunes > 0 ? ` +${run.fineTunes} ft` : ''}`, 36),
    run.entry,
    run.stopped !== null ? `stopped (${run.stopped})` : run.ended ? 'finished' : 'in progress',
    dollars(run.costUsd),
    ...(tuned ? [dollars(run.trainingCostUsd)] : []),
    run.gain === null ? '-' : signed(run.gain, digits),
    run.costPerPoint === null ? '-' : dollars(run.costPerPoint),
  ]);
  const training = tuned ? '; training: fine-tuning jobs, apart from cost (sampling); cost/point counts both' : '';
  return [...table(columns, rows), `gain: mean reward at the last iteration minus the first; cost/point: cost per point of reward gained${training}`];
}

/** Per iteration: the baseline's mean, then each run's, then each difference with its interval. */
function iterationTable(comparison: Comparison, group: readonly number[], digits: number): string[] {
  const runs = [0, ...group];
  const columns = [
    right('iter'),
    ...runs.map((position) => right(letter(position))),
    ...group.flatMap((position) => [
      right(`${letter(position)} - A`),
      left('95% interval'),
    ]),
  ];
  const rows = comparison.iterations.map((iteration) => [
    String(iteration.iteration),
    ...runs.map((position) => fixed(iteration.cells[position]?.mean, digits)),
    ...group.flatMap((position) => {
      const difference = iteration.cells[position]?.difference ?? null;
      if (difference === null) return ['-', ''];
      const mark = difference.significant ? ` ${significantMark}` : '';
      return [signed(difference.mean, digits), `${interval(difference, digits, signed)}${mark}`];
    }),
  ]);
  return table(columns, rows);
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
