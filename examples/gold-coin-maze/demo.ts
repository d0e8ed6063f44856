/**
 * `npm run demo`: the gold-coin maze loop, end to end. Samples every training
 * maze N times, scores each answer, keeps the best, folds it into the next
 * prompts, and tracks held-out mazes the whole way. `--help` lists the options.
 */
import { rm } from 'node:fs/promises';
import { iterate, writeReport, type Example, type IterationResult, type RewardStats } from 'pauper';
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
import {
  COIN_REWARD,
  WALL_PENALTY,
  renderMaze,
  renderPath,
  simulate,
  type Maze,
  type MazeRewardInfo,
  type Position,
} from './maze.js';
import { providerFromEnv, type ProviderChoice } from './provider-from-env.js';

type MazeIteration = IterationResult<Maze, string, MazeRewardInfo>;

const { choice, settings } = setUp(process.argv.slice(2), process.env);
const offline = choice.kind === 'offline';
const { train, heldOut } = demoMazes(settings.seed);
// Each demo run journals afresh (a journal that exists would have to be resumed); the report is written from it.
const journal = `runs/maze-${settings.mode}.jsonl`;
await rm(journal, { force: true });

const oneShot = settings.mode === 'one-shot';
console.log(`pauper demo: the gold-coin maze, ${oneShot ? 'one shot (a move string per maze)' : 'turn by turn (a move per turn)'}`);
console.log(choice.description);
console.log(
  `${train.length} training mazes, ${heldOut.length} held-out, ${settings.samples} samples each, ` +
    `${plural(settings.iterations, 'iteration')}, seed ${settings.seed}`,
);
// A local server may ignore `n` and be asked once per sample, so only OpenAI counts on native `n`.
if (!offline) console.log(`At most ${maxRequests(settings, choice.kind === 'openai')} requests; Ctrl-C stops the run.`);
console.log(`
The task: collect the coins (o) from the start (@). Reward: +${COIN_REWARD} a coin, -${WALL_PENALTY}
a bump into a wall (#) or the edge; only the first ${MAZE_SHAPE.stepLimit} moves count.

Training maze 1 (legend: @ start, o coin, # wall, . floor; rows are numbered
down the left, columns along the top):`);
// The grid only: the model's own legend line, in (x, y) terms, is wider than 80 columns.
console.log(renderMaze(train[0]!).split('\n').slice(1, 2 + MAZE_SHAPE.height).join('\n'));
const attempt = oneShot ? 'answer' : 'episode';
console.log(`
Each iteration samples every maze, scores each ${attempt}, keeps the best ${attempt}
per training maze and shows the kept ones as examples in the next prompts.
Iteration 0 is the baseline: no examples yet. "failed" counts training and
held-out samples whose request, parsing or scoring failed.

iter  train mean  held-out mean  train best  examples kept  failed`);
const run = iterate({
  ...demoOptions(settings, choice.provider),
  journal,
  // Offline the run takes a second and the table below is its progress; with a real model, an
  // iteration can take minutes, and the default (on a terminal) shows samples, cost and ETA meanwhile.
  ...(offline ? { progress: false } : {}),
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

console.log('\nReward by iteration: mean, 10th and 90th percentile (interpolated)');
console.log('of the scored samples; failed samples are not in these figures.');
console.log('        ------- train -------    ----- held-out ------');
console.log('iter     mean     p10     p90     mean     p10     p90');
for (const iteration of result.iterations) {
  console.log(`${pad(iteration.iteration, 4)} ${statCells(iteration.train)}  ${statCells(iteration.eval)}`);
}

if (result.best !== undefined) printBest(result.best, result.iterations);

const failures = result.trajectories.flatMap((trajectory) => (trajectory.ok ? [] : [trajectory.failure]));
if (failures[0] !== undefined) {
  console.log(`\n${plural(failures.length, 'sample')} failed; the first: ${failures[0].stage}: ${failures[0].message}`);
}
const tokens = offline ? '' : `, ${result.usage.inputTokens + result.usage.outputTokens} tokens`;
const cost = offline ? '' : result.costUsd === null ? ', cost unknown' : `, $${result.costUsd.toFixed(4)}`;
console.log(`\n${result.usage.requests} requests${tokens}${cost}, ${(result.wallTimeMs / 1000).toFixed(1)} s`);
if (!offline && result.costUsd === null) {
  console.log('(Cost unknown: no price for this model; give the provider `prices` for it.)');
}
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

const report = await writeReport(journal);
console.log(`\nReport: ${report.path} (open it in a browser)`);

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

/**
 * The run's best training trajectory. Among equal rewards `result.best` is the
 * earliest, so the drawing may come from the baseline; the last lines say how
 * the last iteration compares, which is what the loop learned to do.
 */
function printBest(best: Example<Maze, string, MazeRewardInfo>, iterations: readonly MazeIteration[]): void {
  const moves = mazeMoves(best);
  const info = best.info;
  console.log(
    `\nBest training trajectory, reward ${format(best.reward)}: first reached in iteration ${best.iteration}` +
      `\n(maze ${best.taskIndex + 1}, sample ${best.index + 1}); among equal rewards the earliest is shown.`,
  );
  console.log(renderPath(best.task, moves));
  const played = info?.steps ?? moves.length;
  const shown = moves.map((move) => move ?? '?').join('');
  const ignored = shown.length - played;
  const noMove = shown.includes('?') ? '; ? is a reply with no move' : '';
  const then = ignored > 0 ? `, then ${ignored} ignored` : '';
  console.log(`Moves: ${shown.slice(0, played)} (${plural(played, 'move')})${then}${noMove}`);
  console.log(route(best.task, moves));
  if (info !== undefined) {
    console.log(
      `Reward: ${info.coinsCollected} of ${info.totalCoins} coins × ${COIN_REWARD} − ${plural(info.wallBumps, 'bump')} × ${WALL_PENALTY}` +
        ` = ${format(best.reward)}`,
    );
  }
  const reached = iterations.filter((iteration) => (iteration.train.max ?? Number.NEGATIVE_INFINITY) >= best.reward);
  if (reached.length > 1) {
    const list = reached.map((iteration) => iteration.iteration).join(', ');
    console.log(`Training samples scored ${format(best.reward)} in iterations ${list}.`);
  }
  const last = iterations.at(-1);
  if (last !== undefined && last.iteration !== best.iteration) {
    const matched = last.trajectories.filter(
      (trajectory) => trajectory.split === 'train' && trajectory.ok && trajectory.reward >= best.reward,
    );
    console.log(
      matched.length > 0
        ? `In the last iteration (${last.iteration}), ${matched.length} of ${last.train.samples} training samples did.`
        : `In the last iteration (${last.iteration}), the best training sample scored ${format(last.train.max)}.`,
    );
  }
}

/** Where the agent started and ended, in words, saying why there is no `E` when one of `@` and `$` covers it. */
function route(maze: Maze, moves: ReturnType<typeof mazeMoves>): string {
  const { finalPosition, collected } = simulate(maze, moves);
  if (samePosition(finalPosition, maze.start)) return `Start and end: ${at(maze.start)} (it came back, so no E).`;
  const onCoin = collected.some((coin) => samePosition(coin, finalPosition));
  return `Start: ${at(maze.start)}. End: ${at(finalPosition)}${onCoin ? ', under a $ (it ended on a coin)' : ' (E)'}.`;
}

function samePosition(a: Position, b: Position): boolean {
  return a.x === b.x && a.y === b.y;
}

/** Rows and columns as the grid labels them; maze.ts works in x (column) and y (row). */
function at(position: Position): string {
  return `row ${position.y}, column ${position.x}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}

function format(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}
