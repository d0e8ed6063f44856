/**
 * pauper's building blocks in hand-written research code, without `iterate()`:
 * best-of-N per maze, an elite kept across rounds, a custom stopping rule, a
 * held-out check, and a second metric computed on the kept examples without
 * sampling again. Offline (the in-context learner stands in for a model).
 *
 * Run: npx tsx examples/compose.ts
 */
import {
  bestOfN,
  createRng,
  dedupe,
  deriveSeed,
  evaluate,
  fewShotMessages,
  inContextLearner,
  inlineBlock,
  messagesTokens,
  pipe,
  sample,
  score,
  scoredOnly,
  stochastic,
  topK,
  user,
  type Example,
  type RewardFunction,
} from 'pauper';
import { oneShotReward } from './gold-coin-maze/loop.js';
import { generateMazes, mazeReward, parseMoves, taskPrompt, type Maze, type MazeRewardInfo } from './gold-coin-maze/maze.js';

const SEED = 3;
const mazes = generateMazes(6, { width: 4, height: 4, wallDensity: 0.2, coins: 3, stepLimit: 12, seed: SEED });
const train = mazes.slice(0, 2);
const heldOut = mazes.slice(2);
const provider = inContextLearner({ alphabet: 'UDLR', order: 8, maxLength: 12 });
const reward: RewardFunction<Maze, string, MazeRewardInfo> = oneShotReward;
// This stand-in learns only from assistant turns, so examples go in as prior turns.
const fold = fewShotMessages();

console.log('Model: the offline in-context learner, an n-gram stand-in (not an LLM).\n');

// `sample`: raw completions for one request, nothing scored.
const raw = await sample(provider, { messages: [user(taskPrompt(train[0]!))] }, { n: 4, seed: SEED });
console.log('Zero-shot answers to maze 1:', raw.map((entry) => (entry.ok ? entry.completion.text : 'failed')).join(', '));

// The elite: distinct answers, best three. Each round's prompts show each elite
// example with probability ½ (ICRL-style; some rounds show none, some all), so
// the examples do not collapse onto one pattern.
const elite = pipe(dedupe(), topK(3));
const explore = stochastic(0.5);
let kept: Example<Maze, string, MazeRewardInfo>[] = [];
let bestMean = Number.NEGATIVE_INFINITY;
let stale = 0;

console.log('\nround  sample mean  best  elite mean  examples shown');
for (let round = 0; round < 10; round++) {
  const rng = createRng(deriveSeed(SEED, 'round', round));
  const shown = round === 0 ? [] : explore(kept, { iteration: round, rng });
  // bestOfN seeds every call alike, so each round and maze gets its own seed (else the same prompt gets the same samples).
  const results = await Promise.all(
    train.map((task, taskIndex) =>
      bestOfN({ provider, task, reward, render: taskPrompt, fold, examples: shown, samples: 8, seed: deriveSeed(SEED, round, taskIndex) }),
    ),
  );
  const fresh = results.flatMap((result) => scoredOnly(result.trajectories));
  kept = elite([...kept, ...fresh], { iteration: round, rng });
  const sampleMean = mean(fresh.map((example) => example.reward));
  const best = Math.max(...results.map((result) => result.best?.reward ?? Number.NEGATIVE_INFINITY));
  const eliteMean = mean(kept.map((example) => example.reward));
  console.log(
    `${String(round).padStart(5)}  ${sampleMean.toFixed(2).padStart(11)}  ${best.toFixed(2)}` +
      `  ${eliteMean.toFixed(2).padStart(10)}  ${String(shown.length).padStart(14)}`,
  );
  // Stop when the elite has not gained 0.1 for two rounds in a row.
  stale = eliteMean >= bestMean + 0.1 ? 0 : stale + 1;
  bestMean = Math.max(bestMean, eliteMean);
  if (stale === 2) {
    console.log(`Stopped after round ${round}: no gain of 0.1 for two rounds.`);
    break;
  }
}

// `evaluate`: the held-out mazes, zero-shot and with the elite folded in.
const base = { provider, reward, render: taskPrompt, fold, tasks: heldOut, samples: 8, seed: SEED };
const zeroShot = await evaluate(base);
const withElite = await evaluate({ ...base, examples: kept });
console.log(`\nHeld-out mean: ${zeroShot.stats.mean?.toFixed(2)} zero-shot, ${withElite.stats.mean?.toFixed(2)} with the elite.`);
console.log('(The stand-in cannot read a maze: what it copies from the elite is\nspecific to the training mazes.)');

// `score`: a second metric on the kept answers, computed without sampling again.
const efficiency: RewardFunction<Maze> = ({ task, text }) => {
  const { info } = mazeReward(task, parseMoves(text));
  return info.steps === 0 ? 0 : info.coinsCollected / info.steps;
};
const { signal } = new AbortController();
console.log('\nThe elite: maze, answer, reward, coins per move');
for (const example of kept) {
  const { task, text, turns, iteration, index, split } = example;
  const perMove = await score(efficiency, { task, text, output: text, turns }, { task, iteration, index, split, signal });
  console.log(`  ${example.taskIndex + 1}  ${text.padEnd(12)}  ${example.reward.toFixed(2).padStart(5)}  ${perMove.reward.toFixed(2)}`);
}

// The same elite as a real LLM would see it: OPRO's one block, within a token budget.
const block = inlineBlock({ maxExampleTokens: 250 })(kept, { task: heldOut[0]! });
const attempts = (block[0]?.content.match(/### Attempt/g) ?? []).length;
console.log(`\nThe elite folded for a prompt: fewShotMessages ${messagesTokens(fold(kept, { task: heldOut[0]! }))} tokens;`);
console.log(`inlineBlock({ maxExampleTokens: 250 }) ${messagesTokens(block)} tokens, ${attempts} of ${kept.length} attempts fit.`);

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}
