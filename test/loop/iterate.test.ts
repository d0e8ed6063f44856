import { describe, expect, it } from 'vitest';
import type { IterationResult, RunEvent, SampleRequest } from 'pauper';
import { fromFunction, inContextLearner, iterate, scripted, TooManyErrorsError, topK } from 'pauper';
import { inFlightProbe } from '../helpers.js';

const lastUser = (request: SampleRequest): string =>
  [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';

/** Reward: length of the answer, so longer answers are "better". */
const lengthReward = (sample: { text: string }): number => sample.text.length;

describe('iterate: the loop', () => {
  it('runs a zero-shot baseline, then iterations with the kept examples folded in', async () => {
    const provider = scripted((_request, { produced }) => 'x'.repeat((produced % 5) + 1));
    const run = await iterate({ provider, tasks: ['a', 'b'], reward: lengthReward, samples: 3, iterations: 2, keep: 2 });

    expect(run.iterations.map((iteration) => iteration.iteration)).toEqual([0, 1, 2]);
    expect(run.iterations[0]?.examples).toEqual([]);
    const firstCall = provider.calls[0]!;
    expect(firstCall.request.messages).toEqual([{ role: 'user', content: 'a' }]);
    // Iteration 1's prompts carry iteration 0's kept set as few-shot turns before the task.
    const kept0 = run.iterations[0]!.kept;
    expect(kept0).toHaveLength(2);
    const iteration1Call = provider.calls.find((call) => call.request.messages.length > 1)!;
    expect(iteration1Call.request.messages).toHaveLength(2 * 2 + 1);
    expect(iteration1Call.request.cachePrefixLength).toBe(4);
    expect(run.iterations[1]?.examples).toEqual(kept0);
    expect(run.examples).toEqual(run.iterations[2]?.kept);
  });

  it('uses one native-n request per task per iteration', async () => {
    const provider = scripted(['ok']);
    await iterate({ provider, tasks: ['a', 'b', 'c'], reward: () => 1, samples: 8, iterations: 1 });
    expect(provider.calls).toHaveLength(3 * 2);
    expect(provider.calls.every((call) => call.n === 8)).toBe(true);
  });

  it('fans out to one request per sample when the provider has no native n', async () => {
    const provider = scripted(['ok'], { capabilities: { nativeN: false } });
    await iterate({ provider, tasks: ['a'], reward: () => 1, samples: 4, iterations: 0 });
    expect(provider.calls.map((call) => call.n)).toEqual([1, 1, 1, 1]);
  });

  it('reports per-iteration statistics for train and held-out', async () => {
    const rewards = [1, 2, 3, 4];
    const provider = scripted((_request, { index }) => String(rewards[index]));
    const run = await iterate({
      provider,
      tasks: ['a'],
      evalTasks: ['held'],
      reward: (sample) => Number(sample.text),
      samples: 4,
      iterations: 0,
    });
    const stats = run.iterations[0]!.train;
    expect(stats).toMatchObject({ samples: 4, scored: 4, failed: 0, mean: 2.5, median: 2.5, min: 1, max: 4 });
    expect(stats.p10).toBeCloseTo(1.3);
    expect(stats.p90).toBeCloseTo(3.7);
    expect(stats.usage.requests).toBe(1);
    expect(stats.wallTimeMs).toBeGreaterThanOrEqual(0);
    expect(run.iterations[0]!.eval).toMatchObject({ samples: 4, mean: 2.5 });
    expect(run.best?.reward).toBe(4);
  });

  it('never selects held-out trajectories, and evaluates them with the same examples as training', async () => {
    // Held-out answers score far higher, so a leak into the kept set would show.
    const provider = scripted((request, { index }) => (lastUser(request) === 'held' ? 'H'.repeat(50) : 'x'.repeat(index + 1)));
    const run = await iterate({
      provider,
      tasks: ['a', 'b'],
      evalTasks: ['held'],
      reward: lengthReward,
      samples: 2,
      iterations: 3,
    });
    for (const iteration of run.iterations) {
      expect(iteration.kept.every((kept) => kept.split === 'train')).toBe(true);
      expect(iteration.eval?.mean).toBe(50);
      const evalPrompts = iteration.trajectories.filter((trajectory) => trajectory.split === 'eval');
      const trainPrompts = iteration.trajectories.filter((trajectory) => trajectory.split === 'train');
      expect(evalPrompts[0]!.prompt.slice(0, -1)).toEqual(trainPrompts[0]!.prompt.slice(0, -1));
    }
    expect(run.best?.split).toBe('train');
  });

  it('keeps the best ever under the elitist pool and only fresh samples under the fresh pool', async () => {
    // Iteration 0 produces the best answer; later iterations only worse ones.
    const provider = scripted((request) => (request.messages.length === 1 ? 'xxxxxx' : 'x'));
    const elitist = await iterate({ provider, tasks: ['a'], reward: lengthReward, samples: 2, iterations: 2, keep: 1 });
    expect(elitist.examples[0]?.text).toBe('xxxxxx');
    const fresh = await iterate({ provider, tasks: ['a'], reward: lengthReward, samples: 2, iterations: 2, keep: 1, pool: 'fresh' });
    expect(fresh.examples[0]?.text).toBe('x');
  });

  it('keeps a task own trajectories out of its prompt with excludeOwnTask', async () => {
    const provider = scripted((request) => `answer to ${lastUser(request)}`);
    const run = await iterate({
      provider,
      tasks: ['a', 'b'],
      reward: () => 1,
      samples: 1,
      iterations: 1,
      keep: 2,
      excludeOwnTask: true,
    });
    const iteration1 = run.iterations[1]!.trajectories;
    for (const trajectory of iteration1) {
      const shown = trajectory.prompt.slice(0, -1).map((message) => message.content);
      expect(shown).not.toContain(trajectory.task);
      expect(shown).toHaveLength(2);
    }
  });

  it('records request, parse and reward failures on the trajectory and goes on', async () => {
    let call = 0;
    const provider = fromFunction(async () => {
      call++;
      if (call === 1) throw new Error('connection reset');
      return call === 2 ? 'NaN please' : 'fine';
    });
    const run = await iterate({
      provider,
      tasks: ['a'],
      reward: (sample) => {
        if (sample.text === 'NaN please') return Number.NaN;
        return 1;
      },
      samples: 3,
      iterations: 0,
      concurrency: 1,
    });
    const [first, second, third] = run.trajectories;
    expect(first).toMatchObject({ ok: false, reward: null, failure: { stage: 'request', message: 'connection reset' } });
    expect(second).toMatchObject({ ok: false, failure: { stage: 'reward' } });
    expect(second?.ok === false && second.failure.message).toMatch(/NaN/);
    expect(third).toMatchObject({ ok: true, reward: 1 });
    expect(run.iterations[0]?.train.failed).toBe(2);
  });

  it('records a reward function that throws, with the reason', async () => {
    const run = await iterate({
      provider: scripted(['a']),
      tasks: ['t'],
      reward: () => {
        throw new Error('scorer bug');
      },
      samples: 2,
      iterations: 0,
      maxErrors: 5,
    });
    expect(run.trajectories.every((trajectory) => !trajectory.ok && trajectory.failure.stage === 'reward')).toBe(true);
    expect(run.trajectories[0]?.ok === false && run.trajectories[0].failure.message).toContain('scorer bug');
  });

  it('TooManyErrorsError carries the iterations completed before the stop', async () => {
    let call = 0;
    const provider = scripted(() => (++call > 2 ? new Error('quota exhausted') : 'ok'), { capabilities: { nativeN: false } });
    const error = await iterate({ provider, tasks: ['a'], reward: () => 1, samples: 2, iterations: 3, maxErrors: 1, concurrency: 1 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TooManyErrorsError);
    const [baseline] = (error as TooManyErrorsError).completedIterations as IterationResult<string>[];
    expect((error as TooManyErrorsError).completedIterations).toHaveLength(1);
    expect(baseline?.trajectories.map((trajectory) => trajectory.text)).toEqual(['ok', 'ok']);
  });

  it('stops with TooManyErrorsError once more than maxErrors samples failed', async () => {
    const provider = scripted([new Error('401 invalid key')], { capabilities: { nativeN: false } });
    const run = iterate({ provider, tasks: ['a', 'b', 'c'], reward: () => 1, samples: 4, iterations: 3, maxErrors: 2, concurrency: 1 });
    const error = await run.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TooManyErrorsError);
    expect((error as TooManyErrorsError).failures).toHaveLength(3);
    expect((error as TooManyErrorsError).message).toContain('401 invalid key');
    // The run stopped right after the third failure instead of making all 48 requests.
    expect(provider.calls.length).toBe(3);
  });

  it('an abort mid-iteration rejects with the signal reason and starts no new request', async () => {
    const controller = new AbortController();
    const reason = new Error('user pressed ctrl-c');
    const provider = scripted(['x'], { capabilities: { nativeN: false }, delayMs: 20 });
    const run = iterate({
      provider,
      tasks: Array.from({ length: 10 }, (_, i) => `t${i}`),
      reward: () => 1,
      samples: 4,
      iterations: 2,
      concurrency: 2,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'sample' && event.trajectory.index === 1 && event.trajectory.taskIndex === 0) controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    const callsAtAbort = provider.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(provider.calls.length).toBe(callsAtAbort);
    expect(callsAtAbort).toBeLessThan(40);
  });

  it('never exceeds the concurrency limit', async () => {
    const { provider, peak } = inFlightProbe(2, 'ok');
    await iterate({
      provider,
      tasks: Array.from({ length: 6 }, (_, i) => `t${i}`),
      evalTasks: ['e1', 'e2'],
      reward: () => 1,
      samples: 5,
      iterations: 1,
      concurrency: 3,
    });
    expect(peak()).toBe(3);
  });

  it('holds reward function calls to rewardConcurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const run = await iterate({
      provider: scripted(['ok']),
      tasks: ['a', 'b', 'c'],
      reward: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
        return 1;
      },
      samples: 8,
      iterations: 1,
      rewardConcurrency: 2,
    });
    expect(run.trajectories).toHaveLength(48);
    expect(peak).toBe(2);
  });

  it('starts no reward call still queued behind rewardConcurrency once the run is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    let started = 0;
    let startedAfterAbort = 0;
    const run = iterate({
      provider: scripted(['x']),
      tasks: ['a'],
      samples: 10,
      rewardConcurrency: 1,
      signal: controller.signal,
      reward: async () => {
        started++;
        if (controller.signal.aborted) startedAfterAbort++;
        if (started === 2) controller.abort(reason);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return 1;
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(started).toBe(2);
    expect(startedAfterAbort).toBe(0);
  });

  it('scores nothing a provider returns after an abort, with or without rewardConcurrency', async () => {
    for (const rewardConcurrency of [undefined, 2]) {
      const controller = new AbortController();
      let rewards = 0;
      // A user function that does not listen to the signal: its completions arrive after the abort.
      const provider = fromFunction(async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return 'x';
      });
      setTimeout(() => controller.abort(new Error('stop')), 5);
      const run = iterate({
        provider,
        tasks: ['a', 'b'],
        samples: 4,
        iterations: 0,
        signal: controller.signal,
        ...(rewardConcurrency === undefined ? {} : { rewardConcurrency }),
        reward: () => {
          rewards++;
          return 1;
        },
      });
      await expect(run).rejects.toThrow('stop');
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(rewards).toBe(0);
    }
  });

  it('the same seed gives identical results twice; another seed differs', async () => {
    const options = {
      tasks: ['aab', 'abb', 'bba'],
      evalTasks: ['aaa'],
      reward: (sample: { text: string }) => [...sample.text].filter((character) => character === 'a').length,
      samples: 4,
      iterations: 3,
    };
    const strip = (run: Awaited<ReturnType<typeof iterate<string>>>) =>
      JSON.stringify(
        run.trajectories.map(({ latencyMs: _latency, ...trajectory }) => trajectory),
      );
    const provider = () => inContextLearner({ alphabet: 'ab', minLength: 2, maxLength: 6 });
    const first = await iterate({ ...options, provider: provider(), seed: 42 });
    const second = await iterate({ ...options, provider: provider(), seed: 42 });
    const other = await iterate({ ...options, provider: provider(), seed: 43 });
    expect(strip(first)).toBe(strip(second));
    expect(strip(first)).not.toBe(strip(other));
  });

  it('streams iteration results with for await, then the awaited result holds them all', async () => {
    const run = iterate({ provider: scripted(['ok']), tasks: ['a'], reward: () => 1, samples: 1, iterations: 2 });
    const seen: number[] = [];
    for await (const iteration of run) seen.push(iteration.iteration);
    expect(seen).toEqual([0, 1, 2]);
    const result = await run;
    expect(result.iterations.map((iteration) => iteration.iteration)).toEqual([0, 1, 2]);
  });

  it('breaking out of for await stops the run: nothing after the iteration in flight', async () => {
    const provider = scripted(['ok'], { delayMs: 10 });
    const run = iterate({ provider, tasks: ['a'], reward: () => 1, samples: 1, iterations: 5 });
    for await (const iteration of run) {
      if (iteration.iteration === 1) break;
    }
    await expect(run).rejects.toThrow(/breaking out/);
    const calls = provider.calls.length;
    expect(calls).toBeLessThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(provider.calls.length).toBe(calls);
  });

  it('can be awaited and iterated at once: every consumer sees every iteration', async () => {
    const run = iterate({ provider: scripted(['ok'], { delayMs: 2 }), tasks: ['a'], reward: () => 1, samples: 1, iterations: 3 });
    const seen = async () => {
      const iterations: number[] = [];
      for await (const iteration of run) iterations.push(iteration.iteration);
      return iterations;
    };
    const [result, first, second] = await Promise.all([run, seen(), seen()]);
    expect(result.iterations).toHaveLength(4);
    expect(first).toEqual([0, 1, 2, 3]);
    expect(second).toEqual([0, 1, 2, 3]);
    expect(await seen()).toEqual([0, 1, 2, 3]);
  });

  it('emits run, iteration, sample and warning events in order', async () => {
    const events: RunEvent<string>[] = [];
    // A provider that claims native n but returns one completion: the loop tops up and warns once.
    const provider = {
      ...scripted(['ok']),
      async sample() {
        return { completions: [{ text: 'ok' }], usage: { requests: 1, inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 1, reasoningTokens: 0 }, costUsd: null };
      },
    };
    const run = await iterate({ provider, tasks: ['a', 'b'], reward: () => 1, samples: 3, iterations: 1, onEvent: (event) => events.push(event), concurrency: 1 });
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('run-start');
    expect(types.at(-1)).toBe('run-end');
    expect(types.filter((type) => type === 'sample')).toHaveLength(12);
    expect(types.filter((type) => type === 'warning')).toHaveLength(1);
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(run.costUsd).toBeNull();
  });

  it('names the iteration in both iteration events, in order', async () => {
    const events: RunEvent<string>[] = [];
    await iterate({ provider: scripted(['ok']), tasks: ['a'], reward: () => 1, samples: 1, iterations: 2, onEvent: (event) => events.push(event) });
    const iterationEvents = events.flatMap((event) =>
      event.type === 'iteration-start' || event.type === 'iteration-end' ? [[event.type, event.iteration] as const] : [],
    );
    expect(iterationEvents).toEqual([
      ['iteration-start', 0], ['iteration-end', 0],
      ['iteration-start', 1], ['iteration-end', 1],
      ['iteration-start', 2], ['iteration-end', 2],
    ]);
  });

  it('passes the task, iteration, index and a signal to the reward function', async () => {
    const contexts: { task: string; iteration: number; index: number; aborted: boolean }[] = [];
    await iterate({
      provider: scripted(['ok']),
      tasks: ['a'],
      reward: (_sample, context) => {
        contexts.push({ task: context.task, iteration: context.iteration, index: context.index, aborted: context.signal.aborted });
        return 1;
      },
      samples: 2,
      iterations: 1,
      select: topK(1),
    });
    expect(contexts).toEqual([
      { task: 'a', iteration: 0, index: 0, aborted: false },
      { task: 'a', iteration: 0, index: 1, aborted: false },
      { task: 'a', iteration: 1, index: 0, aborted: false },
      { task: 'a', iteration: 1, index: 1, aborted: false },
    ]);
  });
});

describe('Run as a promise', () => {
  it('supports catch and finally like a promise', async () => {
    let finished = false;
    const failed = iterate({ provider: scripted([new Error('down')]), tasks: ['a'], reward: () => 1, samples: 1, iterations: 0, maxErrors: 0 });
    const caught = await failed.catch((error: unknown) => (error as Error).name);
    expect(caught).toBe('TooManyErrorsError');
    const result = await iterate({ provider: scripted(['ok']), tasks: ['a'], reward: () => 1, samples: 1, iterations: 0 }).finally(() => {
      finished = true;
    });
    expect(finished).toBe(true);
    expect(result.iterations).toHaveLength(1);
  });
});

describe('a reward function that never returns a number', () => {
  it('is not a quiet run: each failure shows what was returned, and each iteration warns that nothing was scored', async () => {
    const events: RunEvent<string>[] = [];
    const run = await iterate({
      provider: scripted(['x']),
      tasks: ['t'],
      reward: () => 'abc' as unknown as number,
      samples: 2,
      iterations: 1,
      maxErrors: 10,
      onEvent: (event) => events.push(event),
    });
    const failure = run.trajectories[0];
    expect(failure?.ok === false && failure.failure.message).toBe(
      'The reward function returned string "abc"; return a finite number or { score: number, info }.',
    );
    const warnings = events.flatMap((event) => (event.type === 'warning' ? [event] : []));
    expect(warnings.map((warning) => warning.code)).toEqual(['nothing-scored', 'nothing-scored']);
    expect(warnings[0]?.message).toMatch(/No training sample of iteration 0 was scored: all 2 failed\. First failure \(reward\): The reward function returned string "abc"/);
  });

  it('names NaN and undefined as they are', async () => {
    for (const [value, shown] of [[Number.NaN, 'NaN'], [undefined, 'undefined'], [{ score: '1' }, '{ score: string "1" }']] as const) {
      const run = await iterate({ provider: scripted(['x']), tasks: ['t'], reward: () => value as unknown as number, samples: 1, iterations: 0 });
      const failure = run.trajectories[0];
      expect(failure?.ok === false && failure.failure.message).toBe(`The reward function returned ${shown}; return a finite number or { score: number, info }.`);
    }
  });
});

describe('a reward or rollout that never settles', () => {
  const never = () => new Promise<number>(() => {});

  it('fails its sample after rewardTimeout, saying so, and the run goes on', async () => {
    const run = await iterate({ provider: scripted(['x']), tasks: ['t'], reward: never, samples: 2, iterations: 0, rewardTimeout: 30 });
    expect(run.trajectories.map((trajectory) => !trajectory.ok && trajectory.failure.stage)).toEqual(['reward', 'reward']);
    const failure = run.trajectories[0];
    expect(failure?.ok === false && failure.failure.message).toBe('The reward function did not settle within 30 ms (`rewardTimeout`); it was abandoned.');
  });

  it('a rollout past rewardTimeout is a failed episode at the rollout stage', async () => {
    const run = await iterate({ provider: scripted(['x']), tasks: ['t'], rollout: never, samples: 1, iterations: 0, rewardTimeout: 30 });
    const failure = run.trajectories[0];
    expect(failure?.ok === false && [failure.failure.stage, failure.failure.message]).toEqual([
      'rollout',
      'The rollout did not settle within 30 ms (`rewardTimeout`); it was abandoned.',
    ]);
  });

  it('an abort ends the run at once even while rewards hang, with no rewardTimeout', async () => {
    const controller = new AbortController();
    const reason = new Error('stop now');
    const started = performance.now();
    const run = iterate({ provider: scripted(['x']), tasks: ['a', 'b'], reward: never, samples: 4, iterations: 3, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await expect(run).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('a prompt builder that throws for one task', () => {
  it('rejects the run with its error and leaves no promise unhandled', async () => {
    const failure = new Error('prompt builder failed');
    const prompt = (task: string) => {
      if (task === 'bad') throw failure;
      return [{ role: 'user' as const, content: task }];
    };
    // Vitest fails the file on an unhandled rejection, which the other tasks' promises once were.
    await expect(iterate({ provider: scripted(['x']), tasks: ['ok1', 'ok2', 'bad'], prompt, reward: () => 1, samples: 2, iterations: 0 })).rejects.toBe(failure);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
});
