import { main } from './main.js';

// The `pauper` executable: results to stdout, messages to stderr, the exit code from the command.
process.exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
