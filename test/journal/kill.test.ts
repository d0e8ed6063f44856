import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killedAt, killLeftovers } from '../children.js';
import { createRng, iterate, randomInt } from 'pauper';
import { hash32 } from '../../src/core/random.js';
import { canonical } from '../fixtures/canonical.js';
import { announcing, concurrency, killRunOptions } from '../fixtures/kill-run.js';

// A child left running by a test that timed out is killed when the file ends.
afterAll(killLeftovers);

const child = fileURLToPath(new URL('../fixtures/kill-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const REQUESTS = 6 * 4 * 3;
const TRIALS = 8;

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-kill-'));
});

/** Runs the child on `journal` and SIGKILLs it as its `killAt`-th answer is announced; resolves with the requests it announced. */
async function killedRun(journal: string, killAt: number): Promise<Set<string>> {
  const answered = new Set<string>();
  await killedAt(child, [journal], root, (line) => answered.add(line).size === killAt);
  return answered;
}

describe('kill -9 as answers arrive', () => {
  it(`repeats at most the ${concurrency} requests in flight after resume, over ${TRIALS} seeded kill points`, { timeout: 60_000 }, async () => {
    const reference = canonical(await iterate(killRunOptions(announcing(() => {}), undefined, false)));
    const rng = createRng(hash32('kill -9 as answers arrive'));
    const figures: { killAt: number; announced: number; repeated: number }[] = [];
    const trials = Array.from({ length: TRIALS }, (_, trial) => ({ trial, killAt: randomInt(rng, 1, REQUESTS - 1) }));
    await Promise.all(
      trials.map(async ({ trial, killAt }) => {
        const journal = join(directory, `trial-${trial}.jsonl`);
        const answered = await killedRun(journal, killAt);
        const asked: string[] = [];
        const resumed = await iterate(killRunOptions(announcing((key) => asked.push(key)), journal, true));
        expect(canonical(resumed)).toEqual(reference);
        figures.push({ killAt, announced: answered.size, repeated: asked.filter((key) => answered.has(key)).length });
      }),
    );
    console.log(`kill -9 as answers arrive: ${figures.map((figure) => `killed at answer ${figure.killAt} (${figure.announced} announced): ${figure.repeated} repeated`).join('; ')}`);
    for (const figure of figures) expect(figure.repeated).toBeLessThanOrEqual(concurrency);
  });
});
