import { summaryJson } from '../report/summary-json.js';
import { summaryText } from '../report/summary-text.js';
import { loadJournalArgument } from './load.js';
import { exitCodes, UsageError, type Command } from './command.js';

/** `pauper summary <journal>`: one run's numbers per iteration as tables, or as JSON with `--json`. */
export const summaryCommand: Command = {
  name: 'summary',
  summary: 'one run per iteration: reward with 95% bands, failures, tokens and cost',
  usage: [
    'Usage: pauper summary <journal> [--json]',
    '',
    'Summarise one journaled run: its provider, model, options and how it ended (or how far it got),',
    'then per iteration the train mean reward with its bootstrap 95% band over tasks, median, p10,',
    'p90, max, failed samples, the held-out mean with its band, tokens, cost and cumulative cost.',
    'A journal still being written is summarised with what it holds.',
    '',
    'Options:',
    '  --json      print the same numbers as JSON, unrounded, for scripts',
    '  -h, --help  show this help',
    '',
    'Exit codes: 0 done, 1 the file could not be read as a journal, 2 bad arguments.',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }, output) {
    const [path, ...extra] = positionals;
    if (path === undefined) throw new UsageError('give the journal to summarise: pauper summary <journal>.');
    if (extra.length > 0) throw new UsageError(`one journal at a time, got ${positionals.length}; to see runs side by side, use pauper compare.`);
    const run = await loadJournalArgument(path);
    output.out(values.json === true ? JSON.stringify(summaryJson(run), null, 2) : summaryText(run));
    return exitCodes.ok;
  },
};
