import { describe, expect, it } from 'vitest';
import { planRequests, requestSeed, topUp } from '../../src/stages/plan.js';

describe('the request planner', () => {
  it('asks a native-n provider for all N samples in one request, with the task seed', () => {
    expect(planRequests({ n: 4, seed: 9, nativeN: true })).toEqual([{ indices: [0, 1, 2, 3], seed: 9 }]);
  });

  it('plans one request per sample without native n, each with the seed rule', () => {
    expect(planRequests({ n: 3, seed: 9, nativeN: false })).toEqual([0, 1, 2].map((index) => ({ indices: [index], seed: requestSeed(9, index) })));
  });

  it('requests only the samples not at hand, one each, even with native n', () => {
    expect(planRequests({ n: 4, seed: 9, nativeN: true, skip: new Set([0, 2]) })).toEqual([
      { indices: [1], seed: requestSeed(9, 1) },
      { indices: [3], seed: requestSeed(9, 3) },
    ]);
    expect(planRequests({ n: 2, seed: 9, nativeN: true, skip: new Set([0, 1]) })).toEqual([]);
  });

  it('gives sample 0 the task seed itself, so a server ignoring n made the same first sample fan-out would', () => {
    expect(requestSeed(9, 0)).toBe(9);
    expect(planRequests({ n: 1, seed: 9, nativeN: true })).toEqual([{ indices: [0], seed: 9 }]);
  });

  it('tops up a short answer one request each; one choice for several means the server ignores n', () => {
    const planned = { indices: [0, 1, 2, 3], seed: 9 };
    const ignored = topUp(planned, 1, 9, 'ollama');
    expect(ignored.ignoresN).toBe(true);
    expect(ignored.requests).toEqual([1, 2, 3].map((index) => ({ indices: [index], seed: requestSeed(9, index) })));
    expect(ignored.warning.code).toBe('n-ignored');
    const short = topUp(planned, 3, 9, 'vllm');
    expect(short.ignoresN).toBe(false);
    expect(short.requests).toEqual([{ indices: [3], seed: requestSeed(9, 3) }]);
    expect(short.warning).toEqual({ code: 'short-response', message: 'vllm returned 3 of 4 completions for one request; fetched the rest one request each.' });
  });
});
