import { describe, expect, it } from 'vitest';
import { fromFunction } from 'pauper';
import { resolveRunOptions } from '../../src/blocks/options.js';
import { createRunControl } from '../../src/run/control.js';
import { createLimiter } from '../../src/run/limit.js';
import { collect } from '../../src/stages/collect.js';

describe('collect: tasks start as slots need them', () => {
  it('keeps at most the concurrency plus one task of requests waiting, however many tasks there are', async () => {
    const tasks = Array.from({ length: 60 }, (_, index) => `t${index}`);
    let waitingMost = 0;
    let control: ReturnType<typeof createRunControl<string, string, undefined>> | undefined;
    const provider = fromFunction(async (request) => {
      waitingMost = Math.max(waitingMost, control?.limit.waiting() ?? 0);
      await new Promise((resolve) => setImmediate(resolve));
      return request.messages.at(-1)?.content ?? '';
    });
    const resolved = resolveRunOptions<string, string, undefined>({ provider, reward: () => 1, samples: 20, concurrency: 4 }, { name: 'test', options: [] });
    control = createRunControl({ ...resolved, journal: undefined });
    const trajectories = await collect(resolved.settings, control, tasks, [], { split: 'train', iteration: 0 });
    // Every sample, in task then index order.
    expect(trajectories.map((trajectory) => trajectory.id)).toEqual(tasks.flatMap((_, task) => Array.from({ length: 20 }, (_, index) => `train/0/${task}/${index}`)));
    expect(trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    // All 1,200 requests queued at once before; now a task starts only while fewer than 4 wait.
    expect(waitingMost).toBeGreaterThan(0);
    expect(waitingMost).toBeLessThanOrEqual(4 + 20);
  });

  it('a limiter says when fewer requests wait than it runs at once', async () => {
    const limit = createLimiter(2);
    const gates: (() => void)[] = [];
    const work = () => limit(() => new Promise<void>((resolve) => gates.push(resolve)));
    const running = [work(), work(), work(), work()];
    await new Promise((resolve) => setImmediate(resolve));
    expect(limit.waiting()).toBe(2);
    const room = limit.room();
    expect(room).toBeInstanceOf(Promise);
    let roomy = false;
    void room?.then(() => (roomy = true));
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(limit.waiting()).toBe(1);
    expect(roomy).toBe(true);
    expect(limit.room()).toBeUndefined();
    while (gates.length > 0 || limit.waiting() > 0) {
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(running);
  });
});
