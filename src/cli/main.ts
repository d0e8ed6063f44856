import { parseArgs } from 'node:util';
import { libraryVersion } from '../journal/records.js';
import { exitCodes, failure, type Command, type Output } from './command.js';
import { compareCommand } from './compare.js';
import { reportCommand } from './report.js';
import { summaryCommand } from './summary.js';

/** The subcommands, in the order `--help` lists them. */
const commands: readonly Command[] = [summaryCommand, compareCommand, reportCommand];

const usage = (): string =>
  [
    'Usage: pauper <command> [options]',
    '',
    'Read the journals that pauper runs write (iterate({ journal })).',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(10)}${command.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help (or a command\'s: pauper <command> --help)',
    '  -v, --version  show pauper\'s version',
    '',
    'Exit codes: 0 done, 1 a file could not be read as a journal, 2 bad arguments.',
  ].join('\n');

/** Runs the CLI with `args` (without `node` and the script); resolves with the exit code. */
export async function main(args: readonly string[], output: Output): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '-h' || name === '--help') {
    output.out(usage());
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (name === '-v' || name === '--version') {
    output.out(libraryVersion);
    return exitCodes.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    output.err(`pauper: unknown command '${name}'. Commands: ${commands.map((candidate) => candidate.name).join(', ')}. See pauper --help.`);
    return exitCodes.usage;
  }
  try {
    const parsed = parseArgs({ args: [...rest], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (parsed.values.help === true) {
      output.out(command.usage);
      return exitCodes.ok;
    }
    return await command.run(parsed, output);
  } catch (error) {
    return failure(error, command, output);
  }
}
