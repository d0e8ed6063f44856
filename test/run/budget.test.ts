import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IterateOptions, Provider, RunEvent, ScriptedProvider } from 'pauper';
import { ConfigError, estimate, fromFunction, iterate, readJournal, scripted } from 'pauper';
import { costOf } from '../../src/core/pricing.js';
import { zeroUsage } from '../../src/core/usage.js';
import { createBudgetGate, type GateTicket } from '../../src/run/budget.js';
import { canonical } from '../fixtures/canonical.js';

/** A scripted provider priced as gpt-4.1-mini, with replies of `length` characters. */
function priced(length = 200, options: { nativeN?: boolean } = {}): ScriptedProvider {
  const inner = scripted((request, { index }) => `${'x'.repeat(length - 8)}:${String((request.seed ?? 0) % 97).padStart(3, '0')}:${index}`, {
    model: 'gpt-4.1-mini',
    capabilities: { nativeN: options.nativeN ?? true },
  });
  return {
    ...inner,
    name: 'priced',
    calls: inner.calls,
    async sample(request, sampleOptions) {
      const response = await inner.sample(request, sampleOptions);
      return { ...response, costUsd: costOf('gpt-4.1-mini', response.usage) };
    },
  };
}

const reward = (sample: { text: string }): number => Number(sample.text.split(':')[1]);

function options(provider: Provider, extra: Partial<IterateOptions<string>> = {}): IterateOptions<string> {
  return { provider, tasks: ['a'.repeat(400), 'b'.repeat(400), 'c'.repeat(400)], reward, samples: 4, iterations: 5, maxOutputTokens: 100, ...extra };
}

describe('budgets', () => {
  it('maxSamples: starts no request that would cross it, and ends early with the samples paid for', async () => {
    const provider = priced();
    const warnings: string[] = [];
    const onEvent = (event: RunEvent<string>) => {
      if (event.type === 'warning') warnings.push(event.message);
    };
    const run = await iterate(options(provider, { budget: { maxSamples: 30 }, onEvent }));
    expect(warnings).toEqual([expect.stringMatching(/^The run ends early: budget\.maxSamples/)]);
    // Native n: 4 samples a request; the 8th request (32 samples) would cross 30.
    expect(provider.calls).toHaveLength(7);
    expect(run.trajectories).toHaveLength(28);
    expect(run.stopped).toMatchObject({ reason: 'maxSamples', iteration: 2 });
    expect(run.stopped?.message).toMatch(/budget\.maxSamples \(30\)/);
    expect(run.iterations.map((iteration) => iteration.train.samples)).toEqual([12, 12, 4]);
    // The partial iteration still selects: what was paid for can become an example.
    expect(run.examples.length).toBeGreaterThan(0);
  });

  it('maxCostUsd: the run never costs more than the budget, and spends most of it', async () => {
    for (const maxCostUsd of [0.01, 0.03]) {
      const provider = priced();
      const run = await iterate(options(provider, { budget: { maxCostUsd }, iterations: 20, concurrency: 2 }));
      expect(run.stopped?.reason).toBe('maxCostUsd');
      expect(run.costUsd).not.toBeNull();
      expect(run.costUsd!).toBeLessThanOrEqual(maxCostUsd);
      // A request's worst case is under a tenth of these budgets: little is left unspent.
      expect(run.costUsd!).toBeGreaterThan(maxCostUsd * 0.8);
    }
  });

  it('maxTokens: the run never uses more tokens than the budget', async () => {
    const provider = priced(120, { nativeN: false });
    const run = await iterate(options(provider, { budget: { maxTokens: 5000 }, iterations: 20 }));
    expect(run.stopped?.reason).toBe('maxTokens');
    const tokens = run.usage.inputTokens + run.usage.outputTokens;
    expect(tokens).toBeLessThanOrEqual(5000);
    expect(tokens).toBeGreaterThan(5000 * 0.6);
  });

  it('a live request that fits once the requests in flight settle waits for them; a batch entry is refused at once', async () => {
    const gate = createBudgetGate({ maxTokens: 1000 }, { model: 'gpt-4.1-mini', completionTokens: 100, prices: undefined })!;
    const request = { messages: [{ role: 'user' as const, content: 'x'.repeat(192) }] };
    // Each worst case: 200 prompt tokens (192 bytes + 8 of framing) + 100 completion tokens = 300.
    const first = gate.admitLive(request, 1);
    const second = gate.admitLive(request, 1);
    const third = gate.admitLive(request, 1);
    expect([first, second, third].some((ticket) => ticket instanceof Promise)).toBe(false);
    // 900 reserved: a fourth (300 more) could cross 1,000 only with what is in flight.
    const fourth = gate.admitLive(request, 1);
    expect(fourth).toBeInstanceOf(Promise);
    expect(gate.admit(request, 1)).toBeUndefined();
    expect(gate.exhausted?.budget).toBe('maxTokens');
    // The batch entry's refusal ends the run's admissions: a second gate shows the live request's way alone.
    const live = createBudgetGate({ maxTokens: 1000 }, { model: 'gpt-4.1-mini', completionTokens: 100, prices: undefined })!;
    const tickets = [live.admitLive(request, 1), live.admitLive(request, 1), live.admitLive(request, 1)] as GateTicket[];
    const waiting = live.admitLive(request, 1) as Promise<GateTicket | undefined>;
    let admitted: GateTicket | undefined;
    void waiting.then((ticket) => (admitted = ticket));
    // The first request used 60 tokens of its 300: the waiting one fits (60 spent + 600 in flight + its own, now 163 at the
    // density learned from that response: 1.25 × 50 tokens / 200 bytes).
    tickets[0]!.settle({ ...zeroUsage, requests: 1, inputTokens: 50, outputTokens: 10 }, null, 1);
    await Promise.resolve();
    expect(admitted).toBeDefined();
    expect(live.exhausted).toBeUndefined();
    // 910 spent + 163 crosses 1,000 whatever settles: refused, not waiting, though two requests are in flight.
    tickets[1]!.settle({ ...zeroUsage, requests: 1, inputTokens: 50, outputTokens: 800 }, null, 1);
    expect(live.admitLive(request, 1)).toBeUndefined();
    expect(live.exhausted?.budget).toBe('maxTokens');
  });

  it('counts each turn of an episode, and keeps an episode the budget cut short as a failed sample', async () => {
    const provider = scripted(['move'], { model: 'gpt-4.1-mini' });
    const run = await iterate({
      provider,
      tasks: ['maze'],
      rollout: async ({ act }) => {
        for (let turn = 0; turn < 3; turn++) await act(`turn ${turn}`);
        return 1;
      },
      samples: 2,
      iterations: 3,
      concurrency: 1,
      budget: { maxSamples: 7 },
    });
    expect(provider.calls).toHaveLength(7);
    expect(run.stopped?.reason).toBe('maxSamples');
    // Two whole episodes, then one cut after its first turn; the next one never started.
    expect(run.trajectories.map((trajectory) => [trajectory.ok, trajectory.steps.length])).toEqual([
      [true, 3],
      [true, 3],
      [false, 1],
    ]);
    const cut = run.trajectories[2]!;
    expect(!cut.ok && cut.failure.stage).toBe('request');
    expect(cut.usage.requests).toBe(1);
  });

  it('a budget that admits nothing in an iteration does not add an empty iteration', async () => {
    const provider = priced();
    const run = await iterate(options(provider, { budget: { maxSamples: 12 } }));
    expect(run.iterations).toHaveLength(1);
    expect(run.stopped).toMatchObject({ reason: 'maxSamples', iteration: 1 });
  });

  it('counts samples restored from a journal, so a resumed run stops where the uninterrupted one did', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'pauper-budget-')), 'run.jsonl');
    const reference = await iterate(options(priced(), { budget: { maxSamples: 30 } }));
    await iterate(options(priced(), { budget: { maxSamples: 30 }, journal: path }));
    const provider = priced();
    const resumed = await iterate(options(provider, { budget: { maxSamples: 30 }, journal: path, resume: true }));
    expect(provider.calls).toHaveLength(0);
    const { stopped: stoppedResumed, ...restResumed } = canonical(resumed) as Record<string, unknown>;
    const { stopped: stoppedReference, ...restReference } = canonical(reference) as Record<string, unknown>;
    expect(restResumed).toEqual(restReference);
    expect(stoppedResumed).toEqual(stoppedReference);
    expect((await readJournal(path)).end?.stopped).toMatchObject({ reason: 'maxSamples', iteration: 2 });
  });

  it('counts each turn of a restored episode, so a resumed episode run stops where the uninterrupted one did', async () => {
    // Replies depend on the request only, so a resumed run gets what the uninterrupted one got.
    const provider = () => scripted((request) => `${request.messages.length}:${(request.seed ?? 0) % 97}`);
    const episodes = (extra: Partial<IterateOptions<string>> = {}): IterateOptions<string> => ({
      provider: provider(),
      tasks: ['a', 'b'],
      rollout: async ({ act }) => {
        let score = 0;
        for (let turn = 0; turn < 3; turn++) score += Number((await act(`turn ${turn}`)).split(':')[1]);
        return score;
      },
      samples: 2,
      iterations: 3,
      concurrency: 1,
      budget: { maxSamples: 30 },
      ...extra,
    });
    const straight = provider();
    const reference = await iterate(episodes({ provider: straight }));
    // 12 turns an iteration: the third iteration has room for 6 of them.
    expect(straight.calls).toHaveLength(30);
    expect(reference.stopped).toMatchObject({ reason: 'maxSamples', iteration: 2 });

    const path = join(await mkdtemp(join(tmpdir(), 'pauper-budget-')), 'episodes.jsonl');
    const crashed = provider();
    await iterate(episodes({ provider: crashed, iterations: 1, journal: path }));
    const resumedProvider = provider();
    const resumed = await iterate(episodes({ provider: resumedProvider, journal: path, resume: true }));
    expect(resumed.resumed?.restored).toBe(8);
    expect(crashed.calls.length + resumedProvider.calls.length).toBe(30);
    expect(canonical(resumed)).toEqual(canonical(reference));
  });

  it('ends normally when the budget cuts episodes short, however many it cuts and however the rollout passes the refusal on', async () => {
    for (const wrap of [false, true]) {
      const run = await iterate({
        provider: scripted(['R'], { capabilities: { nativeN: false } }),
        tasks: ['t0', 't1', 't2', 't3'],
        rollout: async ({ act }) => {
          for (let turn = 0; turn < 3; turn++) {
            await act(`turn ${turn}`).catch((error: unknown) => {
              throw wrap ? new Error('episode aborted', { cause: error }) : error;
            });
          }
          return 3;
        },
        samples: 8,
        iterations: 3,
        concurrency: 32,
        maxErrors: 0,
        budget: { maxSamples: 40 },
      });
      expect(run.stopped?.reason).toBe('maxSamples');
      const cut = run.trajectories.filter((trajectory) => !trajectory.ok);
      expect(cut.length).toBeGreaterThan(0);
      for (const trajectory of cut) expect(trajectory.failure.stage).toBe('request');
    }
  });

  it("records the rollout's own error, and counts it, when a rollout caught the budget's refusal and then failed otherwise", async () => {
    const run = iterate({
      provider: scripted(['R'], { capabilities: { nativeN: false } }),
      tasks: ['t0'],
      rollout: async ({ act }) => {
        const replies: (string | undefined)[] = [];
        for (let turn = 0; turn < 3; turn++) replies.push(await act(`turn ${turn}`).catch(() => undefined));
        return replies.map((reply) => reply!.length).reduce((sum, length) => sum + length, 0);
      },
      samples: 4,
      iterations: 0,
      concurrency: 1,
      maxErrors: 0,
      budget: { maxSamples: 6 },
    });
    await expect(run).rejects.toThrow(/rollout: Cannot read properties of undefined/);
  });

  it('charges restored samples before a resumed task requests anything, so a resumed run never exceeds the budget', async () => {

    const path = join(await mkdtemp(join(tmpdir(), 'pauper-budget-')), 'retry.jsonl');
    // The fourth sample's request fails on the first run: resuming requests it again.
    let calls = 0;
    const flaky = scripted(() => (++calls === 4 ? new Error('503 overloaded') : 'ok'), { capabilities: { nativeN: false } });
    const first = await iterate({ provider: flaky, tasks: ['t'], reward: () => 1, samples: 4, iterations: 0, concurrency: 1, journal: path });
    expect(first.trajectories.filter((trajectory) => !trajectory.ok)).toHaveLength(1);

    const provider = scripted(['ok'], { capabilities: { nativeN: false } });
    const resumed = await iterate({
      provider,
      tasks: ['t'],
      reward: () => 1,
      samples: 4,
      iterations: 0,
      journal: path,
      resume: true,
      budget: { maxSamples: 3 },
    });
    expect(resumed.resumed?.restored).toBe(3);
    expect(provider.calls).toHaveLength(0);
    expect(resumed.stopped?.reason).toBe('maxSamples');
  });

  it('charges a short native-n response for the completions it returned, so top-ups fit the budget', async () => {
    // One choice per request whatever `n` asks, like Ollama.
    const inner = scripted(['x']);
    const ignoresN: ScriptedProvider = { ...inner, calls: inner.calls, sample: (request, sampleOptions) => inner.sample(request, { ...sampleOptions, n: 1 }) };
    const run = await iterate({
      provider: ignoresN,
      tasks: ['a', 'b'],
      reward: () => 1,
      samples: 4,
      iterations: 0,
      concurrency: 1,
      budget: { maxSamples: 8 },
    });
    expect(run.trajectories.filter((trajectory) => trajectory.ok)).toHaveLength(8);
    expect(inner.calls).toHaveLength(8);
    expect(run.stopped).toBeUndefined();
  });

  it('continues a budget-stopped run when resumed with a larger budget', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'pauper-budget-')), 'raise.jsonl');
    const stopped = await iterate(options(priced(), { budget: { maxSamples: 30 }, journal: path }));
    expect(stopped.stopped?.reason).toBe('maxSamples');
    const provider = priced();
    const raised = await iterate(options(provider, { budget: { maxSamples: 1000 }, journal: path, resume: true }));
    expect(raised.stopped).toBeUndefined();
    expect(raised.resumed?.restored).toBe(28);
    expect(provider.calls).toHaveLength(6 * 3 - 7);
    expect(canonical(raised)).toEqual(canonical(await iterate(options(priced()))));
  });

  it('rejects bad budgets up front, naming the option', async () => {
    const provider = priced();
    const configError = async (extra: Partial<IterateOptions<string>>) => {
      try {
        await iterate(options(provider, { iterations: 0, ...extra }));
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).option;
      }
      return undefined;
    };
    expect(await configError({ budget: { maxCostUsd: -1 } })).toBe('budget.maxCostUsd');
    expect(await configError({ budget: { maxSamples: 2.5 } })).toBe('budget.maxSamples');
    expect(await configError({ budget: { maxTokens: 0 } })).toBe('budget.maxTokens');
    expect(await configError({ budget: { maxCostUsd: 1 }, maxOutputTokens: undefined as unknown as number })).toBe('maxOutputTokens');
    expect(await configError({ budget: { maxCostUsd: 1 }, provider: scripted(['x'], { model: 'my-own-model' }) })).toBe('provider.prices');
    // Prices are given once, to the provider: its table bounds the budget too.
    expect(
      await configError({
        budget: { maxCostUsd: 1 },
        provider: scripted(['x'], { model: 'my-own-model', prices: { 'my-own-model': { input: 1, cachedInput: 0.5, cacheWrite: 1, output: 2 } } }),
      }),
    ).toBeUndefined();
    expect(await configError({ targetReward: Number.NaN })).toBe('targetReward');
    expect(await configError({ patience: 0 })).toBe('patience');
  });
});

describe('early stopping', () => {
  /** The reward is the iteration's number of examples in the prompt: it rises by `keep` per iteration, then levels off. */
  const rising = (keep: number, cap: number): Partial<IterateOptions<string>> => ({
    provider: scripted((request) => String(Math.min(cap, request.messages.length - 1))),
    reward: (sample) => Number(sample.text),
    keep,
  });

  it('targetReward: stops after the first iteration whose training mean reaches it', async () => {
    const run = await iterate(options(priced(), { ...rising(2, 100), targetReward: 8, iterations: 10 }));
    // Prompts carry 0 folded turns, then 4 (two examples of two turns) for good: the mean never reaches 8.
    expect(run.iterations.map((iteration) => iteration.train.mean)).toEqual([0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    expect(run.stopped).toBeUndefined();
    const reaching = await iterate(options(priced(), { ...rising(2, 100), targetReward: 4, iterations: 10 }));
    expect(reaching.stopped).toMatchObject({ reason: 'targetReward', iteration: 1 });
    expect(reaching.iterations).toHaveLength(2);
  });

  it('patience: stops after that many iterations without a better training mean', async () => {
    const run = await iterate(options(priced(), { ...rising(2, 100), patience: 2, iterations: 10 }));
    // Means: 0, 4, then 4 again twice: no improvement for 2 iterations.
    expect(run.iterations.map((iteration) => iteration.train.mean)).toEqual([0, 4, 4, 4]);
    expect(run.stopped).toMatchObject({ reason: 'patience', iteration: 3 });
  });
});

describe('a provider billed per call (fromFunction costPerCall)', () => {
  const perCall = (calls: { count: number }) =>
    fromFunction(
      () => {
        calls.count++;
        return 'answer';
      },
      { costPerCall: 0.01 },
    );
  const perCallOptions = (provider: Provider): IterateOptions<string> => ({ provider, tasks: ['a', 'b'], reward: () => 1, samples: 2, iterations: 5, concurrency: 1 });

  it('maxCostUsd counts costPerCall: the run stops before crossing it, and costs calls × costPerCall', async () => {
    const calls = { count: 0 };
    const run = await iterate({ ...perCallOptions(perCall(calls)), budget: { maxCostUsd: 0.045 } });
    expect(run.stopped?.reason).toBe('maxCostUsd');
    expect(calls.count).toBe(4);
    expect(run.costUsd).toBe(0.04);
  });

  it('estimate() prices the planned run at completions × costPerCall, and sees the budget it crosses', () => {
    const planned = estimate({ ...perCallOptions(perCall({ count: 0 })), budget: { maxCostUsd: 0.045 } });
    expect(planned.costUsd).toEqual({ low: 0.24, high: 0.24 });
    expect(planned.overBudget).toEqual(['maxCostUsd']);
  });

  it('a costPerCall that is not a number >= 0 is a ConfigError', () => {
    expect(() => fromFunction(() => 'x', { costPerCall: -1 })).toThrow(ConfigError);
    expect(() => fromFunction(() => 'x', { costPerCall: '0.1' as never })).toThrow(/`costPerCall`/);
  });
});
