/**
 * The maze's modules only export code for `demo.ts` and for your own scripts. Run
 * directly (`npx tsx examples/gold-coin-maze/maze.ts`), one says so and what to run,
 * instead of printing nothing.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Prints what the module at `moduleUrl` is and how to see it work, when it is the script Node was asked to run. */
export function pointToDemo(moduleUrl: string, what: string): void {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(resolve(script)).href !== moduleUrl) return;
  console.log(`${what}\nIt only exports code. To see it work: npm run demo (or npx tsx examples/gold-coin-maze/demo.ts).`);
}
