/**
 * `npm run demo`: the gold-coin maze loop, end to end. Samples every training
 * maze N times, scores each answer, keeps the best, folds it into the next
 * prompts, and tracks held-out mazes the whole way. `--help` lists the options.
 */
import { iterate, type Example, type IterationResult, type RewardStats } from 'pauper';
import {
  DEMO_USAGE,
  MAZE_SHAPE,
  demoDefaults,
  demoMazes,
  demoOptions,
  learnerOptions,
  maxRequests,
  parseDemoArguments,
  type DemoSettings,
} from './config.js';
import { mazeMoves } from './loop.js';
import { COIN_REWARD, WALL_PENALTY, renderMaze, renderPath, type Maze, type MazeRewardInfo } from './maze.js';
import { providerFromEnv, type ProviderChoice } from './provider-from-env.js';

type MazeIteration = IterationResult<Maze, string, MazeRewardInfo>;

const { choice, settings } = setUp(process.argv.slice(2), process.env);
const offline = choice.kind === 'offline';
const { train, heldOut } = demoMazes(settings.seed);

const oneShot = settings.mode === 'one-shot';
console.log(`pauper demo: the gold-coin maze, ${oneShot ? 'one shot (a move string per maze)' : 'turn by turn (a move per turn)'}`);
console.log(choice.description);
console.log(
  `${train.length} training mazes, ${heldOut.length} held-out, ${settings.samples} samples each, ` +
    `${settings.iterations} iterations, seed ${settings.seed}`,
);
// A local server may ignore `n` and be asked once per sample, so only OpenAI counts on native `n`.
if (!offline) console.log(`At most ${maxRequests(settings, choice.kind === 'openai')} requests; Ctrl-C stops the run.`);
console.log(`
The task: collect the coins (o) from the start (@). Reward: +${COIN_REWARD} a coin, -${WALL_PENALTY}
a bump into a wall (#) or the edge; only the first ${MAZE_SHAPE.stepLimit} moves count.

Training maze 1:`);
// The grid only: the rendering's legend line is wider than 80 columns.
console.log(renderMaze(train[0]!).split('\n').slice(1, 2 + MAZE_SHAPE.height).join('\n'));
const attempt = oneShot ? 'answer' : 'episode';
console.log(`
Each iteration samples every maze, scores each ${attempt}, keeps the best ${attempt}
per training maze and shows the kept ones as examples in the next prompts.
Iteration 0 is the baseline: no examples yet.

iter  train mean  held-out mean  train best  examples kept  failed`);
const run = iterate({
  ...demoOptions(settings, choice.provider),
  // E.g. a server that ignores `n`, or a parameter a provider dropped.
  onEvent: (event) => {
    if (event.type === 'warning') console.log(`warning: ${event.message}`);
  },
});
try {
  for await (const iteration of run) console.log(progressLine(iteration));
} catch (error) {
  // Typically a bad key or an unreachable server: every request failed until `maxErrors` ran out.
  console.error(`\nThe run stopped: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const result = await run;

console.log('\nReward by iteration: mean, 10th and 90th percentile of all samples');
console.log('        ------- train -------    ----- held-out ------');
console.log('iter     mean     p10     p90     mean     p10     p90');
for (const iteration of result.iterations) {
  console.log(`${pad(iteration.iteration, 4)} ${statCells(iteration.train)}  ${statCells(iteration.eval)}`);
}

if (result.best !== undefined) printBest(result.best);

const failures = result.trajectories.flatMap((trajectory) => (trajectory.ok ? [] : [trajectory.failure]));
if (failures[0] !== undefined) console.log(`\n${failures.length} samples failed; the first: ${failures[0].stage}: ${failures[0].message}`);
const tokens = offline ? '' : `, ${result.usage.inputTokens + result.usage.outputTokens} tokens`;
const cost = offline ? '' : result.costUsd === null ? ', cost unknown' : `, $${result.costUsd.toFixed(4)}`;
console.log(`\n${result.usage.requests} requests${tokens}${cost}, ${(result.wallTimeMs / 1000).toFixed(1)} s`);
if (offline) {
  console.log(
    [
      '',
      'The stand-in never sees a maze: all it learns is which moves scored well',
      'on the training mazes, and whatever of that carries over to held-out',
      'mazes is generic (say, fewer bumps). A real model reads the maze; try',
      'OPENAI_API_KEY=... npm run demo (or ANTHROPIC_API_KEY, or OPENAI_BASE_URL',
      'with PAUPER_MODEL for a local server; see npm run demo -- --help).',
    ].join('\n'),
  );
}

/** The model and settings from the flags and environment; prints the problem and exits on a bad one. */
function setUp(argv: readonly string[], env: NodeJS.ProcessEnv): { choice: ProviderChoice; settings: DemoSettings } {
  try {
    const { help, ...overrides } = parseDemoArguments(argv, env);
    if (help) {
      console.log(DEMO_USAGE);
      process.exit(0);
    }
    const choice = providerFromEnv(env, learnerOptions(overrides.mode));
    return { choice, settings: { ...demoDefaults(overrides.mode, choice.kind === 'offline'), ...overrides } };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\nSee \`npm run demo -- --help\`.`);
    process.exit(1);
  }
}

function progressLine(iteration: MazeIteration): string {
  const failed = iteration.train.failed + (iteration.eval?.failed ?? 0);
  return [
    pad(iteration.iteration, 4),
    pad(format(iteration.train.mean), 11),
    pad(format(iteration.eval?.mean ?? null), 14),
    pad(format(iteration.train.max), 11),
    pad(iteration.kept.length, 14),
    pad(failed, 7),
  ].join(' ');
}

function statCells(stats: RewardStats | undefined): string {
  return [stats?.mean, stats?.p10, stats?.p90].map((value) => pad(format(value ?? null), 7)).join(' ');
}

function printBest(best: Example<Maze, string, MazeRewardInfo>): void {
  const moves = mazeMoves(best);
  const info = best.info;
  console.log(`\nBest training trajectory: iteration ${best.iteration}, maze ${best.taskIndex + 1}, sample ${best.index + 1}`);
  console.log(renderPath(best.task, moves));
  const played = info?.steps ?? moves.length;
  const shown = moves.map((move) => move ?? '?').join('');
  const ignored = shown.length - played;
  const route = info === undefined ? '' : ` (${played} moves from ${at(best.task.start)} to ${at(info.finalPosition)})`;
  const noMove = shown.includes('?') ? '; ? is a reply with no move' : '';
  console.log(`Moves: ${shown.slice(0, played)}${route}${ignored > 0 ? `, then ${ignored} ignored` : ''}${noMove}`);
  if (info !== undefined) {
    console.log(
      `Reward: ${info.coinsCollected} of ${info.totalCoins} coins × ${COIN_REWARD} − ${info.wallBumps} bumps × ${WALL_PENALTY}` +
        ` = ${format(best.reward)}`,
    );
  }
}

function at(position: { readonly x: number; readonly y: number }): string {
  return `(${position.x}, ${position.y})`;
}

function format(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}
