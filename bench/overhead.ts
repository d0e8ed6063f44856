// Overhead against a hand-written loop: pauper's iterate() with the openai provider beside
// p-limit + the openai SDK doing the same sample → score → top-k → fold loop, both against
// one loopback server with 20 ms latency. Two shapes: native `n` (one request per task and
// round) and one request per sample. A third side is the hand-written loop keeping, per answer, what
// pauper's result holds (each trajectory, its turns, the reward's sample and context): what of the gap
// is holding the result, and what is pauper's own. Sides interleaved after warm-ups (5 runs a side for
// native `n`, whose runs are short; 1 for one request per sample), medians of 31 and 7.
// Run: npm run bench:overhead. Writes bench/overhead-results.json (committed).
import './lib/published.js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { iterate, openai, type Provider } from 'pauper';
import { startOpenAIServer } from '../test/servers/openai-server.js';
import { interleaved, round, type Figure } from './lib/figures.js';
import { handLoop, loopShape, reward, type Call } from './lib/hand-loop.js';

/** Runs a side, and warm-up runs before them: native `n` runs a quarter of a second, one request per sample four or more. */
const plan = { nativeN: { repeats: 31, warmups: 5 }, perSample: { repeats: 7, warmups: 1 } } as const;
const shape = loopShape();
const { tasks, samples, rounds, concurrency, keep } = shape;
const model = 'gpt-4o-mini';
const apiKey = 'sk-bench';

/**
 * The loop by hand (bench/lib/hand-loop.ts) with the openai SDK as its call: one request for `n` answers;
 * `keep: 'trajectories'` also keeps what pauper's result holds of each answer.
 */
async function handWritten(baseURL: string, nativeN: boolean, keep: 'examples' | 'trajectories' = 'examples'): Promise<void> {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const call: Call = async (messages, n) => {
    const completion = await client.chat.completions.create(n === 1 ? { model, messages: [...messages] } : { model, messages: [...messages], n });
    return completion.choices.map((choice) => choice.message.content ?? '');
  };
  await handLoop(call, nativeN, shape, keep);
}

/** The same loop through pauper; `nativeN: false` makes the provider fan out one request per sample. */
async function pauperLoop(baseURL: string, nativeN: boolean): Promise<void> {
  const base = openai({ model, apiKey, baseURL });
  const provider: Provider = nativeN ? base : { ...base, capabilities: { ...base.capabilities, nativeN: false } };
  await iterate({ provider, tasks, reward: (sample) => reward(sample.text), samples, iterations: rounds - 1, keep, concurrency });
}

/** Warm-up of both sides, then `repeats` rounds of both, rotating which goes first (see `interleaved`). */
async function compare(baseURL: string, nativeN: boolean): Promise<{ pauper: Figure; hand: Figure; handKeeping: Figure; ratio: number; ratioKeeping: number }> {
  const { repeats, warmups } = nativeN ? plan.nativeN : plan.perSample;
  const { pauper, hand, handKeeping } = await interleaved(
    repeats,
    {
      pauper: () => pauperLoop(baseURL, nativeN),
      hand: () => handWritten(baseURL, nativeN),
      handKeeping: () => handWritten(baseURL, nativeN, 'trajectories'),
    },
    warmups,
  );
  return { pauper, hand, handKeeping, ratio: round(pauper.medianMs / hand.medianMs), ratioKeeping: round(pauper.medianMs / handKeeping.medianMs) };
}

const server = await startOpenAIServer({ latencyMs: 20 });
const nativeN = await compare(server.url, true);
const perSample = await compare(server.url, false);
await server.close();

const report = {
  date: new Date().toISOString(),
  node: process.version,
  machine: `2 cores, shared; medians of interleaved runs after warm-ups: native n ${plan.nativeN.repeats} after ${plan.nativeN.warmups} a side, one request per sample ${plan.perSample.repeats} after ${plan.perSample.warmups}`,
  plan,
  shape: `${tasks.length} tasks x ${samples} samples x ${rounds} rounds, concurrency ${concurrency}, top-${keep} fold, loopback server with 20 ms latency`,
  nativeN,
  perSample,
};
writeFileSync(fileURLToPath(new URL('./overhead-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
for (const [name, result] of [
  ['native n', nativeN],
  ['one request per sample', perSample],
] as const) {
  const side = (label: string, s: Figure) => `${label} ${s.medianMs.toFixed(0)} ms (${s.minMs.toFixed(0)}–${s.maxMs.toFixed(0)})`;
  console.log(
    `${name.padEnd(24)} ${side('pauper', result.pauper)}  ${side('hand', result.hand)}  ${side('hand keeping the result', result.handKeeping)}  ` +
      `pauper/hand ${result.ratio}x, pauper/hand keeping ${result.ratioKeeping}x`,
  );
}
