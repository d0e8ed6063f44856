import { ConfigError } from '../core/errors.js';
import { nearestName } from '../core/names.js';

/** Options of one entry point that another takes: named in the error, so a spread of shared options is not silently half-used. */
const elsewhere: Readonly<Record<string, string>> = {
  tasks: 'iterate() and evaluate()',
  evalTasks: 'iterate()',
  iterations: 'iterate()',
  keep: 'iterate()',
  select: 'iterate()',
  pool: 'iterate()',
  targetReward: 'iterate()',
  patience: 'iterate()',
  progress: 'iterate()',
  task: 'bestOfN()',
  examples: 'evaluate() and bestOfN()',
  iteration: 'evaluate() and bestOfN()',
};

/** Options of `iterate()` that mean nothing elsewhere, and why. */
const iterateOnly: Readonly<Record<string, string>> = {
  teacher:
    "a teacher's samples become the examples folded into the student's prompts, and only iterate() keeps examples; " +
    'pass the model to sample as `provider` (the teacher, to draw examples; the student, to measure them)',
  teacherIterations: 'it chooses the iterations a `teacher` samples, and only iterate() has a teacher',
};

/** Options an earlier release had under another name or in another place. */
const moved: Readonly<Record<string, string>> = {
  maxTokens: 'no `maxTokens`: the output cap is `maxOutputTokens` (`budget.maxTokens` is the token budget)',
  prices: "no `prices` here: give them to the provider (e.g. openai({ model, prices })), which prices usage and budgets alike",
};

/**
 * Throws a `ConfigError` for the first option name `entry` does not take: a misspelling
 * (with the nearest known name), or an option of another entry point (saying which).
 */
export function checkOptionNames(entry: string, options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name) || (options as Record<string, unknown>)[name] === undefined) continue;
    const now = moved[name];
    if (now !== undefined) throw new ConfigError(name, (options as Record<string, unknown>)[name], now);
    const why = iterateOnly[name];
    if (why !== undefined) throw new ConfigError(name, (options as Record<string, unknown>)[name], `no \`${name}\` in ${entry}: ${why}`);
    const owner = elsewhere[name];
    if (owner !== undefined) {
      throw new ConfigError(name, (options as Record<string, unknown>)[name], `no \`${name}\` in ${entry}: it is an option of ${owner}`);
    }
    const nearest = nearestName(name, known);
    throw new ConfigError(name, (options as Record<string, unknown>)[name], `a known option of ${entry}${nearest === undefined ? '' : ` (did you mean \`${nearest}\`?)`}`);
  }
}
