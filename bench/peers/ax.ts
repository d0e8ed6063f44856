// pauper beside Ax's AxBootstrapFewShot (@ax-llm/ax), the TypeScript peer, at equal model calls on
// the same task and the same loopback OpenAI server (50 ms latency): wall time, requests, prompt
// tokens and the most requests in flight, counted at the server; sides interleaved, medians.
// Install once: cd bench/peers && npm ci. Run from the repository root:
//   node --expose-gc --import tsx bench/peers/ax.ts [--quick]
// Writes bench/peers/ax-results.json (committed), which bench/RESULTS.md reads.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxAIOpenAI, AxAIOpenAIModel, AxBootstrapFewShot, ax } from '@ax-llm/ax';
import { iterate, openai, type Provider } from '../../src/index.js';
import { startOpenAIServer } from '../../test/servers/openai-server.js';
import { interleaved, quick, round, type Figure } from '../lib/figures.js';
import { countRequests, trackAnswers, type ServerCounts } from '../lib/server-counts.js';

const repeats = quick ? 3 : 7;
const latencyMs = 50;
const taskCount = 8;
/** Ax: every example answered once per round, for `axRounds` rounds. */
const axRounds = 8;
/** pauper: `samples` per task in the baseline and one folded iteration. */
const samples = 4;
const pauperRounds = 2;
const modelCalls = taskCount * axRounds;
if (taskCount * samples * pauperRounds !== modelCalls) throw new Error('The two sides must make the same number of model calls.');
const model = 'gpt-4o-mini';
const apiKey = 'sk-bench';

// The model answers in Ax's output format; both sides score the number after '#'.
const { responder, answeredAt } = trackAnswers(({ choiceIndex, requestNumber }) => `Answer: choice #${(requestNumber + choiceIndex) % 10}`);
const server = await startOpenAIServer({ latencyMs, responder });
const questions = Array.from({ length: taskCount }, (_, index) => `task ${index}`);
const score = (text: string): number => Number(text.slice(text.lastIndexOf('#') + 1)) || 0;

/** Ax's bootstrap: each round answers every example with the others as demonstrations, one call at a time. */
async function axBootstrap(): Promise<void> {
  const ai = new AxAIOpenAI({ apiKey, apiURL: server.url, config: { model: AxAIOpenAIModel.GPT4OMini, stream: false } });
  const program = ax('question:string -> answer:string');
  const examples = questions.map((question, index) => ({ question, answer: `choice #${index}` }));
  // maxDemos above the call count: the bootstrap never stops early, so it makes exactly `modelCalls` calls.
  const optimizer = new AxBootstrapFewShot({
    studentAI: ai,
    options: { maxRounds: axRounds, maxExamples: taskCount, maxDemos: modelCalls + 1, verboseMode: false },
  });
  await optimizer.compile(program, examples, ({ prediction }) => (score(String((prediction as { answer?: unknown }).answer)) >= 0 ? 1 : 0));
}

/** pauper's loop on the same questions: the baseline, then one iteration with the best 4 folded in. */
function pauperLoop(concurrency: number, nativeN: boolean): () => Promise<void> {
  return async () => {
    const base = openai({ model, apiKey, baseURL: server.url });
    const provider: Provider = nativeN ? base : { ...base, capabilities: { ...base.capabilities, nativeN: false } };
    await iterate({ provider, tasks: questions, reward: (sample) => score(sample.text), samples, iterations: pauperRounds - 1, keep: 4, concurrency });
  };
}

const counts = new Map<string, ServerCounts[]>();
/** Counts at the server what each run of a side sent. */
const counted =
  (name: string, run: () => Promise<void>) =>
  async (): Promise<void> => {
    const from = server.requests.length;
    await run();
    const list = counts.get(name) ?? [];
    list.push(countRequests(server.requests, answeredAt, from));
    counts.set(name, list);
  };

const sides = {
  ax: { label: 'Ax AxBootstrapFewShot (one call at a time)', run: axBootstrap },
  pauper8: { label: 'pauper, concurrency 8 (the default until pacing), one request per sample', run: pauperLoop(8, false) },
  pauper32: { label: 'pauper, concurrency 32 (the default), one request per sample', run: pauperLoop(32, false) },
  pauperNativeN: { label: `pauper, native n (n = ${samples}), concurrency 8`, run: pauperLoop(8, true) },
} as const;
type SideName = keyof typeof sides;
const names = Object.keys(sides) as SideName[];

const wall = await interleaved(
  repeats,
  Object.fromEntries(names.map((name) => [name, counted(name, sides[name].run)])) as Record<SideName, () => Promise<void>>,
);
await server.close();

/** One side: wall time, and the counts of its last run (requests and tokens are the same every run; in flight may vary). */
interface Side {
  readonly label: string;
  readonly wall: Figure;
  readonly requests: number;
  readonly promptTokens: number;
  readonly maxInFlight: number;
  readonly maxInFlightRange: readonly [number, number];
}
const result: Record<string, Side> = {};
for (const name of names) {
  const list = counts.get(name) ?? [];
  const last = list[list.length - 1] ?? { requests: 0, promptTokens: 0, maxInFlight: 0 };
  const inFlight = list.map((entry) => entry.maxInFlight);
  result[name] = {
    label: sides[name].label,
    wall: wall[name],
    ...last,
    maxInFlightRange: [Math.min(...inFlight), Math.max(...inFlight)],
  };
}
const axMedian = wall.ax.medianMs;
const version = (JSON.parse(readFileSync(fileURLToPath(new URL('./package-lock.json', import.meta.url)), 'utf8')) as {
  packages: Record<string, { version?: string }>;
}).packages['node_modules/@ax-llm/ax']?.version;

const report = {
  date: new Date().toISOString(),
  node: process.version,
  command: `node --expose-gc --import tsx bench/peers/ax.ts${quick ? ' --quick' : ''}`,
  axVersion: version ?? 'unknown',
  repeats,
  latencyMs,
  modelCalls,
  shape:
    `${taskCount} questions; Ax: ${axRounds} bootstrap rounds over the ${taskCount} examples (the other 7 as demonstrations); ` +
    `pauper: ${samples} samples a question, baseline + ${pauperRounds - 1} iteration, top-4 fold; ${modelCalls} model calls each, ${latencyMs} ms latency`,
  sides: result,
  /** How many times faster than Ax each pauper side is (Ax's median wall time over the side's). */
  speedupOverAx: Object.fromEntries(names.filter((name) => name !== 'ax').map((name) => [name, round(axMedian / wall[name].medianMs)])),
};
writeFileSync(fileURLToPath(new URL('./ax-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
for (const name of names) {
  const side = result[name];
  if (side === undefined) continue;
  console.log(
    `${side.label.padEnd(62)} ${side.wall.medianMs.toFixed(0).padStart(6)} ms (${side.wall.minMs.toFixed(0)}–${side.wall.maxMs.toFixed(0)})  ` +
      `${side.requests} requests, ${side.promptTokens} prompt tokens, ${side.maxInFlight} in flight`,
  );
}
