import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inFlightProbe } from '../helpers.js';
import { bestOfN, ConfigError, evaluate, fromFunction, iterate, JournalMismatchError, memoryCache, readJournal } from 'pauper';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-blocks-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A function provider answering with the request's seed, counting its calls; `onCall` sees each call's number. */
function counting(onCall: (call: number) => void = () => {}) {
  const provider = fromFunction((request) => {
    provider.calls++;
    onCall(provider.calls);
    return `s${request.seed}`;
  }) as ReturnType<typeof fromFunction> & { calls: number };
  provider.calls = 0;
  return provider;
}

const reward = (sample: { text: string }) => sample.text.length;

describe('evaluate and bestOfN on the run machinery', () => {
  it('evaluate journals every sample and a resumed call requests only what the journal lacks', async () => {
    const journal = join(directory, 'eval.jsonl');
    const options = { tasks: ['a', 'b'], reward, samples: 4, concurrency: 1, journal } as const;
    const whole = await evaluate({ ...options, provider: counting(), journal: join(directory, 'whole.jsonl') });

    const controller = new AbortController();
    const cut = counting((call) => {
      if (call === 3) controller.abort(new Error('killed'));
    });
    await expect(evaluate({ ...options, provider: cut, signal: controller.signal })).rejects.toThrow('killed');
    // Completions are journaled as their requests return, before scoring.
    const journaled = (await readJournal(journal)).completions.size;
    expect(journaled).toBeGreaterThan(0);

    const again = counting();
    const resumed = await evaluate({ ...options, provider: again, resume: true });
    expect(again.calls).toBe(8 - journaled);
    expect(resumed.resumed?.restored).toBe(journaled);
    expect(resumed.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward])).toEqual(
      whole.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward]),
    );
  });

  it('a journal is resumed only with the same options, and never as another entry point', async () => {
    const journal = join(directory, 'eval.jsonl');
    await evaluate({ provider: counting(), tasks: ['a'], reward, samples: 2, journal });
    await expect(evaluate({ provider: counting(), tasks: ['a'], reward, samples: 3, journal, resume: true })).rejects.toThrow(
      JournalMismatchError,
    );
    await expect(evaluate({ provider: counting(), tasks: ['a'], reward, samples: 2, journal })).rejects.toThrow(ConfigError);
    await expect(iterate({ provider: counting(), tasks: ['a'], reward, samples: 2, journal, resume: true })).rejects.toThrow(/entry/);
  });

  it('bestOfN stops at the budget, keeping what it paid for, and says why', async () => {
    const provider = counting();
    const result = await bestOfN({ provider, task: 't', reward, samples: 8, concurrency: 1, budget: { maxSamples: 3 } });
    expect(provider.calls).toBe(3);
    expect(result.trajectories).toHaveLength(3);
    expect(result.stopped?.reason).toBe('maxSamples');
  });

  it('evaluate holds every request to its concurrency limit', async () => {
    const { provider, peak } = inFlightProbe(5);
    await evaluate({ provider, tasks: ['a', 'b', 'c'], reward, samples: 4, concurrency: 2 });
    expect(peak()).toBe(2);
  });

  it('bestOfN answers a repeated call from the response cache without a request', async () => {
    const cache = memoryCache();
    const first = counting();
    const a = await bestOfN({ provider: first, task: 't', reward, samples: 3, cache });
    const second = counting();
    const b = await bestOfN({ provider: second, task: 't', reward, samples: 3, cache, replay: true });
    expect(first.calls).toBe(3);
    expect(second.calls).toBe(0);
    expect(b.trajectories.map((trajectory) => trajectory.text)).toEqual(a.trajectories.map((trajectory) => trajectory.text));
  });
});

describe('a resumed evaluate whose prompts changed', () => {
  it('samples them again, saying so, once the changed prompt builder is accepted', async () => {
    const journal = join(directory, 'eval.jsonl');
    const options = { tasks: ['a'], reward, samples: 2, iteration: 1, journal } as const;
    await evaluate({ ...options, provider: counting() });
    const warnings: string[] = [];
    const again = counting();
    const render = (task: string) => `Task: ${task}`;
    await expect(evaluate({ ...options, provider: again, resume: true, render })).rejects.toThrow(/acceptChanged: \['render'\]/);
    await evaluate({ ...options, provider: again, resume: { acceptChanged: ['render'] }, render, onEvent: (event) => event.type === 'warning' && warnings.push(event.code) });
    expect(again.calls).toBe(2);
    expect(warnings).toEqual(['resume-diverged']);
  });
});
