import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Split } from '../core/trajectory.js';
import { renderComparison } from '../report/compare-html.js';
import { compareRuns } from '../report/compare.js';
import { comparisonText } from '../report/compare-text.js';
import { loadJournalArgument } from './load.js';
import { exitCodes, UsageError, type Command } from './command.js';

/** `pauper compare <baseline> <journal>...`: runs side by side on their shared tasks, each against the first. */
export const compareCommand: Command = {
  name: 'compare',
  summary: 'runs side by side: per iteration mean reward and paired 95% intervals of the difference',
  usage: [
    'Usage: pauper compare <baseline> <journal>... [--split train|eval] [--json] [--html <file>]',
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
    '  --html <file>    also write the comparison as one HTML file that opens offline: one curve',
    '                   per run, each difference from the baseline with its 95% band, cost so far',
    '  -h, --help       show this help',
    '',
    'Exit codes: 0 done, 1 a file could not be read as a journal or the runs share no task,',
    '2 bad arguments.',
  ].join('\n'),
  options: { json: { type: 'boolean' }, split: { type: 'string' }, html: { type: 'string' } },
  async run({ values, positionals }, output) {
    if (positionals.length < 2) throw new UsageError(`give two journals or more, the baseline first; got ${positionals.length}.`);
    const split = splitOption(values.split);
    if (typeof values.html === 'string' && positionals.some((journal) => resolve(journal) === resolve(values.html as string))) {
      throw new UsageError(`--html ${values.html} is one of the journals; give another file to write.`);
    }
    const runs = [];
    for (const path of positionals) runs.push(await loadJournalArgument(path));
    const comparison = compareRuns(runs, split === undefined ? {} : { split });
    output.out(values.json === true ? JSON.stringify(comparison, null, 2) : comparisonText(comparison));
    if (typeof values.html === 'string') {
      const html = renderComparison(comparison, runs);
      await writeFile(values.html, html);
      output.err(`Wrote ${values.html} (${Math.ceil(Buffer.byteLength(html) / 1024)} KB). Open it in a browser: ${pathToFileURL(resolve(values.html)).href}`);
    }
    for (const run of runs) for (const warning of run.warnings) output.err(`note: ${warning}`);
    return exitCodes.ok;
  },
};

/** `--split`, checked: `train`, `eval` or not given. */
function splitOption(value: unknown): Split | undefined {
  if (value === undefined || value === 'train' || value === 'eval') return value;
  throw new UsageError(`--split takes train or eval, got '${String(value)}'.`);
}
