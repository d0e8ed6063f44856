/**
 * The gold-coin maze three ways at the same sample budget: prompting only (the kept moves
 * folded into the prompt), fine-tuning only (folded into the weights, zero-shot prompts), and
 * both. Each run is journaled; the output ends with the `pauper compare` command for the three.
 *
 *   OPENAI_API_KEY=... npx tsx examples/gold-coin-maze/three-ways.ts   # real jobs: minutes to hours, and they cost
 *
 * Fine-tuning needs the OpenAI API: without a key the script says so and exits.
 */
import { join } from 'node:path';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { iterate, openai, perTask, type FineTuneOptions, type Provider, type RunResult } from 'pauper';
import { oneShotOptions } from './loop.js';
import { generateMazes, type Maze, type MazeRewardInfo } from './maze.js';
import { MAZE_SHAPE } from './config.js';

/** The three ways, in the order they run and are compared (prompting only is the baseline). */
export const ways = ['prompting', 'fine-tuning', 'both'] as const;
/** One of the three ways. */
export type Way = (typeof ways)[number];

/** What the comparison is run with. */
export interface ThreeWaysOptions {
  /** An OpenAI provider (a real one, or one pointed at a test server). */
  readonly provider: Provider;
  /** Where the three journals go: `<directory>/maze-<way>.jsonl`. */
  readonly directory: string;
  /** Training mazes: OpenAI needs 10 or more kept trajectories, one per maze here. @default 12 */
  readonly trainMazes?: number;
  /** Held-out mazes, never trained on. @default 4 */
  readonly heldOutMazes?: number;
  /** Samples per maze per iteration, the same for the three. @default 4 */
  readonly samples?: number;
  /** Iterations after the baseline. @default 3 */
  readonly iterations?: number;
  /** How the fine-tuning runs train (merged over `{ every: 2, hyperparameters: { n_epochs: 3 } }`). */
  readonly fineTune?: FineTuneOptions;
  readonly seed?: number;
  /** Where lines go. @default console.log */
  readonly print?: (line: string) => void;
}

/** Runs the three ways one after the other; resolves with each run and its journal. */
export async function threeWays(options: ThreeWaysOptions): Promise<Record<Way, { readonly run: RunResult<Maze, string, MazeRewardInfo>; readonly journal: string }>> {
  const print = options.print ?? ((line: string) => console.log(line));
  const trainMazes = options.trainMazes ?? 12;
  const seed = options.seed ?? 1;
  const mazes = generateMazes(trainMazes + (options.heldOutMazes ?? 4), { ...MAZE_SHAPE, seed });
  const fineTune: FineTuneOptions = { every: 2, hyperparameters: { n_epochs: 3 }, ...options.fineTune };
  const results: Partial<Record<Way, { run: RunResult<Maze, string, MazeRewardInfo>; journal: string }>> = {};
  for (const way of ways) {
    const journal = join(options.directory, `maze-${way}.jsonl`);
    print(`${way}: ${way === 'prompting' ? 'kept moves folded into the prompt' : way === 'fine-tuning' ? 'kept moves trained into the weights, zero-shot prompts' : 'trained and folded'}`);
    const run = await iterate(
      oneShotOptions({
        provider: options.provider,
        tasks: mazes.slice(0, trainMazes),
        evalTasks: mazes.slice(trainMazes),
        select: perTask(1),
        samples: options.samples ?? 4,
        iterations: options.iterations ?? 3,
        maxOutputTokens: 64,
        seed,
        journal,
        progress: false,
        ...(way === 'prompting' ? {} : { fineTune: { ...fineTune, foldExamples: way === 'both' } }),
      }),
    );
    for (const iteration of run.iterations) {
      const model = iteration.fineTunedModel === undefined ? '' : `  (${iteration.fineTunedModel})`;
      print(`  iteration ${iteration.iteration}: train ${format(iteration.train.mean)}, held-out ${format(iteration.eval?.mean ?? null)}${model}`);
    }
    const training = run.trainingCostUsd === undefined ? '' : `, training $${(run.trainingCostUsd ?? 0).toFixed(4)}`;
    print(`  ${run.trajectories.length} samples, sampling $${(run.costUsd ?? 0).toFixed(4)}${training}`);
    results[way] = { run, journal };
  }
  print(`npx pauper compare ${ways.map((way) => results[way]!.journal).join(' ')}`);
  return results as Record<Way, { run: RunResult<Maze, string, MazeRewardInfo>; journal: string }>;
}

function format(mean: number | null): string {
  return mean === null ? '-' : mean.toFixed(2);
}

// Run directly: the real API, when a key is set.
const script = process.argv[1];
if (script !== undefined && pathToFileURL(resolve(script)).href === import.meta.url) {
  const apiKey = process.env.OPENAI_API_KEY;
  if (apiKey === undefined || apiKey === '') {
    console.log('Fine-tuning needs the OpenAI API: set OPENAI_API_KEY (and PAUPER_MODEL, default gpt-4.1-mini) and run again.');
    process.exitCode = 1;
  } else {
    await threeWays({ provider: openai({ model: process.env.PAUPER_MODEL ?? 'gpt-4.1-mini', apiKey }), directory: 'runs' });
  }
}
