import { describe, expect, expectTypeOf, it } from 'vitest';
import { createRng, randomInt } from '../../src/core/random.js';
import {
  COIN_REWARD,
  MOVES,
  WALL_PENALTY,
  createMazeEnv,
  generateMaze,
  generateMazes,
  mazeReward,
  parseMove,
  parseMoves,
  renderMaze,
  renderPath,
  simulate,
  taskPrompt,
  turnPrompt,
  type Maze,
  type MazeOptions,
  type MazeReward,
  type Move,
  type Position,
} from '../../examples/gold-coin-maze/maze.js';

/**
 * ```
 *   0 1 2
 * 0 @ . o
 * 1 . # .
 * 2 o . .
 * ```
 */
const small: Maze = {
  id: 'small',
  width: 3,
  height: 3,
  walls: [{ x: 1, y: 1 }],
  start: { x: 0, y: 0 },
  coins: [
    { x: 2, y: 0 },
    { x: 0, y: 2 },
  ],
  stepLimit: 8,
};

const moves = (text: string): Move[] => parseMoves(text);
const key = (cell: Position): string => `${cell.x},${cell.y}`;

/** An independent BFS, so the generator's own search is not trusted. */
function reachableKeys(maze: Maze): Set<string> {
  const walls = new Set(maze.walls.map(key));
  const seen = new Set([key(maze.start)]);
  const queue: Position[] = [maze.start];
  while (queue.length > 0) {
    const { x, y } = queue.shift()!;
    for (const next of [
      { x, y: y - 1 },
      { x, y: y + 1 },
      { x: x - 1, y },
      { x: x + 1, y },
    ]) {
      const inside = next.x >= 0 && next.x < maze.width && next.y >= 0 && next.y < maze.height;
      if (inside && !walls.has(key(next)) && !seen.has(key(next))) {
        seen.add(key(next));
        queue.push(next);
      }
    }
  }
  return seen;
}

function randomMoves(rng: () => number, maxLength: number): Move[] {
  return Array.from({ length: randomInt(rng, 0, maxLength) }, () => MOVES[randomInt(rng, 0, 3)]!);
}

describe('generateMaze', () => {
  const variedOptions = Array.from({ length: 200 }, (_, index): MazeOptions => {
    const rng = createRng(1000 + index);
    const width = randomInt(rng, 2, 16);
    const height = randomInt(rng, 2, 16);
    const wallDensity = [0, 0.1, 0.25, 0.4, 0.5, 0.6][index % 6]!;
    const freeCells = width * height - Math.round(wallDensity * width * height);
    return { width, height, wallDensity, coins: randomInt(rng, 1, Math.min(12, freeCells - 1)), seed: index };
  });

  it('places exactly the requested coins on distinct floor cells, all reachable from a floor start, over 200 seeded mazes', () => {
    for (const options of variedOptions) {
      const maze = generateMaze(options);
      const walls = new Set(maze.walls.map(key));
      const reachable = reachableKeys(maze);
      expect(maze.coins).toHaveLength(options.coins);
      expect(new Set(maze.coins.map(key)).size).toBe(options.coins);
      expect(walls.has(key(maze.start))).toBe(false);
      expect(maze.coins.map(key)).not.toContain(key(maze.start));
      for (const coin of maze.coins) {
        expect(walls.has(key(coin))).toBe(false);
        expect(reachable.has(key(coin)), `coin ${key(coin)} of ${maze.id}`).toBe(true);
      }
      for (const cell of [...maze.walls, ...maze.coins, maze.start]) {
        expect(cell.x >= 0 && cell.x < maze.width && cell.y >= 0 && cell.y < maze.height).toBe(true);
      }
    }
  });

  it('keeps the wall count at round(wallDensity × cells), even when it must carve paths to the coins', () => {
    for (const options of variedOptions) {
      const maze = generateMaze(options);
      expect(maze.walls).toHaveLength(Math.round(options.wallDensity * options.width * options.height));
      expect(new Set(maze.walls.map(key)).size).toBe(maze.walls.length);
    }
    // At density 0.6 the random walls leave small pockets; 159 coins need every floor cell connected.
    const dense = generateMaze({ width: 20, height: 20, wallDensity: 0.6, coins: 159, seed: 3 });
    expect(dense.walls).toHaveLength(240);
    expect(reachableKeys(dense).size).toBe(160);
  });

  it('gives a deep-equal maze for the same seed and different mazes for different seeds', () => {
    const options: MazeOptions = { width: 8, height: 6, wallDensity: 0.3, coins: 4, seed: 11 };
    expect(generateMaze(options)).toStrictEqual(generateMaze({ ...options }));
    const layouts = new Set(
      Array.from({ length: 30 }, (_, seed) => renderMaze(generateMaze({ ...options, seed }))),
    );
    expect(layouts.size).toBe(30);
  });

  it('defaults stepLimit to 2 × width × height and honours an explicit one', () => {
    const options: MazeOptions = { width: 5, height: 4, wallDensity: 0.2, coins: 2, seed: 1 };
    expect(generateMaze(options).stepLimit).toBe(40);
    expect(generateMaze({ ...options, stepLimit: 9 }).stepLimit).toBe(9);
  });

  it('lists walls and coins row by row and names the maze after its options', () => {
    const maze = generateMaze({ width: 7, height: 5, wallDensity: 0.3, coins: 4, seed: 42 });
    const rowMajor = (cells: readonly Position[]) => cells.map((cell) => cell.y * 7 + cell.x);
    expect(rowMajor(maze.walls)).toStrictEqual([...rowMajor(maze.walls)].sort((a, b) => a - b));
    expect(rowMajor(maze.coins)).toStrictEqual([...rowMajor(maze.coins)].sort((a, b) => a - b));
    expect(maze.id).toBe('maze-7x5-d0.3-c4-s42');
  });

  it('survives a JSON round trip unchanged', () => {
    const maze = generateMaze({ width: 6, height: 6, wallDensity: 0.25, coins: 3, seed: 5 });
    expect(JSON.parse(JSON.stringify(maze))).toStrictEqual(maze);
  });
});

describe('generateMaze option validation', () => {
  const valid: MazeOptions = { width: 4, height: 4, wallDensity: 0.25, coins: 2, seed: 1 };

  it.each([
    [{ width: 0 }, RangeError, /`width` must be at least 1, got 0/],
    [{ width: 2.5 }, TypeError, /`width` must be an integer, got 2.5/],
    [{ height: '4' }, TypeError, /`height` must be an integer, got "4"/],
    [{ wallDensity: 0.7 }, RangeError, /`wallDensity` must be a number from 0 to 0.6, got 0.7/],
    [{ wallDensity: -0.1 }, RangeError, /`wallDensity`.*got -0.1/],
    [{ wallDensity: Number.NaN }, RangeError, /`wallDensity`.*got NaN/],
    [{ wallDensity: '0.2' }, TypeError, /`wallDensity` must be a number, got "0.2"/],
    [{ coins: 0 }, RangeError, /`coins` must be at least 1, got 0/],
    [{ coins: 12 }, RangeError, /`coins` must be at most 11 .*4x4 maze with wallDensity 0.25\), got 12/],
    [{ seed: 1.5 }, TypeError, /`seed` must be an integer, got 1.5/],
    [{ stepLimit: 0 }, RangeError, /`stepLimit` must be at least 1, got 0/],
  ])('rejects %o with a clear error', (override, errorClass, message) => {
    const options = { ...valid, ...override } as unknown as MazeOptions;
    expect(() => generateMaze(options)).toThrow(errorClass);
    expect(() => generateMaze(options)).toThrow(message);
  });

  it('accepts the largest coin count that fits', () => {
    expect(generateMaze({ ...valid, coins: 11 }).coins).toHaveLength(11);
  });

  it('rejects a missing options object', () => {
    expect(() => generateMaze(undefined as unknown as MazeOptions)).toThrow(TypeError);
  });
});

describe('generateMazes', () => {
  const options: MazeOptions = { width: 6, height: 5, wallDensity: 0.2, coins: 3, seed: 9 };

  it('generates distinct, reproducible mazes with distinct ids', () => {
    const mazes = generateMazes(20, options);
    expect(mazes).toHaveLength(20);
    expect(generateMazes(20, options)).toStrictEqual(mazes);
    expect(new Set(mazes.map((maze) => maze.id)).size).toBe(20);
    expect(new Set(mazes.map((maze) => renderMaze(maze))).size).toBe(20);
    expect(generateMazes(3, { ...options, seed: 10 })).not.toStrictEqual(mazes.slice(0, 3));
  });

  it('returns no mazes for count 0 but still validates the options', () => {
    expect(generateMazes(0, options)).toStrictEqual([]);
    expect(() => generateMazes(0, { ...options, coins: 0 })).toThrow(/`coins`/);
    expect(() => generateMazes(-1, options)).toThrow(/`count` must be at least 0, got -1/);
  });
});

describe('mazeReward on a hand-made maze', () => {
  it('exports the formula constants', () => {
    expect(COIN_REWARD).toBe(1);
    expect(WALL_PENALTY).toBe(0.25);
  });

  it.each([
    ['', 0],
    ['RR', 1], // (1,0), (2,0) coin
    ['U', -0.25], // the top edge
    ['LU', -0.5], // the left edge, then the top edge
    ['RD', -0.25], // (1,0), then the wall at (1,1)
    ['UDDD', 0.5], // edge, (0,1), (0,2) coin, bottom edge
    ['RRLLRR', 1], // the coin at (2,0) counts once
    ['RRDDLL', 2], // both coins
    ['RRDDLLLLUU', 2], // moves after the last coin are ignored: no edge penalty
    ['RRRDDLL', 1.75], // one bump on the right edge on the way
  ])('scores %j as %d', (text, score) => {
    expect(mazeReward(small, moves(text)).score).toBe(score);
  });

  it('ignores moves past the step limit instead of penalising them', () => {
    const limited: Maze = { ...small, stepLimit: 3 };
    expect(mazeReward(limited, moves('UUUUUU'))).toStrictEqual({
      score: -0.75,
      info: { coinsCollected: 0, totalCoins: 2, wallBumps: 3, steps: 3, finalPosition: { x: 0, y: 0 }, done: false },
    });
    // The coin at (2,0) would be the 4th step: too late.
    expect(mazeReward(limited, moves('DURR')).score).toBe(0);
    expect(mazeReward(limited, moves('DD')).score).toBe(1);
  });

  it('reports the path, bumps and collected coins in simulate', () => {
    expect(simulate(small, moves('DRUURR'))).toStrictEqual({
      coinsCollected: 1,
      wallBumps: 2,
      steps: 6,
      path: [
        { x: 0, y: 0 },
        { x: 0, y: 1 },
        { x: 0, y: 1 }, // R into the wall at (1,1)
        { x: 0, y: 0 },
        { x: 0, y: 0 }, // U off the top edge
        { x: 1, y: 0 },
        { x: 2, y: 0 },
      ],
      finalPosition: { x: 2, y: 0 },
      collected: [{ x: 2, y: 0 }],
      done: false,
    });
  });

  it('marks done and stops once every coin is collected', () => {
    const result = simulate(small, moves('DDRRUURR'));
    expect(result.done).toBe(true);
    expect(result.steps).toBe(6);
    expect(result.collected).toStrictEqual([
      { x: 0, y: 2 },
      { x: 2, y: 0 },
    ]);
    expect(result.path).toHaveLength(7);
  });

  it('rejects an invalid hand-made maze before playing it', () => {
    expect(() => mazeReward({ ...small, start: { x: 1, y: 1 } }, [])).toThrow(/the start \(1, 1\) is a wall/);
    expect(() => mazeReward({ ...small, coins: [{ x: 3, y: 0 }] }, [])).toThrow(/\(3, 0\) is outside the 3x3 grid/);
    expect(() => mazeReward({ ...small, coins: [{ x: 0, y: 0 }] }, [])).toThrow(/coin at \(0, 0\)/);
    expect(() => mazeReward({ ...small, stepLimit: -1 }, [])).toThrow(RangeError);
  });

  it('has the reward shape pauper reward functions return', () => {
    expectTypeOf(mazeReward).returns.toEqualTypeOf<MazeReward>();
    expectTypeOf<MazeReward['score']>().toEqualTypeOf<number>();
  });
});

describe('createMazeEnv', () => {
  it('plays turn by turn and reports each step', () => {
    const env = createMazeEnv(small);
    expect(env.done).toBe(false);
    expect(env.step('U')).toStrictEqual({ bumped: true, collected: false, done: false });
    expect(env.step('D')).toStrictEqual({ bumped: false, collected: false, done: false });
    expect(env.step('D')).toStrictEqual({ bumped: false, collected: true, done: false });
    expect(env.state).toStrictEqual({ position: { x: 0, y: 2 }, collected: [{ x: 0, y: 2 }], steps: 3, bumps: 1 });
    for (const move of moves('RRU')) env.step(move);
    expect(env.step('U')).toStrictEqual({ bumped: false, collected: true, done: true });
    expect(env.done).toBe(true);
    expect(env.reward().score).toBe(2 - 0.25);
  });

  it('is done when the step limit is reached, and step then throws', () => {
    const env = createMazeEnv({ ...small, stepLimit: 2 });
    env.step('R');
    expect(env.step('L').done).toBe(true);
    expect(env.done).toBe(true);
    expect(() => env.step('R')).toThrow(/episode is over/);
  });

  it('rejects a move that is not U, D, L or R', () => {
    const env = createMazeEnv(small);
    expect(() => env.step('X' as Move)).toThrow(TypeError);
    expect(env.state.steps).toBe(0);
  });

  it('plays a turn with no move (undefined) as a bump: a step used, the penalty paid, the agent in place', () => {
    const env = createMazeEnv({ ...small, stepLimit: 3 });
    env.step('R');
    expect(env.step(undefined)).toStrictEqual({ bumped: true, collected: false, done: false });
    expect(env.state).toStrictEqual({ position: { x: 1, y: 0 }, collected: [], steps: 2, bumps: 1 });
    expect(env.step(undefined).done).toBe(true);
    expect(env.reward().score).toBe(-2 * WALL_PENALTY);
    expect(mazeReward(small, ['R', undefined, 'R'])).toStrictEqual(
      { score: 1 - WALL_PENALTY, info: { coinsCollected: 1, totalCoins: 2, wallBumps: 1, steps: 3, finalPosition: { x: 2, y: 0 }, done: false } },
    );
    expect(simulate(small, [undefined, 'D']).path).toStrictEqual([{ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 1 }]);
  });

  it('returns state snapshots that later steps do not change', () => {
    const env = createMazeEnv(small);
    const before = env.state;
    env.step('R');
    env.step('R');
    expect(before).toStrictEqual({ position: { x: 0, y: 0 }, collected: [], steps: 0, bumps: 0 });
  });

  it('gives the same reward as mazeReward for 1,000 random move strings', () => {
    const rng = createRng(2024);
    const mazes = [small, ...generateMazes(20, { width: 5, height: 4, wallDensity: 0.3, coins: 3, stepLimit: 12, seed: 7 })];
    for (let trial = 0; trial < 1000; trial++) {
      const maze = mazes[trial % mazes.length]!;
      const sequence = randomMoves(rng, 20);
      const env = createMazeEnv(maze);
      const path = [env.state.position];
      for (const move of sequence) {
        if (env.done) break;
        env.step(move);
        path.push(env.state.position);
      }
      expect(env.reward(), sequence.join('')).toStrictEqual(mazeReward(maze, sequence));
      expect(path).toStrictEqual(simulate(maze, sequence).path);
    }
  });

  it('shows the view with the coins and steps left', () => {
    const env = createMazeEnv(small);
    env.step('R');
    env.step('R');
    expect(env.view()).toBe(
      [
        'Legend: # wall, . floor, o coin, @ you. Positions are (x, y): x is the column, y the row, (0, 0) is the top left.',
        '  0 1 2',
        '0 . . @',
        '1 . # .',
        '2 o . .',
        'You are at (2, 0).',
        'Coins at (0, 2).',
        'Coins left: 1 of 2. Steps left: 6 of 8.',
      ].join('\n'),
    );
  });
});

describe('renderPath', () => {
  it('draws the start, the way out of each cell, the end and the coins collected or missed', () => {
    expect(renderPath(small, moves('DRUURR'))).toBe(
      [
        'Legend: @ start, E end, > < ^ v path (the way each cell was last left),',
        '$ coin collected, o coin missed, # wall, . floor.',
        '  0 1 2',
        '0 @ > $',
        '1 ^ # .',
        '2 o . .',
      ].join('\n'),
    );
  });

  it('marks where the agent ended, and ignores moves after the episode is over', () => {
    const lines = renderPath(small, moves('DDRRUURRRR')).split('\n').slice(3);
    expect(lines).toStrictEqual(['0 @ . $', '1 v # ^', '2 $ > ^']);
    expect(renderPath(small, moves('RD')).split('\n').slice(3)).toStrictEqual(['0 @ E o', '1 . # .', '2 o . .']);
  });

  it('uses @ for the start as renderMaze does, drawn over an E that came back to it', () => {
    expect(renderMaze(small).split('\n')[2]).toBe('0 @ . o');
    expect(renderPath(small, moves('RL')).split('\n').slice(3)).toStrictEqual(['0 @ < o', '1 . # .', '2 o . .']);
  });
});

describe('renderMaze', () => {
  it('renders a hand-made maze with a legend, coordinates and the coins', () => {
    expect(renderMaze(small)).toBe(
      [
        'Legend: # wall, . floor, o coin, @ you. Positions are (x, y): x is the column, y the row, (0, 0) is the top left.',
        '  0 1 2',
        '0 @ . o',
        '1 . # .',
        '2 o . .',
        'You are at (0, 0).',
        'Coins at (2, 0), (0, 2).',
      ].join('\n'),
    );
  });

  it('hides collected coins and says when none are left', () => {
    const rendering = renderMaze(small, {
      position: { x: 1, y: 2 },
      collected: [
        { x: 2, y: 0 },
        { x: 0, y: 2 },
      ],
    });
    expect(rendering.split('\n').slice(2, 5)).toStrictEqual(['0 . . .', '1 . # .', '2 . @ .']);
    expect(rendering).toContain('No coins left.');
  });

  it('keeps columns aligned when coordinates reach two digits', () => {
    const maze = generateMaze({ width: 12, height: 11, wallDensity: 0.2, coins: 3, seed: 4 });
    const gridLines = renderMaze(maze).split('\n').slice(1, 13);
    expect(gridLines[0]).toBe('    0  1  2  3  4  5  6  7  8  9 10 11');
    expect(new Set(gridLines.map((line) => line.length)).size).toBe(1);
    expect(gridLines[11]!.startsWith('10 ')).toBe(true);
  });
});

describe('parseMoves', () => {
  it.each([
    ['RRDDL', 'RRDDL'],
    ['R R D D L', 'RRDDL'],
    ['R, R, D,\nD, L', 'RRDDL'],
    ['Answer: RRDL', 'RRDL'],
    ['```\nRRDL\n```', 'RRDL'],
    ['up, Up, LEFT then right', 'UULR'],
    ['Down-Right', 'DR'],
    ['3R 2D', 'RD'],
    ['rrdl', ''],
    ['I think ROUND is wrong', ''],
    ['constructor toString', ''],
    ['', ''],
  ])('reads %j as %j', (text, expected) => {
    expect(parseMoves(text).join('')).toBe(expected);
  });

  it('takes the last move as the answer of a turn', () => {
    expect(parseMove('I go right. Final answer: D')).toBe('D');
    expect(parseMove('no move here')).toBeUndefined();
  });
});

describe('prompts', () => {
  it('asks for the move string only in one-shot mode', () => {
    const prompt = taskPrompt(small);
    expect(prompt).toContain(renderMaze(small));
    expect(prompt).toContain('Only the first 8 moves count.');
    expect(prompt.endsWith('Answer with the move string only, e.g. RRDL.')).toBe(true);
  });

  it('shows the current view and asks for one move in turn-by-turn mode', () => {
    const env = createMazeEnv(small);
    env.step('D');
    const prompt = turnPrompt(env);
    expect(prompt).toContain(env.view());
    expect(prompt.endsWith('Answer with one move: U, D, L or R.')).toBe(true);
  });
});
