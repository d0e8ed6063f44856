import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiled, killLeftovers, tracked } from '../children.js';
import type { Rng } from 'pauper';
import { createRng, randomInt, readJournal } from 'pauper';
import { hash32 } from '../../src/core/random.js';
import type { TestServer } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// A child left running by a test that timed out is killed when the file ends.
afterAll(killLeftovers);

const child = fileURLToPath(new URL('../fixtures/resume-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLES = 4;
const REQUESTS = (6 + 2) * (3 + 1); // one native-n request per task per iteration
const TRIALS = 8;
const PARALLEL = Number(process.env.PAUPER_RESUME_PARALLEL ?? 4);

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-resume-'));
});

/** A loopback OpenAI server with deterministic replies; `onRequest` sees each request number as it arrives. */
function server(onRequest: (number: number) => void = () => {}): Promise<TestServer> {
  return startOpenAIServer({
    // The reply depends on the task, the request seed and the choice index only.
    responder: ({ lastUserMessage, body, choiceIndex }) =>
      `moves ${hash32(`${lastUserMessage}/${String(body.seed)}/${choiceIndex}`).toString(36)}`,
    // Cached-token counts would depend on the request history; off, so usage is reproducible.
    promptCaching: false,
    latencyMs: 25,
    faults: (number) => {
      onRequest(number);
      return undefined;
    },
  });
}

interface ChildOutput {
  readonly result: unknown;
  readonly resumed: { restored: number; requestedAgain: number; stale: number; rescored: number } | null;
}

/** Runs the fixture run in a child process; `arm` gets a function that SIGKILLs it. */
function runChild(url: string, journal: string, resume: boolean, output: string, arm?: (kill: () => void) => void) {
  return new Promise<{ killed: boolean }>((resolve, reject) => {
    const spawned = tracked(spawn(process.execPath, [compiled(child), url, journal, resume ? '1' : '0', output], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    }));
    let stderr = '';
    spawned.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    arm?.(() => spawned.kill('SIGKILL'));
    spawned.on('error', reject);
    spawned.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true });
      else if (code === 0) resolve({ killed: false });
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

const seedOf = (body: unknown): number => (body as { seed: number }).seed;

interface TrialFigures {
  readonly trial: number;
  readonly killAt: number;
  readonly delayMs: number;
  readonly journaled: number;
  /** Requests the resumed run sent that the killed run had sent too. */
  readonly repeated: number;
  /** Journaled samples of partly journaled native-n requests, requested again. */
  readonly requestedAgain: number;
  /** Journaled completions whose scoring the kill interrupted, scored on resume without a request. */
  readonly scoredLater: number;
}

/** One trial: a run killed `delayMs` after request `killAt` arrives, then resumed to completion on the same server. */
async function trial(index: number, rng: Rng, reference: ChildOutput): Promise<TrialFigures> {
  const killAt = randomInt(rng, 1, REQUESTS - 1);
  const delayMs = randomInt(rng, 0, 60);
  let kill = (): void => {};
  const target = await server((number) => {
    if (number !== killAt) return;
    if (delayMs === 0) kill();
    else setTimeout(() => kill(), delayMs);
  });
  try {
    const journal = join(directory, `trial-${index}.jsonl`);
    const output = join(directory, `trial-${index}.json`);
    const { killed } = await runChild(target.url, journal, false, output, (killChild) => {
      kill = killChild;
    });
    expect(killed).toBe(true);
    const killedPhase = target.requests.slice();

    // Native-n requests (by seed) all of whose completions reached the journal before the kill, scored or not.
    const crashed = await readJournal(journal);
    const perSeed = new Map<number, number>();
    const journaled = new Map<string, { readonly id: string; readonly seed: number }>([...crashed.completions, ...crashed.samples]);
    for (const record of journaled.values()) perSeed.set(record.seed, (perSeed.get(record.seed) ?? 0) + 1);
    const wholeSeeds = new Set([...perSeed].filter(([, count]) => count === SAMPLES).map(([seed]) => seed));

    await runChild(target.url, journal, true, output);
    const resumedPhase = target.requests.slice(killedPhase.length);
    const resumed = JSON.parse(await readFile(output, 'utf8')) as ChildOutput;

    expect(resumed.result).toEqual(reference.result);
    // No request whose samples were all journaled was sent again...
    expect(resumedPhase.filter((request) => wholeSeeds.has(seedOf(request.body)))).toEqual([]);
    expect(resumedPhase).toHaveLength(REQUESTS - wholeSeeds.size);
    expect(resumed.resumed?.restored).toBe(wholeSeeds.size * SAMPLES);
    // ...so the repeats are exactly the requests in flight at the kill or journaled only in part.
    const killedSeeds = new Set(killedPhase.map((request) => seedOf(request.body)));
    const repeated = resumedPhase.filter((request) => killedSeeds.has(seedOf(request.body))).length;
    expect(repeated).toBe(killedSeeds.size - wholeSeeds.size);
    const partlyJournaled = [...perSeed.values()].filter((count) => count < SAMPLES).reduce((sum, count) => sum + count, 0);
    expect(resumed.resumed?.requestedAgain).toBe(partlyJournaled);
    const scoredLater = [...journaled.values()].filter((record) => wholeSeeds.has(record.seed) && !crashed.samples.has(record.id)).length;
    expect(resumed.resumed?.rescored).toBe(scoredLater);
    return { trial: index, killAt, delayMs, journaled: journaled.size, repeated, requestedAgain: partlyJournaled, scoredLater };
  } finally {
    await target.close();
  }
}

describe('resume after SIGKILL', () => {
  it(`${TRIALS} runs killed at seeded random moments resume to the uninterrupted result`, { timeout: 120_000 }, async () => {
    const referenceServer = await server();
    const referenceOutput = join(directory, 'reference.json');
    try {
      await runChild(referenceServer.url, join(directory, 'reference.jsonl'), false, referenceOutput);
      expect(referenceServer.requestCount).toBe(REQUESTS);
    } finally {
      await referenceServer.close();
    }
    const reference = JSON.parse(await readFile(referenceOutput, 'utf8')) as ChildOutput;

    // Each trial draws from its own seeded generator, so running them side by side changes nothing.
    const figures: TrialFigures[] = [];
    for (let first = 0; first < TRIALS; first += PARALLEL) {
      const batch = Array.from({ length: Math.min(PARALLEL, TRIALS - first) }, (_, offset) => first + offset);
      figures.push(...(await Promise.all(batch.map((index) => trial(index, createRng(hash32(`trial ${index}`)), reference)))));
    }
    const repeated = figures.map((figure) => figure.repeated);
    console.log(
      `resume after SIGKILL: ${TRIALS} trials of ${REQUESTS} requests (${REQUESTS * SAMPLES} samples); ` +
        `kill points ${figures.map((figure) => `${figure.killAt}+${figure.delayMs}ms`).join(', ')}; ` +
        `samples journaled before the kill ${figures.map((figure) => figure.journaled).join(', ')}; ` +
        `requests repeated per trial ${repeated.join(', ')} (total ${repeated.reduce((sum, count) => sum + count, 0)}, ` +
        `max ${Math.max(...repeated)}); journaled samples of partly journaled requests requested again ` +
        `${figures.map((figure) => figure.requestedAgain).join(', ')}; completions scored on resume without a request ` +
        `${figures.map((figure) => figure.scoredLater).join(', ')}`,
    );
    expect(figures.some((figure) => figure.journaled > 0)).toBe(true);
  });
});
