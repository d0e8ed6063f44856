/**
 * A teacher samples for a student: a strong (here: exhaustive, offline) solver answers the
 * training mazes, its best answers are kept and folded into the student's prompts, and the
 * student (the n-gram stand-in, which learns only from its prompt) is measured on held-out
 * mazes. Each `nearest` prompt shows the two kept answers whose mazes look most alike.
 *
 * Run: npx tsx examples/teacher-student.ts
 */
import { createRng, fromFunction, hashedNgrams, inContextLearner, iterate, nearest, perTask } from 'pauper';
import { generateMazes, mazeReward, parseMoves, taskPrompt, type Maze, type Move } from './gold-coin-maze/maze.js';

const seed = 1;
const mazes = generateMazes(10, { width: 4, height: 4, wallDensity: 0.2, coins: 3, stepLimit: 12, seed });
const train = mazes.slice(0, 6);
const heldOut = mazes.slice(6);

// The teacher: 4,000 random move strings per maze, the best kept. It stands in for a dearer model
// (billed $0.01 a call here; the offline student is free) that answers well from the start.
const moves: readonly Move[] = ['U', 'D', 'L', 'R'];
const rng = createRng(seed);
const solutions = new Map<string, string>();
for (const maze of train) {
  let best = { text: '', score: Number.NEGATIVE_INFINITY };
  for (let attempt = 0; attempt < 4000; attempt++) {
    const text = Array.from({ length: 12 }, () => moves[Math.floor(rng() * 4)]).join('');
    const { score } = mazeReward(maze, parseMoves(text));
    if (score > best.score) best = { text, score };
  }
  solutions.set(taskPrompt(maze), best.text);
}
const teacher = fromFunction((request) => solutions.get(request.messages.at(-1)?.content ?? '') ?? 'UUUU', {
  name: 'solver',
  model: 'random-search-4000',
  costPerCall: 0.01,
});
const student = inContextLearner({ alphabet: 'UDLR', order: 8, maxLength: 12, model: 'ngram-student' });

const run = await iterate({
  provider: student,
  teacher,
  tasks: train,
  evalTasks: heldOut,
  render: taskPrompt,
  reward: ({ task, text }: { task: Maze; text: string }) => mazeReward(task, parseMoves(text)),
  select: perTask(1),
  fold: nearest(2, { embed: hashedNgrams(), text: taskPrompt }),
  samples: 4,
  iterations: 3,
  seed,
  progress: false,
});

console.log('Teacher and student on the gold-coin maze, offline. The teacher (a random-search solver, billed');
console.log('$0.01 a call) samples the 6 training mazes; the student (the n-gram stand-in, free) sees in each');
console.log("prompt the 2 kept teacher answers whose mazes look most alike, and is measured on 4 held-out mazes.");
console.log('Iteration 0 is the baseline: no examples yet, so the held-out column is the student on its own.');
console.log('');
console.log('iter  teacher train mean  student held-out mean');
for (const iteration of run.iterations) {
  console.log(`${String(iteration.iteration).padStart(4)}  ${iteration.train.mean?.toFixed(2).padStart(18)}  ${iteration.eval?.mean?.toFixed(2).padStart(21)}`);
}
console.log('');
console.log('Who sampled and what it cost (run.byProvider):');
for (const spend of run.byProvider) {
  console.log(`${spend.role.padEnd(8)} ${spend.provider}/${spend.model}: ${spend.samples} ${spend.role === 'embedder' ? 'texts embedded' : 'samples'}, $${spend.costUsd?.toFixed(4) ?? 'unknown'}`);
}
