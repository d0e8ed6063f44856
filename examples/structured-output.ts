/**
 * Structured output: read a meeting request into `{ person, day, hour }`.
 * A zod schema parses every answer (a parse failure is a failed sample, kept
 * with its reason), the reward is exact match, and held-out requests are
 * scored every iteration with the same examples.
 *
 * The prompt never spells out the JSON shape: the examples teach it. That is
 * what the offline stand-in below can learn, so the run is meaningful
 * without a key. For a real model, set `provider` to e.g.
 * `openai({ model: 'gpt-4.1-mini' })`.
 *
 * Run: npx tsx examples/structured-output.ts
 */
import { z } from 'zod';
import { createRng, fromFunction, iterate, type SampleRequest, type Split } from 'pauper';

const Meeting = z.object({
  person: z.string().min(1),
  day: z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']),
  hour: z.number().int().min(0).max(23),
});
type Meeting = z.infer<typeof Meeting>;

interface Request {
  readonly id: string;
  readonly text: string;
  readonly expected: Meeting;
}

const request = (id: string, text: string, person: string, day: Meeting['day'], hour: number): Request => ({
  id,
  text,
  expected: { person, day, hour },
});

const train: Request[] = [
  request('t1', 'Lunch with Ana on Friday at 1pm?', 'Ana', 'friday', 13),
  request('t2', 'Can we sync with Bruno on Tuesday at 9am', 'Bruno', 'tuesday', 9),
  request('t3', 'Coffee with Chen, Monday 4pm', 'Chen', 'monday', 16),
  request('t4', 'Board review with Dara on Thursday at 11am', 'Dara', 'thursday', 11),
];
const heldOut: Request[] = [
  request('h1', 'Call with Emeka on Wednesday at 3pm', 'Emeka', 'wednesday', 15),
  request('h2', 'Dinner with Farah, Saturday 7pm', 'Farah', 'saturday', 19),
  request('h3', 'Standup with Goran on Monday at noon', 'Goran', 'monday', 12),
];

const guesses = [
  ['name', 'weekday', 'time'],
  ['person', 'day', 'hour'],
  ['who', 'day', 'at'],
];

/**
 * The offline stand-in, NOT an LLM: a few regular expressions read the
 * request; the JSON shape comes from the last example answer in the prompt.
 * With no example it guesses a shape (key names, hour as "1pm" or 13,
 * sometimes a chatty preamble), so most of its first answers fail the schema.
 * It does not know "noon".
 */
const standIn = fromFunction(
  (sampleRequest: SampleRequest) => {
    const rng = createRng(sampleRequest.seed ?? 0);
    const messages = sampleRequest.messages;
    const text = messages.at(-1)?.content ?? '';
    const person = /with (\p{Lu}\p{L}+)/u.exec(text)?.[1] ?? '';
    const day = /(mon|tues|wednes|thurs|fri|satur|sun)day/i.exec(text)?.[0].toLowerCase() ?? '';
    const time = /(\d{1,2})\s*(am|pm)/i.exec(text);
    const hour = time === null ? 0 : (Number(time[1]) % 12) + (time[2]?.toLowerCase() === 'pm' ? 12 : 0);
    const shown = messages.slice(0, -1).findLast((message) => message.role === 'assistant');
    const copied = [...(shown?.content ?? '').matchAll(/"(\w+)":/g)].map((match) => match[1] ?? '');
    const [personKey, dayKey, hourKey] = copied.length === 3 ? copied : guesses[Math.floor(rng() * guesses.length)] ?? [];
    const answer = JSON.stringify({
      [personKey ?? 'person']: person,
      [dayKey ?? 'day']: day,
      [hourKey ?? 'hour']: shown !== undefined || rng() < 0.5 ? hour : (time?.[0] ?? ''),
    });
    return shown === undefined && rng() < 0.3 ? `Sure! Here it is: ${answer}` : answer;
  },
  { name: 'stand-in', model: 'regex-and-copy' },
);

const run = await iterate({
  provider: standIn,
  system: 'Extract the meeting from the request as JSON.',
  render: (task: Request) => task.text,
  schema: Meeting,
  // `output` is typed as Meeting: the parsed, validated answer.
  reward: ({ task, output }) =>
    output.person === task.expected.person && output.day === task.expected.day && output.hour === task.expected.hour ? 1 : 0,
  tasks: train,
  evalTasks: heldOut,
  samples: 6,
  iterations: 2,
  keep: 2,
  seed: 7,
  // Failures are expected while the shape is unknown; the default (25) would stop the run.
  maxErrors: 100,
});

console.log('Structured output: meeting requests read into { person, day, hour }');
console.log('Model: a scripted stand-in (regexes plus the JSON shape of its prompt\'s');
console.log('examples), not an LLM. Swap in openai({ model }) etc. for a real one.\n');
// Accuracy counts a failed sample as wrong; `train.mean` would average the scored ones only.
console.log('iter  train correct  held-out correct  failed (train + held-out)');
for (const iteration of run.iterations) {
  const correct = (split: Split) =>
    iteration.trajectories.filter((trajectory) => trajectory.split === split && trajectory.ok && trajectory.reward === 1).length;
  const failed = iteration.train.failed + (iteration.eval?.failed ?? 0);
  const all = iteration.train.samples + (iteration.eval?.samples ?? 0);
  console.log(
    [
      String(iteration.iteration).padStart(4),
      `${correct('train')} of ${iteration.train.samples}`.padStart(13),
      `${correct('eval')} of ${iteration.eval?.samples ?? 0}`.padStart(16),
      `${failed} of ${all}`.padStart(25),
    ].join('  '),
  );
}

const failures = run.trajectories.flatMap((trajectory) => (trajectory.ok ? [] : [trajectory]));
const invalidJson = failures.find((trajectory) => trajectory.failure.message.startsWith('Output is not valid JSON'));
const wrongShape = failures.find((trajectory) => trajectory.failure.message.startsWith('Output does not match'));
console.log(`\n${failures.length} samples failed; each is kept with its reason. Two of them:`);
for (const failure of [invalidJson, wrongShape]) {
  if (failure !== undefined) console.log(`  ${failure.text}\n  -> ${failure.failure.stage}: ${failure.failure.message}`);
}

console.log('\nHeld-out answers at the last iteration (first sample of each):');
for (const trajectory of run.iterations.at(-1)?.trajectories ?? []) {
  if (trajectory.split !== 'eval' || trajectory.index !== 0) continue;
  const verdict = trajectory.ok ? (trajectory.reward === 1 ? 'correct' : 'wrong') : `failed (${trajectory.failure.stage})`;
  console.log(`  ${trajectory.task.text}\n  -> ${trajectory.text}  ${verdict}`);
  if (verdict !== 'correct') console.log(`     expected ${JSON.stringify(trajectory.task.expected)}`);
}
