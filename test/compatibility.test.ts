import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v010Options, v010Provider } from './fixtures/v010-run.js';
import { iterate, readJournal } from 'pauper';
import { requestSeed } from '../src/stages/plan.js';
import { cacheKey } from '../src/run/response-cache.js';

// What earlier releases wrote must keep working: these values were computed by pauper 0.1.0
// (commit 32c01f0) and are pinned here, so a refactor that drifts from them fails.

describe('compatibility with what 0.1.0 wrote', () => {
  it('cache keys are unchanged, so existing caches still hit', () => {
    expect(
      cacheKey({ provider: 'openai', model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'maze A' }], temperature: 0.7, maxOutputTokens: 64, seed: 7, iteration: 2, index: 3 }),
    ).toBe('7cc9e9f472e0089a990e8554c993766f5beedb3b56002f689ffed43afa8e9d3c');
    expect(
      cacheKey({ provider: 'scripted', model: 'scripted', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 't' }], temperature: undefined, maxOutputTokens: undefined, seed: 0, iteration: 0, index: 0 }),
    ).toBe('b9421013b31dd1e2d0130445492911d30c43d9af5edaf251496706ca09156d23');
  });

  it('request seeds are unchanged, so resumed runs and caches see the same samples', () => {
    expect([0, 1, 2, 7].map((index) => requestSeed(7, index))).toEqual([7, 4050939660, 1985418127, 1270748697]);
    expect([0, 1, 5].map((index) => requestSeed(123456789, index))).toEqual([123456789, 1698449117, 2216674174]);
  });

  describe('a journal 0.1.0 wrote', () => {
    let directory: string;
    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'pauper-compat-'));
    });
    afterAll(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('is read, and resumed with every sample restored and no request', async () => {
      const journal = join(directory, 'v0.1.0.jsonl');
      await copyFile(fileURLToPath(new URL('./fixtures/journals/v0.1.0.jsonl', import.meta.url)), journal);
      const read = await readJournal(journal);
      expect(read.samples.size).toBe(18);

      const provider = v010Provider();
      const run = await iterate(v010Options(provider, journal));
      expect(provider.calls).toHaveLength(0);
      expect(run.resumed?.restored).toBe(18);
      // What 0.1.0 printed for this run: every reward, and the kept set.
      expect(run.trajectories.map((trajectory) => trajectory.reward).join(',')).toBe('4,4,4,4,4,4,5,5,5,5,5,5,5,5,5,5,5,5');
      expect(run.examples.map((example) => example.id)).toEqual(['train/1/0/0', 'train/1/0/1']);
    });
  });
});
