import type { Split } from '../core/trajectory.js';
import { compareRuns } from '../report/compare.js';
import { comparisonText } from '../report/compare-text.js';
import { loadJournalArgument } from './load.js';
import { exitCodes, UsageError, type Command } from './command.js';

/** `pauper compare <baseline> <journal>...`: runs side by side on their shared tasks, each against the first. */
export const compareCommand: Command = {
  name: 'compare',
  summary: 'runs side by side: per iteration mean reward and paired 95% intervals of the difference',
  usage: [
    'Usage: pauper compare <baseline> <journal>... [--split train|eval] [--json]',
    '',
    'Compare journaled runs on the tasks they share, each against the first (the baseline): per',
    'iteration each run\'s mean reward over the shared tasks, the difference from the baseline with',
    'a paired bootstrap 95% interval (pairs are tasks; * marks an interval that excludes 0), and',
    'what each run cost per point of reward it gained. Runs with the same task lists are paired by',
    'task index, others on the tasks they share by id.',
    '',
    'Options:',
    '  --split <split>  train or eval, the tasks to pair (default: eval when every run has held-out',
    '                   tasks, else train)',
    '  --json           print the same numbers as JSON, unrounded, for scripts',
    '  -h, --help       show this help',
    '',
    'Exit codes: 0 done, 1 a file could not be read as a journal or the runs share no task,',
    '2 bad arguments.',
  ].join('\n'),
  options: { json: { type: 'boolean' }, split: { type: 'string' } },
  async run({ values, positionals }, output) {
    if (positionals.length < 2) throw new UsageError(`give two journals or more, the baseline first; got ${positionals.length}.`);
    const split = splitOption(values.split);
    const runs = [];
    for (const path of positionals) runs.push(await loadJournalArgument(path));
    const comparison = compareRuns(runs, split === undefined ? {} : { split });
    output.out(values.json === true ? JSON.stringify(comparison, null, 2) : comparisonText(comparison));
    for (const run of runs) for (const warning of run.warnings) output.err(`note: ${warning}`);
    return exitCodes.ok;
  },
};

/** `--split`, checked: `train`, `eval` or not given. */
function splitOption(value: unknown): Split | undefined {
  if (value === undefined || value === 'train' || value === 'eval') return value;
  throw new UsageError(`--split takes train or eval, got '${String(value)}'.`);
}
