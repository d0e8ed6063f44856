/**
 * The demo's settings: its defaults, and how flags and environment variables
 * override them. Kept apart from `demo.ts` so tests run the exact same config.
 */
import { parseArgs } from 'node:util';
import { perTask, type InContextLearnerOptions, type Provider } from 'pauper';
import { isMazeMode, mazeOptions, type MazeIterateOptions, type MazeMode } from './loop.js';
import { generateMazes, type Maze, type MazeOptions } from './maze.js';
import { pointToDemo } from './run-directly.js';

/** What a demo run can be told from the command line or the environment. */
export interface DemoSettings {
  readonly mode: MazeMode;
  /** Iterations after the zero-shot baseline. */
  readonly iterations: number;
  /** Samples (or episodes) per maze per iteration. */
  readonly samples: number;
  /** Seeds the mazes and the run. */
  readonly seed: number;
}

/** The default seed. Not hand-picked: the offline curve rises for most seeds. */
export const DEMO_SEED = 1;
/** A small fixed training set: the offline learner can only copy answers, so few mazes learn fastest. */
export const TRAIN_MAZES = 2;
/** Mazes never selected from, scored every iteration with the same examples. */
export const HELD_OUT_MAZES = 4;

/**
 * Small mazes with a tight step limit: every coin is a few moves away, and 12
 * moves leave room for a detour while keeping a one-shot answer from
 * wandering (the default limit, 2 × width × height, would be 32).
 */
export const MAZE_SHAPE = { width: 4, height: 4, wallDensity: 0.2, coins: 3, stepLimit: 12 } as const satisfies Omit<MazeOptions, 'seed'>;

/**
 * Defaults per mode and model. The offline learner is free, so it gets many
 * samples; a real model gets fewer, and far fewer turn by turn, where every
 * move is a request and the conversation grows with each one.
 */
export function demoDefaults(mode: MazeMode, offline: boolean): DemoSettings {
  if (offline) return { mode, iterations: 6, samples: 16, seed: DEMO_SEED };
  return mode === 'one-shot'
    ? { mode, iterations: 4, samples: 8, seed: DEMO_SEED }
    : { mode, iterations: 2, samples: 2, seed: DEMO_SEED };
}

/** The most model requests a run can make (every turn-by-turn episode running to the step limit). */
export function maxRequests(settings: DemoSettings, nativeN: boolean): number {
  const mazes = TRAIN_MAZES + HELD_OUT_MAZES;
  const perMaze = settings.mode === 'one-shot' ? (nativeN ? 1 : settings.samples) : settings.samples * MAZE_SHAPE.stepLimit;
  return mazes * (settings.iterations + 1) * perMaze;
}

/** The training and held-out mazes of a seed. */
export function demoMazes(seed: number): { readonly train: Maze[]; readonly heldOut: Maze[] } {
  const mazes = generateMazes(TRAIN_MAZES + HELD_OUT_MAZES, { ...MAZE_SHAPE, seed });
  return { train: mazes.slice(0, TRAIN_MAZES), heldOut: mazes.slice(TRAIN_MAZES) };
}

/** The `iterate()` options of a demo run. */
export function demoOptions(settings: DemoSettings, provider: Provider): MazeIterateOptions {
  const { train, heldOut } = demoMazes(settings.seed);
  return mazeOptions(settings.mode, {
    provider,
    tasks: train,
    evalTasks: heldOut,
    samples: settings.samples,
    iterations: settings.iterations,
    seed: settings.seed,
    // The best attempt at each training maze, so the examples cover every maze
    // instead of piling onto the easiest one. A maze's own best attempt may
    // appear in its prompt (the default): the training curve measures
    // optimising these mazes, the held-out curve generalising to new ones.
    select: perTask(1),
  });
}

/**
 * The offline learner, shaped to the mode: it answers with move letters only,
 * a whole move string in one shot and a single move per turn. Order 8 lets it
 * copy a good move string faithfully, or, turn by turn, see its last four moves.
 */
export function learnerOptions(mode: MazeMode): InContextLearnerOptions {
  return { alphabet: 'UDLR', order: 8, minLength: 1, maxLength: mode === 'one-shot' ? MAZE_SHAPE.stepLimit : 1 };
}

/** What the command line asked for; unset fields take the defaults of the mode and model. */
export interface DemoArguments {
  readonly mode: MazeMode;
  readonly iterations?: number;
  readonly samples?: number;
  readonly seed?: number;
  readonly help: boolean;
}

/** What `--help` prints. */
export const DEMO_USAGE = `Usage: npm run demo -- [options]

  --mode one-shot|turn-by-turn  a move string per maze, or a move per turn
                                (PAUPER_MODE; default one-shot)
  --iterations N                iterations after the baseline
                                (PAUPER_ITERATIONS)
  --samples N                   samples per maze per iteration (PAUPER_SAMPLES)
  --seed N                      seeds the mazes and the run (PAUPER_SEED)

The model comes from the environment; the first match wins:
  PAUPER_PROVIDER               openai, anthropic, openai-compatible or offline
  OPENAI_BASE_URL, PAUPER_MODEL an OpenAI-compatible server (vLLM, Ollama...)
  OPENAI_API_KEY                OpenAI; PAUPER_MODEL or gpt-4.1-mini
  ANTHROPIC_API_KEY             Anthropic; PAUPER_MODEL or claude-haiku-4-5
  none of these                 the offline in-context learner (not an LLM)`;

/** The environment variable behind each flag. */
const DEMO_VARIABLES = {
  mode: 'PAUPER_MODE',
  iterations: 'PAUPER_ITERATIONS',
  samples: 'PAUPER_SAMPLES',
  seed: 'PAUPER_SEED',
} as const;

type DemoSetting = keyof typeof DEMO_VARIABLES;

/** A setting's text and where it came from, named the way the user wrote it (for error messages). */
interface Given {
  readonly text: string;
  readonly source: string;
}

/**
 * Reads the flags, falling back to the PAUPER_* variables. Throws a clear `Error`
 * on a bad value, naming the flag or the variable it came from.
 */
export function parseDemoArguments(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): DemoArguments {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      mode: { type: 'string' },
      iterations: { type: 'string' },
      samples: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const given = (setting: DemoSetting): Given | undefined => {
    const flag = values[setting];
    if (flag !== undefined) return { text: flag, source: `--${setting}` };
    const variable = DEMO_VARIABLES[setting];
    const text = nonEmpty(env[variable]);
    return text === undefined ? undefined : { text, source: `${variable} (--${setting})` };
  };
  const modeGiven = given('mode');
  const mode = modeGiven?.text ?? 'one-shot';
  if (!isMazeMode(mode)) {
    throw new Error(`${modeGiven?.source ?? '--mode'} must be one-shot or turn-by-turn, got ${JSON.stringify(mode)}.`);
  }
  const iterations = count(given('iterations'), 0);
  const samples = count(given('samples'), 1);
  const seed = count(given('seed'), 0);
  return {
    mode,
    ...(iterations === undefined ? {} : { iterations }),
    ...(samples === undefined ? {} : { samples }),
    ...(seed === undefined ? {} : { seed }),
    help: values.help === true,
  };
}

function count(given: Given | undefined, minimum: number): number | undefined {
  if (given === undefined) return undefined;
  const value = Number(given.text);
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new Error(`${given.source} must be an integer of at least ${minimum}, got ${JSON.stringify(given.text)}.`);
  }
  return value;
}

/** An unset or blank variable is absent. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

pointToDemo(import.meta.url, "config.ts reads the demo's settings from its flags and environment variables.");
