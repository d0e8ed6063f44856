import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iterate, scripted } from 'pauper';

// An iteration past ~120,000 samples once overflowed the stack summing usage with a spread
// call, after every request was paid; resuming its journal crashed the same way.
describe('an iteration of 200,000 samples', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pauper-scale-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('completes, and its journal resumes without a request', { timeout: 120_000 }, async () => {
    const journal = join(directory, 'scale.jsonl');
    const options = {
      tasks: Array.from({ length: 200 }, (_, index) => `t${index}`),
      reward: () => 1,
      samples: 1000,
      iterations: 0,
      concurrency: 64,
      journal,
    };
    const run = await iterate({ ...options, provider: scripted(() => 'ok') });
    expect(run.trajectories).toHaveLength(200_000);
    expect(run.iterations[0]?.train.scored).toBe(200_000);
    expect(run.usage.requests).toBe(200);

    const again = scripted(() => 'ok');
    const resumed = await iterate({ ...options, provider: again, resume: true });
    expect(again.calls).toHaveLength(0);
    expect(resumed.resumed?.restored).toBe(200_000);
    expect(resumed.iterations[0]?.train).toEqual({ ...run.iterations[0]?.train, wallTimeMs: resumed.iterations[0]?.train.wallTimeMs });
  });
});
