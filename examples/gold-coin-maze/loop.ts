/**
 * The gold-coin maze as a pauper loop, in both modes. Each builder takes the
 * run's own settings (provider, mazes, samples, selection...) and adds how a
 * maze is prompted and scored, so `iterate(oneShotOptions({ ... }))` is typed
 * end to end: the task is a `Maze`, the reward info a `MazeRewardInfo`.
 */
import type { IterateOptions, RolloutFunction, Sample, Trajectory } from 'pauper';
import {
  createMazeEnv,
  mazeReward,
  parseMove,
  parseMoves,
  taskPrompt,
  turnPrompt,
  type Maze,
  type MazeReward,
  type MazeRewardInfo,
  type Move,
} from './maze.js';
import { pointToDemo } from './run-directly.js';

/** How the model plays: one move string per maze, or one move per turn. */
export type MazeMode = 'one-shot' | 'turn-by-turn';

/** Narrows a string from the command line or the environment to a mode. */
export function isMazeMode(value: string): value is MazeMode {
  return value === 'one-shot' || value === 'turn-by-turn';
}

/** The `iterate()` options of a maze run. */
export type MazeIterateOptions = IterateOptions<Maze, string, MazeRewardInfo>;

/** Everything of a maze run except how a maze is prompted and scored, which the builders add. */
export type MazeRunOptions = Omit<MazeIterateOptions, 'reward' | 'rollout' | 'render' | 'prompt' | 'schema'>;

/** The one-shot scorer, a plain function: replays the moves found in the answer. */
export function oneShotReward({ task, text }: Sample<Maze>): MazeReward {
  return mazeReward(task, parseMoves(text));
}

/** One shot: the prompt shows the whole maze and the model answers with a move string. */
export function oneShotOptions(options: MazeRunOptions): MazeIterateOptions {
  return { ...options, render: taskPrompt, reward: oneShotReward };
}

/**
 * Turn by turn: one episode per sample. Each turn shows the current view and
 * plays the reply's move. A reply with no move is a bump (it uses a step and
 * costs the wall penalty): the episode always ends within `stepLimit` turns,
 * and answering out of format is penalised rather than fatal.
 */
export const mazeRollout: RolloutFunction<Maze, MazeRewardInfo> = async ({ task, act }) => {
  const env = createMazeEnv(task);
  while (!env.done) {
    const reply = await act(turnPrompt(env), env.state);
    env.step(parseMove(reply));
  }
  return env.reward();
};

/** Turn by turn: the rollout above plays each sample as a multi-turn episode. */
export function turnByTurnOptions(options: MazeRunOptions): MazeIterateOptions {
  return { ...options, rollout: mazeRollout };
}

/** The options builder of a mode. */
export function mazeOptions(mode: MazeMode, options: MazeRunOptions): MazeIterateOptions {
  return mode === 'one-shot' ? oneShotOptions(options) : turnByTurnOptions(options);
}

/**
 * The moves a trajectory played, in either mode: the parsed move string of a
 * one-shot answer, or each turn's move (`undefined` for a turn with no move).
 * `mazeReward(trajectory.task, mazeMoves(trajectory))` recomputes its reward.
 */
export function mazeMoves(trajectory: Trajectory<Maze, string, MazeRewardInfo>): (Move | undefined)[] {
  return trajectory.steps.length === 0
    ? parseMoves(trajectory.text)
    : trajectory.steps.map((step) => parseMove(step.reply));
}

pointToDemo(import.meta.url, "loop.ts builds the maze's iterate() options, one shot or turn by turn.");
