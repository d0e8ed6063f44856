import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedPrefix } from '../../bench/lib/cache-prefix.js';
import { summarise } from '../../bench/lib/figures.js';
import { readResults, renderResults, type BenchKey, type BenchStatus } from '../../bench/results-md.js';

const root = mkdtempSync(join(tmpdir(), 'pauper-results-md-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const figure = (...runsMs: number[]) => summarise(runsMs);
const fixtures: Record<string, unknown> = {
  'bench/overhead-results.json': {
    date: '2026-12-01T10:00:00.000Z',
    node: 'v20.20.2',
    shape: '8 tasks x 64 samples x 6 rounds',
    nativeN: { pauper: figure(300, 250, 350), hand: figure(200, 190, 210), handKeeping: figure(240, 230, 250), ratio: 1.5 },
    perSample: { pauper: figure(1040, 1000, 1100), hand: figure(1000, 990, 1010), ratio: 1.04 },
    inProcess: { pauper: figure(130, 120, 140) },
  },
  'bench/ideal-results.json': {
    date: '2026-12-01T10:05:00.000Z',
    shape: 'ideal shape',
    nativeN: {
      idealMs: 120,
      requests: 48,
      inProcess: { bare: figure(125, 124, 126), pauper: figure(126, 125, 127) },
      http: { fetch: figure(240, 230, 250), pauper: figure(360, 350, 370) },
    },
  },
  'bench/peers/ax-results.json': {
    date: '2026-12-01T10:10:00.000Z',
    axVersion: '24.0.21',
    modelCalls: 64,
    latencyMs: 50,
    sides: {
      ax: { label: 'Ax bootstrap', wall: figure(3800, 3700, 3900), requests: 64, promptTokens: 20352, maxInFlight: 1 },
      pauper8: { label: 'pauper c8', wall: figure(490, 480, 500), requests: 64, promptTokens: 1344, maxInFlight: 8 },
    },
    speedupOverAx: { pauper8: 7.76 },
  },
  'bench/tokens-results.json': {
    date: '2026-12-01T10:15:00.000Z',
    openai: {
      nativeN: { samples: 96, requests: 24, promptTokens: 2688, requestsPerSample: 0.25, promptTokensPerSample: 28 },
      perSample: { samples: 96, requests: 96, promptTokens: 10752, requestsPerSample: 1, promptTokensPerSample: 112 },
      promptTokensSaved: 0.75,
    },
    anthropic: [
      { iteration: 0, requests: 32, inputTokens: 768, cacheReadTokens: 0, cacheWriteTokens: 0, cacheableShare: 0, cacheReadShare: 0, requestsWithBreakpoint: 0, distinctPrefixes: 0, prefixBytes: 0, prefixIdentical: true, pauperUsageAgrees: true },
      { iteration: 1, requests: 32, inputTokens: 7168, cacheReadTokens: 6200, cacheWriteTokens: 200, cacheableShare: 0.89, cacheReadShare: 0.86, requestsWithBreakpoint: 32, distinctPrefixes: 1, prefixBytes: 925, prefixIdentical: true, pauperUsageAgrees: true },
      { iteration: 2, requests: 32, inputTokens: 7168, cacheReadTokens: 0, cacheWriteTokens: 6400, cacheableShare: 0.89, cacheReadShare: 0, requestsWithBreakpoint: 32, distinctPrefixes: 3, prefixBytes: 925, prefixIdentical: false, pauperUsageAgrees: false },
    ],
  },
  // Another engineer's scale bench may write a list of sizes: every row with `samples` is read.
  'bench/scale-results.json': {
    sizes: [
      { samples: 1000, usPerSample: 40, runMs: 40, runPeakRssMb: 120, journalMb: 1, resumeMs: 30, bytesPerSample: 900 },
      { samples: 1_000_000, usPerSample: 50, runMs: 50_000, runPeakRssMb: 1500, journalMb: 860, resumeMs: 40_000, bytesPerSample: 950 },
    ],
    notes: 'Peak RSS at 1M samples is under the 2 GB target.',
  },
};

for (const [file, data] of Object.entries(fixtures)) {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), JSON.stringify(data));
}
// bench/pacing-results.json is left missing on purpose.

const statuses = new Map<BenchKey, BenchStatus>([
  ['overhead', { kind: 'read', why: 'a slow bench, not rerun by --quick' }],
  ['ideal', { kind: 'ran' }],
  ['ax', { kind: 'failed', why: '`bench/peers/node_modules/@ax-llm/ax` is missing: install the peers once: cd bench/peers && npm ci' }],
  ['tokens', { kind: 'ran' }],
]);

function render(): string {
  return renderResults({
    date: '2026-12-02T09:00:00.000Z',
    command: 'npm run bench -- --quick',
    quick: true,
    machine: { cpuModel: 'Test CPU', cpus: 2, memoryGb: 8, freeMemoryGb: 6.5, node: 'v20.20.2', platform: 'linux x64' },
    loadBefore: [1.5, 1.25, 1],
    loadAfter: [2, 1.75, 1.5],
    results: readResults(root, statuses),
  });
}

describe('RESULTS.md', () => {
  const page = render();
  const sectionOf = (title: string): string => {
    const start = page.indexOf(`## ${title}`);
    expect(start, `section ${title}`).toBeGreaterThanOrEqual(0);
    const next = page.indexOf('\n## ', start + 1);
    return page.slice(start, next < 0 ? undefined : next);
  };

  it('has the five sections in order, then pacing', () => {
    const headings = [...page.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    expect(headings).toEqual([
      '1. pauper against the hand-written loop',
      '2. Overhead against the latency-bound ideal',
      "3. Beside Ax's AxBootstrapFewShot",
      '4. Requests and prompt tokens per sample; the prompt cache',
      '5. Scale',
      'Pacing from rate-limit headers',
    ]);
  });

  it('says the machine, the load before and after, the date and the command', () => {
    expect(page).toContain('- date: 2026-12-02T09:00:00.000Z (quick pass)');
    expect(page).toContain('- command: `npm run bench -- --quick`');
    expect(page).toContain('2 × Test CPU, 8.0 GB memory (6.5 GB free at the start), linux x64, Node v20.20.2');
    expect(page).toContain('1.50 / 1.25 / 1.00 before, 2.00 / 1.75 / 1.50 after');
  });

  it('gives each figure as median (min–max, n) with the ratio and whether it meets its target', () => {
    const overhead = sectionOf('1.');
    expect(overhead).toContain('| native `n` | 300 ms (250–350, n = 3) | 200 ms (190–210, n = 3) | 240 ms (230–250, n = 3) | 1.50× | 1.25× | **missed** (1.50× > 1.05×) |');
    // A results file from before the third side shows a dash where it would be.
    expect(overhead).toContain('| one request per sample | 1,040 ms (1,000–1,100, n = 3) | 1,000 ms (990–1,010, n = 3) | – | 1.04× | – | met |');
    // A figure the writer does not know by name is still shown.
    expect(overhead).toContain('| `inProcess.pauper` | 130 ms (120–140, n = 3) |');
    expect(overhead).toContain('Read from the file (a slow bench, not rerun by --quick): `bench/overhead-results.json`, measured 2026-12-01T10:00:00.000Z');
    expect(overhead).toContain('Rerun: `npm run bench:overhead`.');
    // Why a target is missed is kept beside its bench, so a rerun keeps the explanation.
    expect(overhead).toMatch(/Where a target is missed: Target: 1\.05× on both shapes\. .*keeping what pauper's result holds/);
  });

  it('puts pauper against the ideal and the floors, in process and over HTTP', () => {
    const ideal = sectionOf('2.');
    expect(ideal).toContain('Ran in this pass');
    expect(ideal).toContain('| latency-bound ideal | 120 ms | 1.00× |  |');
    expect(ideal).toContain('| in process: pauper, a 20 ms provider | 126 ms (125–127, n = 3) | 1.05× | met |');
    expect(ideal).toContain('| over HTTP: plain `fetch` loop, no SDK (floor) | 240 ms (230–250, n = 3) | 2.00× |  |');
    expect(ideal).toContain('| over HTTP: pauper, openai SDK | 360 ms (350–370, n = 3) | 3.00× | 1.50× the fetch floor |');
  });

  it('shows Ax beside pauper with the counts and the speed-up, and says why the bench did not run', () => {
    const ax = sectionOf('3.');
    expect(ax).toContain('**Failed in this pass** (`bench/peers/node_modules/@ax-llm/ax` is missing: install the peers once: cd bench/peers && npm ci)');
    expect(ax).toContain('| Ax bootstrap | 3,800 ms (3,700–3,900, n = 3) | 64 | 20,352 | 1 | 1× |');
    expect(ax).toContain('| pauper c8 | 490 ms (480–500, n = 3) | 64 | 1,344 | 8 | 7.8× faster |');
    expect(ax).toContain('cd bench/peers && npm ci');
  });

  it('gives requests and prompt tokens per sample, the cache share, and flags a prefix that differs', () => {
    const tokens = sectionOf('4.');
    expect(tokens).toContain('| native `n` | 96 | 24 | 0.25 | 2,688 | 28.0 |');
    expect(tokens).toContain('| one request per sample | 96 | 96 | 1.00 | 10,752 | 112.0 |');
    expect(tokens).toContain('Native `n` bills 75% fewer prompt tokens.');
    expect(tokens).toContain('| 0 | 32 | 768 | 0 | 0 | 0% | 0% | no breakpoint (no examples yet) | yes |');
    expect(tokens).toContain('| 1 | 32 | 7,168 | 6,200 | 200 | 89% | 86% | yes: 32 requests, 925 bytes | yes |');
    expect(tokens).toContain('| 2 | 32 | 7,168 | 0 | 6,400 | 89% | 0% | **no**: 3 different prefixes among 32 requests | **no** |');
  });

  it('reads every size the scale file holds, with the journal write rate, and its notes', () => {
    const scale = sectionOf('5.');
    expect(scale).toContain('| 1,000 | 40 | 40.0 ms | 120 | 1 | 25.0 | 30.0 ms | – | 900 |');
    expect(scale).toContain('| 1,000,000 | 50 | 50,000 ms | 1,500 | 860 | 17.2 | 40,000 ms | – | 950 |');
    expect(scale).toContain('bytesPerSample');
    expect(scale).toContain('Peak RSS at 1M samples is under the 2 GB target.');
  });

  it('says a results file is missing or broken instead of failing', () => {
    expect(sectionOf('Pacing')).toContain('No results: `bench/pacing-results.json` does not exist: run');
    writeFileSync(join(root, 'bench/scale-results.json'), '{"samples": 1000,');
    try {
      expect(render()).toMatch(/No results: `bench\/scale-results.json` is not JSON \(.+\): run `npm run bench:scale` again\./);
    } finally {
      writeFileSync(join(root, 'bench/scale-results.json'), JSON.stringify(fixtures['bench/scale-results.json']));
    }
  });
});

describe('the cached prefix of an Anthropic request', () => {
  const cached = { type: 'text', text: 'example', cache_control: { type: 'ephemeral' } };
  const body = (task: string, example = cached) => ({
    system: [{ type: 'text', text: 'system' }],
    messages: [
      { role: 'user', content: [example] },
      { role: 'assistant', content: 'answer' },
      { role: 'user', content: task },
    ],
  });

  it('is the same bytes for requests that differ only after the breakpoint', () => {
    expect(cachedPrefix(body('task 1'))).toBe(cachedPrefix(body('task 2')));
  });

  it('differs when a byte before the breakpoint differs, and is undefined without a breakpoint', () => {
    expect(cachedPrefix(body('task 1', { ...cached, text: 'example ' }))).not.toBe(cachedPrefix(body('task 1')));
    expect(cachedPrefix({ messages: [{ role: 'user', content: 'task' }] })).toBeUndefined();
  });
});
