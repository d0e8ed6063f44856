import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { writeReport } from '../report/html.js';
import { UsageError, exitCodes, type Command } from './command.js';

/** `pauper report <journal> [-o report.html]`: a journal as one HTML file that opens offline. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'write a journal as one HTML file: curves, cost, kept examples, trajectories',
  usage: [
    'Usage: pauper report <journal> [-o report.html]',
    '',
    'Writes one self-contained HTML file (no network needed to open it): reward per',
    'iteration for training and held-out tasks (mean with a 95% bootstrap band over',
    'tasks, median, p10-p90, max), failures, tokens and cost, the kept examples of',
    'each iteration, and every trajectory with its reward and info. A journal still',
    'being written shows what it holds.',
    '',
    'Options:',
    '  -o, --output <file>  where to write it (default: the journal\'s path with .html)',
    '  -h, --help           show this help',
  ].join('\n'),
  options: { output: { type: 'string', short: 'o' } },
  run: async ({ positionals, values }, output) => {
    const [journal, ...extra] = positionals;
    if (journal === undefined) throw new UsageError('give the journal to report on: pauper report runs/maze.jsonl.');
    if (extra.length > 0) throw new UsageError(`one journal at a time; also got ${extra.join(' ')}.`);
    const target = typeof values.output === 'string' ? values.output : undefined;
    const written = await writeReport(journal, target);
    for (const warning of written.warnings) output.err(`pauper report: note: ${warning}`);
    output.out(`Wrote ${written.path} (${Math.ceil(written.bytes / 1024)} KB).`);
    output.out(`Open it in a browser: ${pathToFileURL(resolve(written.path)).href}`);
    return exitCodes.ok;
  },
};
