import { describe, expect, it } from 'vitest';
import { bestOfN, evaluate, scripted } from 'pauper';
import { example } from '../helpers.js';

describe('evaluate', () => {
  it('scores the given examples on tasks without selecting, marking trajectories eval', async () => {
    const provider = scripted((request) => String(request.messages.length));
    const examples = [example({ reward: 1, text: 'e1' }), example({ reward: 2, text: 'e2', index: 1 })];
    const { trajectories, stats } = await evaluate({ provider, tasks: ['a', 'b'], examples, reward: (sample) => Number(sample.text), samples: 2 });
    expect(trajectories).toHaveLength(4);
    expect(trajectories.every((trajectory) => trajectory.split === 'eval')).toBe(true);
    // Two folded examples (four turns) plus the task turn.
    expect(stats.mean).toBe(5);
  });

  it('is zero-shot without examples', async () => {
    const provider = scripted((request) => String(request.messages.length));
    const { stats } = await evaluate({ provider, tasks: ['a'], reward: (sample) => Number(sample.text), samples: 1 });
    expect(stats.mean).toBe(1);
  });
});

describe('bestOfN', () => {
  it('returns the highest-reward of N samples and all of them', async () => {
    const provider = scripted(['bb', 'bbbb', 'b']);
    const { best, trajectories } = await bestOfN({ provider, task: 'say b', reward: (sample) => sample.text.length, samples: 3 });
    expect(best?.text).toBe('bbbb');
    expect(trajectories.map((trajectory) => trajectory.text)).toEqual(['bb', 'bbbb', 'b']);
  });

  it('has no best when every sample failed', async () => {
    const { best, trajectories } = await bestOfN({ provider: scripted([new Error('down')]), task: 't', reward: () => 1, samples: 2 });
    expect(best).toBeUndefined();
    expect(trajectories.every((trajectory) => !trajectory.ok && trajectory.failure.stage === 'request')).toBe(true);
  });
});

describe('bestOfN across calls', () => {
  it('draws fresh samples when the iteration changes, the same ones when it does not', async () => {
    const seeds = async (iteration: number) => {
      const provider = scripted((request) => String(request.seed));
      const { trajectories } = await bestOfN({ provider, task: 't', reward: () => 1, samples: 2, iteration });
      return trajectories.map((trajectory) => trajectory.text);
    };
    expect(await seeds(0)).toEqual(await seeds(0));
    expect(await seeds(1)).not.toEqual(await seeds(0));
  });
});
