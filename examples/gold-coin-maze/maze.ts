/**
 * The gold-coin maze: the running example environment of pauper.
 *
 * An agent starts at `@` on a small grid and should collect every gold coin
 * `o` without bumping into walls `#` or the grid edge. A model plays it one
 * shot (answer a whole move string such as `RRDDL`) or turn by turn (see the
 * current view, answer one move). The module has no dependencies beyond the
 * seeded generator, so it doubles as the template for your own task: a seeded
 * generator, a text rendering, a lenient parser, a reward and an environment.
 *
 * Coordinates: `x` is the column (0 at the left), `y` is the row (0 at the
 * top). `U` is y − 1, `D` is y + 1, `L` is x − 1, `R` is x + 1.
 */
import { createRng, deriveSeed, randomInt, type Rng } from 'pauper';
import { pointToDemo } from './run-directly.js';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** A cell of the grid: `x` is the column, `y` the row, `(0, 0)` is the top left. */
export interface Position {
  readonly x: number;
  readonly y: number;
}

/** One move: up (y − 1), down (y + 1), left (x − 1) or right (x + 1). */
export type Move = 'U' | 'D' | 'L' | 'R';

/** The four moves, in the order used everywhere a fixed order matters. */
export const MOVES: readonly Move[] = ['U', 'D', 'L', 'R'];

/**
 * A maze: plain, JSON-serialisable data, so it can be a task in a journal.
 * Cells outside the grid behave as walls; `walls` and `coins` are listed row by row.
 */
export interface Maze {
  /** Stable identifier, e.g. `maze-7x5-d0.2-c3-s42`. */
  readonly id: string;
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** The wall cells inside the grid; the border outside the grid is an implicit wall. */
  readonly walls: readonly Position[];
  /** Where the agent starts: a floor cell without a coin. */
  readonly start: Position;
  /** The coins, on distinct floor cells; each is collected once, on entering its cell. */
  readonly coins: readonly Position[];
  /** Moves after this many steps are ignored. */
  readonly stepLimit: number;
}

/** Options of `generateMaze`. */
export interface MazeOptions {
  /** Columns, a positive integer. */
  readonly width: number;
  /** Rows, a positive integer. */
  readonly height: number;
  /** Share of the cells that are walls, from 0 to 0.6; the wall count is `round(wallDensity × width × height)`. */
  readonly wallDensity: number;
  /** Number of coins, a positive integer; at most the floor cells other than the start. */
  readonly coins: number;
  /**
   * Moves that count; later moves are ignored. The default is always enough to
   * collect every coin (a walk around a spanning tree visits every cell).
   * @default 2 × width × height
   */
  readonly stepLimit?: number;
  /** Seed of the generator: the same options give the same maze, deep-equal. */
  readonly seed: number;
}

/** Where an agent is in a maze and what it has done so far. */
export interface MazeState {
  readonly position: Position;
  /** Coins collected so far, in the order they were collected. */
  readonly collected: readonly Position[];
  /** Moves taken, bumps included. */
  readonly steps: number;
  /** Moves that hit a wall or the grid edge, and turns with no move (the agent stays in place). */
  readonly bumps: number;
}

/** What one `MazeEnv.step` did. */
export interface StepResult {
  /** The move hit a wall or the grid edge, or there was no move; the agent did not move. */
  readonly bumped: boolean;
  /** The move entered a cell with a coin not collected before. */
  readonly collected: boolean;
  /** The episode is over: every coin collected or the step limit reached. */
  readonly done: boolean;
}

/** The outcome of playing a move sequence with `simulate`. */
export interface SimulationResult {
  readonly coinsCollected: number;
  readonly wallBumps: number;
  /** Moves played: at most `stepLimit`, and none after the last coin. */
  readonly steps: number;
  /** Every position from the start, one per step: `steps + 1` entries (a bump repeats a position). */
  readonly path: readonly Position[];
  readonly finalPosition: Position;
  /** Coins collected, in the order they were collected. */
  readonly collected: readonly Position[];
  /** Every coin was collected (running out of steps does not count). */
  readonly done: boolean;
}

/** The summary kept in the log next to a maze score. */
export interface MazeRewardInfo {
  readonly coinsCollected: number;
  readonly totalCoins: number;
  readonly wallBumps: number;
  readonly steps: number;
  readonly finalPosition: Position;
  /** Every coin was collected. */
  readonly done: boolean;
}

/** A maze reward in the shape pauper's reward functions return: a score plus logged info. */
export interface MazeReward {
  readonly score: number;
  readonly info: MazeRewardInfo;
}

/** A turn-by-turn episode in one maze. Create one per episode with `createMazeEnv`. */
export interface MazeEnv {
  readonly maze: Maze;
  /** A snapshot of the current state. */
  readonly state: MazeState;
  /** Every coin collected or the step limit reached; `step` then throws. */
  readonly done: boolean;
  /** The current rendering plus the coins and steps left. */
  view(): string;
  /**
   * Plays one move. `undefined` is a turn whose answer had no move (see `parseMove`): it uses
   * a step and counts as a bump, so a model that never answers in format still ends the
   * episode, and pays for it. Throws a `TypeError` for anything else but U/D/L/R and an
   * `Error` once `done`.
   */
  step(move: Move | undefined): StepResult;
  /** The reward so far, by the same formula as `mazeReward`. */
  reward(): MazeReward;
}

// ---------------------------------------------------------------------------
// Reward
// ---------------------------------------------------------------------------

/** Points for each coin collected. */
export const COIN_REWARD = 1;

/** Points lost for each move into a wall or off the grid. */
export const WALL_PENALTY = 0.25;

/**
 * Scores a move sequence: `score = COIN_REWARD × coins collected − WALL_PENALTY × wall bumps`,
 * i.e. `coins − 0.25 × bumps` (the grid edge is a wall; an `undefined` entry, a turn with
 * no move, is a bump too). Moves past `stepLimit` or after the last coin is collected are
 * ignored, not penalised.
 */
export function mazeReward(maze: Maze, moves: readonly (Move | undefined)[]): MazeReward {
  const result = simulate(maze, moves);
  return summarise(maze, {
    position: result.finalPosition,
    collected: result.collected,
    steps: result.steps,
    bumps: result.wallBumps,
  });
}

/** The one place the reward formula lives; `mazeReward` and `MazeEnv.reward` both use it. */
function summarise(maze: Maze, state: MazeState): MazeReward {
  const coinsCollected = state.collected.length;
  return {
    score: COIN_REWARD * coinsCollected - WALL_PENALTY * state.bumps,
    info: {
      coinsCollected,
      totalCoins: maze.coins.length,
      wallBumps: state.bumps,
      steps: state.steps,
      finalPosition: state.position,
      done: coinsCollected === maze.coins.length,
    },
  };
}

// ---------------------------------------------------------------------------
// Playing: the environment, and `simulate` on top of it
// ---------------------------------------------------------------------------

/**
 * Plays `moves` from the start and reports what happened. Stops at `stepLimit`
 * or once every coin is collected; the remaining moves are ignored. An `undefined`
 * entry (a turn with no move) is a bump.
 */
export function simulate(maze: Maze, moves: readonly (Move | undefined)[]): SimulationResult {
  const env = createMazeEnv(maze);
  const path: Position[] = [maze.start];
  for (const move of moves) {
    if (env.done) break;
    env.step(move);
    path.push(env.state.position);
  }
  const state = env.state;
  return {
    coinsCollected: state.collected.length,
    wallBumps: state.bumps,
    steps: state.steps,
    path,
    finalPosition: state.position,
    collected: state.collected,
    done: state.collected.length === maze.coins.length,
  };
}

/**
 * Starts a turn-by-turn episode: show `view()` (or `turnPrompt(env)`) to the model,
 * play its answer with `step`, repeat until `done`.
 * @example
 * const env = createMazeEnv(maze);
 * while (!env.done) {
 *   env.step(parseMove(await act(turnPrompt(env)))); // no move in the answer: a bump
 * }
 * const { score } = env.reward();
 */
export function createMazeEnv(maze: Maze): MazeEnv {
  assertValidMaze(maze);
  const walls = new Set(maze.walls.map(cellKey));
  const coinsLeft = new Set(maze.coins.map(cellKey));
  const collected: Position[] = [];
  let position = maze.start;
  let steps = 0;
  let bumps = 0;

  const isDone = (): boolean => coinsLeft.size === 0 || steps >= maze.stepLimit;
  const snapshot = (): MazeState => ({ position, collected: [...collected], steps, bumps });

  return {
    maze,
    get state() {
      return snapshot();
    },
    get done() {
      return isDone();
    },
    view() {
      const lines = [
        renderMaze(maze, snapshot()),
        `Coins left: ${coinsLeft.size} of ${maze.coins.length}. Steps left: ${maze.stepLimit - steps} of ${maze.stepLimit}.`,
      ];
      return lines.join('\n');
    },
    step(move) {
      if (move !== undefined && !isMove(move)) {
        throw new TypeError(`step(move): expected one of U, D, L, R, got ${JSON.stringify(move)}.`);
      }
      if (isDone()) {
        throw new Error('step(): the episode is over (every coin collected or the step limit reached); check env.done first.');
      }
      steps += 1;
      const target = move === undefined ? position : neighbour(position, move);
      const bumped = move === undefined || !isInside(maze, target) || walls.has(cellKey(target));
      let collectedCoin = false;
      if (bumped) {
        bumps += 1;
      } else {
        position = target;
        collectedCoin = coinsLeft.delete(cellKey(target));
        if (collectedCoin) collected.push(target);
      }
      return { bumped, collected: collectedCoin, done: isDone() };
    },
    reward() {
      return summarise(maze, snapshot());
    },
  };
}

// ---------------------------------------------------------------------------
// Prompts, rendering and parsing
// ---------------------------------------------------------------------------

/** The one-shot prompt: the rules, the rendering, and a request for the move string only. */
export function taskPrompt(maze: Maze): string {
  return [
    'Collect the gold coins in this grid maze.',
    `Moves: U (up), D (down), L (left), R (right). Each coin is worth ${COIN_REWARD} point; ` +
      `each bump into a wall or the grid edge costs ${WALL_PENALTY}. Only the first ${maze.stepLimit} moves count.`,
    '',
    renderMaze(maze),
    '',
    'Answer with the move string only, e.g. RRDL.',
  ].join('\n');
}

/** The prompt of one turn: the rules in a line, the current view, and a request for one move. */
export function turnPrompt(env: MazeEnv): string {
  return [
    `Collect the gold coins in this grid maze; each bump into a wall or the grid edge costs ${WALL_PENALTY}.`,
    '',
    env.view(),
    '',
    'Answer with one move: U, D, L or R.',
  ].join('\n');
}

/**
 * Renders the maze as text a model can read: a legend, a grid with column and row
 * numbers (`#` wall, `.` floor, `o` coin, `@` the agent), the agent's position and the
 * coins left. Without `state`, the agent is at the start and no coin is collected.
 */
export function renderMaze(maze: Maze, state?: Pick<MazeState, 'position' | 'collected'>): string {
  const position = state?.position ?? maze.start;
  const collected = new Set((state?.collected ?? []).map(cellKey));
  const coinsLeft = maze.coins.filter((coin) => !collected.has(cellKey(coin)));
  const walls = new Set(maze.walls.map(cellKey));
  const coins = new Set(coinsLeft.map(cellKey));

  // Cells are separated by spaces so that each one is its own token for the model.
  const cellWidth = String(maze.width - 1).length;
  const labelWidth = String(maze.height - 1).length;
  const columns = Array.from({ length: maze.width }, (_, x) => String(x).padStart(cellWidth));
  const lines = [
    'Legend: # wall, . floor, o coin, @ you. Positions are (x, y): x is the column, y the row, (0, 0) is the top left.',
    `${' '.repeat(labelWidth)} ${columns.join(' ')}`,
  ];
  for (let y = 0; y < maze.height; y++) {
    const cells = Array.from({ length: maze.width }, (_, x) => {
      const key = cellKey({ x, y });
      const symbol =
        x === position.x && y === position.y ? '@' : walls.has(key) ? '#' : coins.has(key) ? 'o' : '.';
      return symbol.padStart(cellWidth);
    });
    lines.push(`${String(y).padStart(labelWidth)} ${cells.join(' ')}`);
  }
  lines.push(`You are at ${formatPosition(position)}.`);
  lines.push(
    coinsLeft.length === 0 ? 'No coins left.' : `Coins at ${coinsLeft.map(formatPosition).join(', ')}.`,
  );
  return lines.join('\n');
}

const ARROWS: Readonly<Record<Move, string>> = { U: '^', D: 'v', L: '<', R: '>' };

/**
 * Draws a played move sequence on the maze: `@` the start (as in `renderMaze`), an
 * arrow on each cell the agent walked out of (the last way it left), `E` where it
 * ended, `$` the coins it collected, `o` the ones it missed. Same grid as `renderMaze`.
 * One character a cell, so `@` and `$` are drawn over an arrow or the `E` beneath
 * them: an agent that ends on the start or on a coin it collected shows no `E`.
 */
export function renderPath(maze: Maze, moves: readonly (Move | undefined)[]): string {
  const { path, collected, finalPosition } = simulate(maze, moves);
  const marks = new Map<string, string>();
  path.slice(0, -1).forEach((from, index) => {
    const move = moves[index];
    const to = path[index + 1];
    if (move !== undefined && to !== undefined && !samePosition(from, to)) marks.set(cellKey(from), ARROWS[move]);
  });
  for (const coin of maze.coins) marks.set(cellKey(coin), 'o');
  marks.set(cellKey(finalPosition), 'E');
  marks.set(cellKey(maze.start), '@');
  for (const coin of collected) marks.set(cellKey(coin), '$');
  const walls = new Set(maze.walls.map(cellKey));
  const cellWidth = String(maze.width - 1).length;
  const labelWidth = String(maze.height - 1).length;
  const columns = Array.from({ length: maze.width }, (_, x) => String(x).padStart(cellWidth));
  const lines = [
    'Legend: @ start, E end, > < ^ v path (the way each cell was last left),',
    '$ coin collected, o coin missed, # wall, . floor.',
    `${' '.repeat(labelWidth)} ${columns.join(' ')}`,
  ];
  for (let y = 0; y < maze.height; y++) {
    const cells = Array.from({ length: maze.width }, (_, x) => {
      const key = cellKey({ x, y });
      return (marks.get(key) ?? (walls.has(key) ? '#' : '.')).padStart(cellWidth);
    });
    lines.push(`${String(y).padStart(labelWidth)} ${cells.join(' ')}`);
  }
  return lines.join('\n');
}

const MOVE_WORDS: ReadonlyMap<string, Move> = new Map([
  ['up', 'U'],
  ['down', 'D'],
  ['left', 'L'],
  ['right', 'R'],
]);

/**
 * Extracts moves from a model's answer, in order: runs of the capitals U, D, L, R
 * (`RRDL`, `R R D L`, `R,R,D,L`) and the words up/down/left/right in any case.
 * Ignored: every other word (so `Answer:`, `ROUND`, lowercase `rrdl`), digits (`3R` is one R), punctuation.
 */
export function parseMoves(text: string): Move[] {
  const moves: Move[] = [];
  for (const word of text.match(/[A-Za-z]+/g) ?? []) {
    const named = MOVE_WORDS.get(word.toLowerCase());
    if (named !== undefined) {
      moves.push(named);
    } else if (/^[UDLR]+$/.test(word)) {
      for (const letter of word) if (isMove(letter)) moves.push(letter);
    }
  }
  return moves;
}

/** The move of a turn-by-turn answer: the last move `parseMoves` finds, or `undefined` if there is none. */
export function parseMove(text: string): Move | undefined {
  return parseMoves(text).at(-1);
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/**
 * Generates a maze from a seed: walls at random, a start, and coins that are all
 * reachable from the start. The same options give a deep-equal maze.
 * @example
 * const maze = generateMaze({ width: 7, height: 5, wallDensity: 0.2, coins: 3, seed: 42 });
 */
export function generateMaze(options: MazeOptions): Maze {
  const { width, height, wallDensity, coins, seed, stepLimit } = resolveOptions(options);
  const rng = createRng(seed);
  const wallCount = Math.round(wallDensity * width * height);

  const shuffled = shuffle(allCells(width, height), rng);
  const walls = new Set(shuffled.slice(0, wallCount).map(cellKey));
  const start = pick(shuffled.slice(wallCount), rng);
  connectCells(width, height, walls, start, coins + 1, rng);

  const candidates = reachableCells(width, height, walls, start).filter((cell) => !samePosition(cell, start));
  const coinKeys = new Set(shuffle(candidates, rng).slice(0, coins).map(cellKey));
  const cells = allCells(width, height); // row by row, so the lists below are sorted
  return {
    id: `maze-${width}x${height}-d${wallDensity}-c${coins}-s${seed}`,
    width,
    height,
    walls: cells.filter((cell) => walls.has(cellKey(cell))),
    start,
    coins: cells.filter((cell) => coinKeys.has(cellKey(cell))),
    stepLimit,
  };
}

/**
 * Generates `count` mazes with the same options; maze `i` uses the seed
 * `deriveSeed(options.seed, 'maze', i)`, so the list is reproducible and its mazes differ.
 */
export function generateMazes(count: number, options: MazeOptions): Maze[] {
  requireInteger('count', count, 0);
  resolveOptions(options);
  return Array.from({ length: count }, (_, index) =>
    generateMaze({ ...options, seed: deriveSeed(options.seed, 'maze', index) }),
  );
}

/** The largest `wallDensity`: denser grids fall apart into pockets that carving would have to undo. */
const MAX_WALL_DENSITY = 0.6;

function resolveOptions(options: MazeOptions): Required<MazeOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`generateMaze(options): expected an options object, got ${String(options)}.`);
  }
  const { width, height, wallDensity, coins, seed } = options;
  requireInteger('width', width, 1);
  requireInteger('height', height, 1);
  if (typeof wallDensity !== 'number') {
    throw new TypeError(`Option \`wallDensity\` must be a number, got ${JSON.stringify(wallDensity) ?? String(wallDensity)}.`);
  }
  if (!(wallDensity >= 0 && wallDensity <= MAX_WALL_DENSITY)) {
    throw new RangeError(`Option \`wallDensity\` must be a number from 0 to ${MAX_WALL_DENSITY}, got ${String(wallDensity)}.`);
  }
  requireInteger('coins', coins, 1);
  requireInteger('seed', seed, Number.MIN_SAFE_INTEGER);
  const stepLimit = options.stepLimit ?? 2 * width * height;
  requireInteger('stepLimit', stepLimit, 1);

  const freeCells = width * height - Math.round(wallDensity * width * height);
  if (coins > freeCells - 1) {
    throw new RangeError(
      `Option \`coins\` must be at most ${Math.max(0, freeCells - 1)} (the floor cells other than the start ` +
        `of a ${width}x${height} maze with wallDensity ${wallDensity}), got ${coins}. Lower coins or wallDensity.`,
    );
  }
  return { width, height, wallDensity, coins, seed, stepLimit };
}

function requireInteger(name: string, value: unknown, minimum: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`Option \`${name}\` must be an integer, got ${JSON.stringify(value) ?? String(value)}.`);
  }
  if (value < minimum) {
    throw new RangeError(`Option \`${name}\` must be at least ${minimum}, got ${value}.`);
  }
}

/**
 * Opens walls until at least `needed` cells are reachable from `start`. Each round
 * walls up one unreachable floor cell (the wall count stays exact) and opens one
 * wall next to the reachable region, so the region grows every round.
 */
function connectCells(width: number, height: number, walls: Set<string>, start: Position, needed: number, rng: Rng): void {
  const maxRounds = width * height;
  for (let round = 0; ; round++) {
    const reachable = reachableCells(width, height, walls, start);
    if (reachable.length >= needed) return;
    if (round >= maxRounds) {
      throw new Error(
        `generateMaze: could not connect ${needed} cells after ${maxRounds} rounds of carving; lower coins or wallDensity.`,
      );
    }
    const reachableKeys = new Set(reachable.map(cellKey));
    const pockets = allCells(width, height).filter(
      (cell) => !walls.has(cellKey(cell)) && !reachableKeys.has(cellKey(cell)),
    );
    const frontier = new Map<string, Position>();
    for (const cell of reachable) {
      for (const move of MOVES) {
        const next = neighbour(cell, move);
        if (isInside({ width, height }, next) && walls.has(cellKey(next))) frontier.set(cellKey(next), next);
      }
    }
    walls.add(cellKey(pick(pockets, rng)));
    walls.delete(cellKey(pick([...frontier.values()], rng)));
  }
}

/** Breadth-first search from `start`; the cells come in the order they are reached. */
function reachableCells(width: number, height: number, walls: ReadonlySet<string>, start: Position): Position[] {
  const seen = new Set([cellKey(start)]);
  const order = [start];
  for (let index = 0; index < order.length; index++) {
    const cell = order[index]!;
    for (const move of MOVES) {
      const next = neighbour(cell, move);
      const key = cellKey(next);
      if (isInside({ width, height }, next) && !walls.has(key) && !seen.has(key)) {
        seen.add(key);
        order.push(next);
      }
    }
  }
  return order;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const DELTAS: Readonly<Record<Move, Position>> = {
  U: { x: 0, y: -1 },
  D: { x: 0, y: 1 },
  L: { x: -1, y: 0 },
  R: { x: 1, y: 0 },
};

function isMove(value: unknown): value is Move {
  return value === 'U' || value === 'D' || value === 'L' || value === 'R';
}

function neighbour(position: Position, move: Move): Position {
  return { x: position.x + DELTAS[move].x, y: position.y + DELTAS[move].y };
}

function isInside(size: { readonly width: number; readonly height: number }, position: Position): boolean {
  return position.x >= 0 && position.x < size.width && position.y >= 0 && position.y < size.height;
}

function cellKey(position: Position): string {
  return `${position.x},${position.y}`;
}

function samePosition(a: Position, b: Position): boolean {
  return a.x === b.x && a.y === b.y;
}

function formatPosition(position: Position): string {
  return `(${position.x}, ${position.y})`;
}

function allCells(width: number, height: number): Position[] {
  const cells: Position[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) cells.push({ x, y });
  return cells;
}

/** Fisher–Yates on a copy. */
function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = randomInt(rng, 0, index);
    [result[index], result[other]] = [result[other]!, result[index]!];
  }
  return result;
}

function pick<T>(items: readonly T[], rng: Rng): T {
  const item = items[randomInt(rng, 0, items.length - 1)];
  if (item === undefined) throw new Error('pick: no items to pick from (a bug in the maze generator).');
  return item;
}

/**
 * Checks a maze built by hand before playing it: cells inside the grid, a floor
 * start, coins on distinct floor cells other than the start, a non-negative step limit.
 */
function assertValidMaze(maze: Maze): void {
  const name = `maze ${JSON.stringify(maze.id)}`;
  if (!Number.isSafeInteger(maze.width) || maze.width < 1 || !Number.isSafeInteger(maze.height) || maze.height < 1) {
    throw new RangeError(`${name}: width and height must be positive integers, got ${maze.width}x${maze.height}.`);
  }
  if (!Number.isSafeInteger(maze.stepLimit) || maze.stepLimit < 0) {
    throw new RangeError(`${name}: stepLimit must be a non-negative integer, got ${maze.stepLimit}.`);
  }
  const cells = [maze.start, ...maze.walls, ...maze.coins];
  const outside = cells.find((cell) => !Number.isSafeInteger(cell.x) || !Number.isSafeInteger(cell.y) || !isInside(maze, cell));
  if (outside !== undefined) {
    throw new RangeError(`${name}: the cell ${formatPosition(outside)} is outside the ${maze.width}x${maze.height} grid.`);
  }
  const walls = new Set(maze.walls.map(cellKey));
  const coins = new Set<string>();
  if (walls.has(cellKey(maze.start))) {
    throw new RangeError(`${name}: the start ${formatPosition(maze.start)} is a wall.`);
  }
  for (const coin of maze.coins) {
    const key = cellKey(coin);
    if (walls.has(key) || samePosition(coin, maze.start) || coins.has(key)) {
      throw new RangeError(`${name}: the coin at ${formatPosition(coin)} is on a wall, on the start or listed twice.`);
    }
    coins.add(key);
  }
}

pointToDemo(import.meta.url, "maze.ts generates seeded gold-coin mazes, prompts them and scores the moves.");
