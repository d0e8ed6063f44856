import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  fewShotMessages,
  inContextLearner,
  iterate,
  scoredOnly,
  scripted,
  type Example,
  type IterateOptions,
  type RewardFunction,
  type RolloutFunction,
  type RunResult,
} from 'pauper';
import { demoDefaults, demoOptions, learnerOptions, type DemoSettings } from '../../examples/gold-coin-maze/config.js';
import {
  mazeMoves,
  mazeRollout,
  oneShotOptions,
  oneShotReward,
  turnByTurnOptions,
  type MazeMode,
} from '../../examples/gold-coin-maze/loop.js';
import {
  createMazeEnv,
  generateMaze,
  mazeReward,
  parseMove,
  parseMoves,
  taskPrompt,
  turnPrompt,
  WALL_PENALTY,
  type Maze,
  type MazeRewardInfo,
} from '../../examples/gold-coin-maze/maze.js';

type MazeRun = RunResult<Maze, string, MazeRewardInfo>;

async function runDemo(settings: DemoSettings): Promise<MazeRun> {
  return await iterate(demoOptions(settings, inContextLearner(learnerOptions(settings.mode))));
}

const small = (mode: MazeMode): DemoSettings => ({ mode, iterations: 2, samples: 4, seed: 1 });

describe('one-shot maze loop, offline', () => {
  it('scores every answer by replaying its move string, with a one-exchange transcript', async () => {
    const run = await runDemo(small('one-shot'));
    expect(run.trajectories).toHaveLength(3 * (2 + 4) * 4);
    for (const trajectory of run.trajectories) {
      expect(trajectory.ok, trajectory.id).toBe(true);
      if (!trajectory.ok) continue;
      expect(trajectory.steps).toStrictEqual([]);
      expect(trajectory.turns).toStrictEqual([
        { role: 'user', content: taskPrompt(trajectory.task) },
        { role: 'assistant', content: trajectory.text },
      ]);
      expect(trajectory.text).toMatch(/^[UDLR]{1,12}$/);
      const expected = mazeReward(trajectory.task, parseMoves(trajectory.text));
      expect({ score: trajectory.reward, info: trajectory.info }).toStrictEqual(expected);
    }
  });

  it('folds the previous iteration\'s kept answers into the prompt, before the task', async () => {
    const run = await runDemo(small('one-shot'));
    const [first, second] = run.iterations;
    expect(first?.examples).toStrictEqual([]);
    expect(second?.examples).toStrictEqual(first?.kept);
    const trajectory = second?.trajectories[0];
    const examples = second?.examples ?? [];
    expect(examples.length).toBeGreaterThan(0);
    // One best answer per training maze (perTask(1)).
    expect(new Set(examples.map((example) => example.taskId)).size).toBe(examples.length);
    expect(trajectory?.prompt).toStrictEqual([
      ...fewShotMessages()(examples, { task: trajectory!.task }),
      { role: 'user', content: taskPrompt(trajectory!.task) },
    ]);
    expect(trajectory?.prompt.slice(0, -1)).toHaveLength(2 * examples.length);
  });
});

describe('turn-by-turn maze loop, offline', () => {
  it('records one step per env step, alternating turns, and the env\'s reward recomputed from the transcript', async () => {
    const run = await runDemo(small('turn-by-turn'));
    const trajectories = scoredOnly(run.trajectories);
    expect(trajectories).toHaveLength(run.trajectories.length);
    for (const trajectory of trajectories) {
      const { steps, turns, task } = trajectory;
      expect(steps.length).toBe(trajectory.info?.steps);
      expect(turns).toHaveLength(2 * steps.length);
      turns.forEach((turn, position) => expect(turn.role).toBe(position % 2 === 0 ? 'user' : 'assistant'));

      const env = createMazeEnv(task);
      steps.forEach((step, position) => {
        expect(step.info).toStrictEqual(env.state);
        expect(step.message).toBe(turnPrompt(env));
        expect(turns[2 * position]?.content).toBe(step.message);
        expect(turns[2 * position + 1]?.content).toBe(step.reply);
        env.step(parseMove(step.reply));
      });
      expect(env.done).toBe(true);
      expect({ score: trajectory.reward, info: trajectory.info }).toStrictEqual(env.reward());
      expect(mazeReward(task, mazeMoves(trajectory))).toStrictEqual(env.reward());
      expect(trajectory.text).toBe(steps.at(-1)?.reply);
    }
  });

  it('folds whole episodes as examples', async () => {
    const run = await runDemo(small('turn-by-turn'));
    const second = run.iterations[1];
    const trajectory = second?.trajectories.find((candidate) => candidate.split === 'train');
    const examples = second?.examples ?? [];
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.every((example) => example.steps.length > 1)).toBe(true);
    expect(trajectory?.prompt).toStrictEqual(fewShotMessages()(examples, { task: trajectory!.task }));
    expect(trajectory?.prompt).toHaveLength(examples.reduce((sum, example) => sum + 2 * example.steps.length, 0));
  });

  it('counts a reply with no move as a bump that uses a step, so the episode still ends', async () => {
    const maze = generateMaze({ width: 4, height: 4, wallDensity: 0.2, coins: 2, stepLimit: 5, seed: 2 });
    const run = await iterate(turnByTurnOptions({ provider: scripted(['I would rather not say.']), tasks: [maze], samples: 1, iterations: 0 }));
    const [trajectory] = scoredOnly(run.trajectories);
    expect(trajectory?.steps).toHaveLength(5);
    expect(trajectory?.reward).toBe(-5 * WALL_PENALTY);
    expect(trajectory?.info).toMatchObject({ wallBumps: 5, steps: 5, coinsCollected: 0 });
  });
});

describe('the demo\'s default config, offline', () => {
  it.each(['one-shot', 'turn-by-turn'] as const)('raises the mean training reward from the baseline, %s', async (mode) => {
    const settings = demoDefaults(mode, true);
    expect(settings.seed).toBe(1);
    const run = await runDemo(settings);
    const first = run.iterations[0]?.train.mean ?? Number.NaN;
    const last = run.iterations.at(-1)?.train.mean ?? Number.NaN;
    expect(last).toBeGreaterThan(first + 0.5);
    expect(run.iterations.every((iteration) => iteration.train.failed === 0)).toBe(true);
  });

  it('rises for other seeds too, one shot: the default seed is not hand-picked', async () => {
    for (const seed of [2, 3, 4, 5, 6]) {
      const run = await runDemo({ ...demoDefaults('one-shot', true), seed });
      const first = run.iterations[0]?.train.mean ?? Number.NaN;
      expect(run.iterations.at(-1)?.train.mean, `seed ${seed}`).toBeGreaterThan(first + 0.3);
    }
  });

  it('is bit for bit reproducible', async () => {
    const settings = small('one-shot');
    const texts = (run: MazeRun) => run.trajectories.map((trajectory) => trajectory.text);
    expect(texts(await runDemo(settings))).toStrictEqual(texts(await runDemo(settings)));
  });
});

describe('types', () => {
  it('carries the Maze task and its reward info through iterate() without casts', () => {
    expectTypeOf(oneShotReward).toExtend<RewardFunction<Maze, string, MazeRewardInfo>>();
    expectTypeOf(mazeRollout).toEqualTypeOf<RolloutFunction<Maze, MazeRewardInfo>>();
    expectTypeOf(oneShotOptions).returns.toEqualTypeOf<IterateOptions<Maze, string, MazeRewardInfo>>();
    expectTypeOf(turnByTurnOptions).returns.toEqualTypeOf<IterateOptions<Maze, string, MazeRewardInfo>>();
    expectTypeOf<Awaited<ReturnType<typeof runDemo>>['best']>().toEqualTypeOf<Example<Maze, string, MazeRewardInfo> | undefined>();
    expectTypeOf<Example<Maze, string, MazeRewardInfo>['info']>().toEqualTypeOf<MazeRewardInfo | undefined>();
  });
});
