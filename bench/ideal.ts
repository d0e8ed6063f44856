// Overhead against the latency-bound ideal, in process and over HTTP, with the floors this machine
// allows: in process, a bare p-limit + setTimeout loop; over loopback HTTP, a loop of plain `fetch`
// calls (no SDK) to the same server pauper talks to. The shape of bench/overhead.ts: 8 tasks x 64
// samples x 6 rounds, concurrency 32, 20 ms latency, native `n` and one request per sample, the same
// sample → score → top-4 → fold loop on every side. Sides interleaved after warm-ups (5 runs a side for native `n`,
// whose runs are short; 1 for one request per sample).
// Run: npm run bench:ideal [-- --quick] (builds dist/ first and points tsx at bench/tsconfig.dist.json, so that
// 'pauper' is dist/). Writes bench/ideal-results.json.
import './lib/published.js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// The published build (`dist/`, through the package's own exports), as a user runs it: `src/` through tsx
// names every closure as it is made (esbuild's keepNames), which costs pauper's per-sample path a third more.
import { iterate, openai, type Provider } from 'pauper';
import { startOpenAIServer } from '../test/servers/openai-server.js';
import { interleaved, quick, round, type Figure } from './lib/figures.js';
import { handLoop, loopShape, providerOver, reward, type Call } from './lib/hand-loop.js';

/** Runs a side, and warm-up runs before them: native `n` runs take a tenth to a quarter of a second, one request per sample seconds. */
const plan = quick ? { nativeN: { repeats: 3, warmups: 2 }, perSample: { repeats: 3, warmups: 1 } } : { nativeN: { repeats: 31, warmups: 5 }, perSample: { repeats: 7, warmups: 1 } };
/** The quick pass samples fewer a task: a quarter of the requests per round. */
const loop = quick ? loopShape(16, 2) : loopShape();
const { tasks, samples, rounds, concurrency, keep } = loop;
const taskCount = tasks.length;
const latencyMs = 20;
const model = 'gpt-4o-mini';
const apiKey = 'sk-bench';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const loopOver = (call: Call, nativeN: boolean): Promise<void> => handLoop(call, nativeN, loop);

/** The in-process model: waits the latency, then answers like the echo server. */
const inProcessCall: Call = async (messages, n) => {
  await sleep(latencyMs);
  const task = messages[messages.length - 1]?.content ?? '';
  return Array.from({ length: n }, (_, index) => `echo: ${task} #${index}`);
};

const server = await startOpenAIServer({ latencyMs });
const endpoint = `${server.url}/chat/completions`;
/** A plain `fetch` to the loopback server: the JSON body, the bearer key, the choices' texts. No SDK. */
const fetchCall: Call = async (messages, n) => {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(n === 1 ? { model, messages } : { model, messages, n }),
  });
  if (!response.ok) throw new Error(`The loopback server answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { choices: { message: { content: string | null } }[] };
  return body.choices.map((choice) => choice.message.content ?? '');
};

function pauperLoop(provider: () => Provider): () => Promise<void> {
  return async () => {
    await iterate({ provider: provider(), tasks, reward: (sample) => reward(sample.text), samples, iterations: rounds - 1, keep, concurrency });
  };
}
const overHttp = (nativeN: boolean) => (): Provider => {
  const base = openai({ model, apiKey, baseURL: server.url });
  return nativeN ? base : { ...base, capabilities: { ...base.capabilities, nativeN: false } };
};

/** The latency-bound ideal: each round, every request waits the latency once, `concurrency` at a time. */
const idealMs = (nativeN: boolean): number => rounds * Math.ceil((nativeN ? taskCount : taskCount * samples) / concurrency) * latencyMs;

interface Shape {
  readonly idealMs: number;
  readonly requests: number;
  readonly inProcess: { readonly bare: Figure; readonly pauper: Figure };
  readonly http: { readonly fetch: Figure; readonly pauper: Figure };
  /** Median over the ideal; the floors' ratios show what this machine allows. */
  readonly ratios: { readonly bare: number; readonly pauperInProcess: number; readonly fetch: number; readonly pauperHttp: number; readonly pauperOverFetch: number };
}

async function shape(nativeN: boolean): Promise<Shape> {
  const { repeats, warmups } = nativeN ? plan.nativeN : plan.perSample;
  const inProcess = await interleaved(repeats, {
    bare: () => loopOver(inProcessCall, nativeN),
    pauper: pauperLoop(() => providerOver(inProcessCall, nativeN)),
  }, warmups);
  const http = await interleaved(repeats, { fetch: () => loopOver(fetchCall, nativeN), pauper: pauperLoop(overHttp(nativeN)) }, warmups);
  const ideal = idealMs(nativeN);
  return {
    idealMs: ideal,
    requests: rounds * (nativeN ? taskCount : taskCount * samples),
    inProcess,
    http,
    ratios: {
      bare: round(inProcess.bare.medianMs / ideal),
      pauperInProcess: round(inProcess.pauper.medianMs / ideal),
      fetch: round(http.fetch.medianMs / ideal),
      pauperHttp: round(http.pauper.medianMs / ideal),
      pauperOverFetch: round(http.pauper.medianMs / http.fetch.medianMs),
    },
  };
}

const nativeN = await shape(true);
const perSample = await shape(false);
await server.close();

const report = {
  date: new Date().toISOString(),
  node: process.version,
  command: `npm run bench:ideal${quick ? ' -- --quick' : ''}`,
  plan,
  shape: `${taskCount} tasks x ${samples} samples x ${rounds} rounds, concurrency ${concurrency}, top-${keep} fold, ${latencyMs} ms latency`,
  nativeN,
  perSample,
};
writeFileSync(fileURLToPath(new URL('./ideal-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
for (const [name, result] of [
  ['native n', nativeN],
  ['one request per sample', perSample],
] as const) {
  console.log(
    `${name}: ideal ${result.idealMs} ms; in process: bare ${result.ratios.bare}x, pauper ${result.ratios.pauperInProcess}x; ` +
      `over HTTP: fetch ${result.ratios.fetch}x, pauper ${result.ratios.pauperHttp}x (${result.ratios.pauperOverFetch}x fetch)`,
  );
}
