import { describe, expect, it } from 'vitest';
import type { Provider, RunEvent, Warning } from 'pauper';
import { fromFunction, iterate, sample, scripted } from 'pauper';
import { createSamplerState } from '../../src/run/control.js';
import { inFlightProbe } from '../helpers.js';
import { createLimiter } from '../../src/run/limit.js';
import { sampleInRun, splitUsage } from '../../src/stages/sample.js';

const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
const usage = { requests: 1, inputTokens: 10, cachedInputTokens: 3, cacheWriteTokens: 0, outputTokens: 7, reasoningTokens: 1 };

/** A provider claiming native n that returns at most `limit` completions per request (like Ollama). */
function ignoresN(limit: number): Provider & { calls: number[] } {
  const calls: number[] = [];
  return {
    name: 'ollama-like',
    model: 'm',
    capabilities: { nativeN: true, temperature: true, seed: true, promptCaching: false, batch: false },
    calls,
    async sample(_request, { n }) {
      calls.push(n);
      const count = Math.min(n, limit);
      return { completions: Array.from({ length: count }, (_, i) => ({ text: `c${calls.length}-${i}` })), usage, costUsd: 0.01 };
    },
  };
}

describe('sample', () => {
  it('returns exactly n completions from one native-n request, splitting usage and cost', async () => {
    const provider = scripted(['a', 'b', 'c']);
    const completions = await sample(provider, request, { n: 3 });
    expect(provider.calls.map((call) => call.n)).toEqual([3]);
    expect(completions.map((completion) => completion.ok && completion.completion.text)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the whole cost and usage of a response that returned more completions than asked, on the ones kept', async () => {
    const provider: Provider = {
      ...ignoresN(8),
      async sample() {
        return { completions: ['x', 'y', 'z'].map((text) => ({ text })), usage, costUsd: 0.03 };
      },
    };
    const completions = await sample(provider, request, { n: 2 });
    expect(completions).toHaveLength(2);
    expect(completions.reduce((sum, completion) => sum + (completion.costUsd ?? 0), 0)).toBeCloseTo(0.03, 12);
    expect(completions.reduce((sum, completion) => sum + completion.usage.inputTokens, 0)).toBe(usage.inputTokens);
    const run = await iterate({ provider, tasks: ['t'], reward: () => 1, samples: 2, iterations: 0 });
    expect(run.costUsd).toBe(0.03);
    expect(run.usage.outputTokens).toBe(usage.outputTokens);
  });

  it('tops up by fan-out when a provider returns fewer than n, remembers it, and warns once', async () => {
    const provider = ignoresN(1);
    const state = createSamplerState();
    const warnings: string[] = [];
    const first = await sampleInRun(provider, request, { n: 4, state, onWarning: (warning) => warnings.push(warning.message) });
    expect(first).toHaveLength(4);
    expect(new Set(first.map((completion) => completion.ok && completion.completion.text)).size).toBe(4);
    expect(provider.calls).toEqual([4, 1, 1, 1]);
    await sampleInRun(provider, request, { n: 4, state, onWarning: (warning) => warnings.push(warning.message) });
    expect(provider.calls).toEqual([4, 1, 1, 1, 1, 1, 1, 1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('returned 1 of 4 completions');
  });

  it('turns a failed request into n failed entries, never fewer', async () => {
    const error = new Error('boom');
    const provider = scripted([error]);
    const completions = await sample(provider, request, { n: 3 });
    expect(completions).toHaveLength(3);
    expect(completions.every((completion) => !completion.ok && completion.error === error)).toBe(true);
  });

  it('marks completions missing from a single request as failed', async () => {
    const provider = { ...ignoresN(0), capabilities: { ...ignoresN(0).capabilities, nativeN: false } };
    const completions = await sample(provider, request, { n: 2 });
    expect(completions.map((completion) => completion.ok)).toEqual([false, false]);
  });

  it('gives each fan-out request its own seed', async () => {
    const seeds: (number | undefined)[] = [];
    const provider = fromFunction((sent) => {
      seeds.push(sent.seed);
      return 'x';
    });
    await sample(provider, request, { n: 4, seed: 9 });
    expect(new Set(seeds).size).toBe(4);
  });

  it('rejects with the signal reason and sends nothing once aborted', async () => {
    const provider = scripted(['a']);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(sample(provider, request, { n: 2, signal: controller.signal })).rejects.toThrow('stop');
    expect(provider.calls).toHaveLength(0);
  });

  it('holds requests to the limiter', async () => {
    const { provider, peak } = inFlightProbe(5);
    await sampleInRun(provider, request, { n: 10, limit: createLimiter(2) });
    expect(peak()).toBe(2);
  });
});

describe('splitUsage', () => {
  it('splits into shares that add up to the whole', () => {
    const shares = splitUsage(usage, 3);
    expect(shares.reduce((sum, share) => sum + share.inputTokens, 0)).toBe(10);
    expect(shares.reduce((sum, share) => sum + share.outputTokens, 0)).toBe(7);
    expect(shares.map((share) => share.inputTokens)).toEqual([4, 3, 3]);
  });

  it('makes one object per run of equal shares: a new one only where a field\'s remainder runs out', () => {
    const whole = { requests: 1, inputTokens: 1000 * 64 + 40, cachedInputTokens: 64 * 3 + 10, cacheWriteTokens: 0, outputTokens: 7 * 64 + 63, reasoningTokens: 5 };
    const shares = splitUsage(whole, 64);
    expect(shares).toHaveLength(64);
    for (const field of Object.keys(whole) as (keyof typeof whole)[]) {
      expect(shares.reduce((sum, share) => sum + share[field], 0)).toBe(whole[field]);
      // The remainder goes to the first shares, one each.
      expect(shares.map((share) => share[field])).toEqual(shares.map((_, i) => Math.floor(whole[field] / 64) + (i < whole[field] % 64 ? 1 : 0)));
    }
    // Remainders 1 (requests), 5, 10, 40 and 63: shares change at 0, 1, 5, 10, 40 and 63, and after 63 all are the floor.
    expect(new Set(shares).size).toBe(6);
  });
});

describe('warnings', () => {
  it('are objects with a stable code: n-ignored, then short-response for a one-off short answer', async () => {
    const seen: Warning[] = [];
    await sample(ignoresN(1), request, { n: 3, onWarning: (warning) => seen.push(warning) });
    await sample(ignoresN(2), request, { n: 3, onWarning: (warning) => seen.push(warning) });
    expect(seen.map((warning) => warning.code)).toEqual(['n-ignored', 'short-response']);
    expect(seen[0]?.message).toMatch(/ollama-like returned 1 of 3 completions/);
  });

  it('reach run events with their code', async () => {
    const events: RunEvent<string>[] = [];
    await iterate({ provider: ignoresN(1), tasks: ['t'], reward: () => 1, samples: 3, iterations: 0, onEvent: (event) => events.push(event) });
    expect(events.filter((event) => event.type === 'warning').map((event) => event.type === 'warning' && event.code)).toEqual(['n-ignored']);
  });
});

describe('a model with no price', () => {
  it('is said once per run, with the nearest priced model, never a silent null cost', async () => {
    const provider: Provider = {
      name: 'openai',
      model: 'gpt-4.1-mimi',
      capabilities: { nativeN: true, temperature: true, seed: true, promptCaching: false, batch: false },
      prices: { 'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, cacheWrite: 0.4, output: 1.6 } },
      async sample(_request, { n }) {
        return { completions: Array.from({ length: n }, () => ({ text: 'x' })), usage, costUsd: null };
      },
    };
    const events: RunEvent<string>[] = [];
    const run = await iterate({ provider, tasks: ['a', 'b'], reward: () => 1, samples: 2, iterations: 2, onEvent: (event) => events.push(event) });
    expect(run.costUsd).toBeNull();
    const warnings = events.flatMap((event) => (event.type === 'warning' ? [event] : []));
    expect(warnings.map((warning) => warning.code)).toEqual(['price-unknown']);
    expect(warnings[0]?.message).toMatch(/no price for model "gpt-4\.1-mimi" \(the nearest priced model is "gpt-4\.1-mini"\)/);
  });
});
