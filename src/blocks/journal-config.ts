import { ConfigError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import type { StandardSchemaV1 } from '../core/schema.js';
import type { Example } from '../core/trajectory.js';
import type { JournalRunConfig } from '../journal/open.js';
import type { CollectSettings } from '../stages/task.js';
import { taskBase } from '../stages/task.js';

// What a run's journal records of its options and its own functions, and the `resume` option
// that decides how a resume treats a change in them.

/** The functions whose source text a journal records, so that a resume notices when one changed. */
export const fingerprintedFunctions = ['reward', 'rollout', 'prompt', 'render'] as const;

/** A function whose source text a journal records: `reward`, `rollout`, `prompt` or `render`. */
export type FingerprintedFunction = (typeof fingerprintedFunctions)[number];

/** `resume` with a choice: continue although some functions changed since the journaled run. */
export interface ResumeOptions {
  /**
   * Functions whose changed source text is accepted: the journaled samples keep what the old
   * function gave (their rewards are not scored again), new samples get the new one, and the
   * journal's `resume` record lists what changed. A changed `prompt` or `render` samples again
   * what the journal holds under other prompts. @default none
   */
  readonly acceptChanged?: readonly FingerprintedFunction[];
}

/** The options a journal records beyond the resolved settings: the run's functions, its schema, system prompt and prompt builder. */
type JournaledOptions = Partial<Record<FingerprintedFunction, unknown>> & {
  readonly schema?: StandardSchemaV1<unknown, unknown> | undefined;
  readonly system?: string | undefined;
};

/** `resume` as whether to resume and which changed functions to accept. */
export function resolveResume(option: unknown): { resume: boolean; acceptChanged: readonly FingerprintedFunction[] } {
  if (option === undefined || typeof option === 'boolean') return { resume: option ?? false, acceptChanged: [] };
  const names = fingerprintedFunctions.map((name) => `'${name}'`).join(', ');
  const expected = `true, false, or { acceptChanged: [...] } naming some of ${names}`;
  if (typeof option !== 'object' || option === null) throw new ConfigError('resume', option, expected);
  const { acceptChanged = [], ...rest } = option as ResumeOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ConfigError(`resume.${unknown}`, (rest as Record<string, unknown>)[unknown], `no such option: ${expected}`);
  if (!Array.isArray(acceptChanged) || !acceptChanged.every((name) => (fingerprintedFunctions as readonly unknown[]).includes(name))) {
    throw new ConfigError('resume.acceptChanged', acceptChanged, `an array naming some of ${names}`);
  }
  return { resume: true, acceptChanged };
}

/**
 * A function's source text without what compilers vary for the same code: tsx writes
 * `sample=>f(sample)` where vitest keeps `(sample) => f(sample)`. Spaces inside string
 * literals go too; a prompt that differs only so is still caught by the prompts compared on resume.
 */
function sourceText(fn: { toString(): string }): string {
  return String(fn)
    .replace(/\s+/g, '')
    .replace(/\(([\w$]+)\)=>/g, '$1=>');
}

/**
 * What a journal records of the run's own functions, and what the run checks on resume:
 * their source hashes, the changes it accepts, and the prompts it knows it will build at
 * `iteration` for `examples` (a resume compares them with the journal's before writing anything).
 */
export function journalChecks<Task, Output, Info>(
  options: JournaledOptions,
  run: {
    readonly settings: CollectSettings<Task, Output, Info>;
    readonly acceptChanged: readonly FingerprintedFunction[];
    readonly tasks: { readonly train: readonly Task[]; readonly eval: readonly Task[] };
    readonly iteration: number;
    readonly examples: readonly Example<Task, Output, Info>[];
  },
): Pick<JournalRunConfig, 'sources' | 'acceptChanged' | 'knownPrompts'> {
  const { settings, tasks, iteration, examples } = run;
  return {
    sources: functionSources(options),
    acceptChanged: run.acceptChanged,
    knownPrompts: {
      iteration,
      prompt: (split, taskIndex) => taskBase(settings, tasks[split][taskIndex] as Task, taskIndex, examples, { split, iteration }).prompt,
    },
  };
}

/**
 * The source text hashes of the functions that make a run's prompts and scores, for a resume
 * to notice a change its options cannot show (a fixed reward, an edited prompt builder).
 * What a function closes over is not seen: only its text.
 */
export function functionSources(options: Partial<Record<FingerprintedFunction, unknown>>): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const name of fingerprintedFunctions) {
    const given = options[name];
    if (typeof given === 'function') sources[name] = contentHash(sourceText(given));
  }
  return sources;
}

/**
 * What a journal records of the sampling options, for a resumed run to match: the model,
 * the prompt and how it is sampled and scored. No secrets, no functions (only whether one was given).
 */
export function optionsFingerprint<Task, Output, Info>(
  options: JournaledOptions,
  settings: CollectSettings<Task, Output, Info>,
): Record<string, unknown> {
  return {
    provider: settings.provider.name,
    model: settings.provider.model,
    mode: settings.rollout === undefined ? 'reward' : 'rollout',
    schema: options.schema?.['~standard'].vendor ?? null,
    system: options.system ?? null,
    prompt: options.prompt === undefined ? 'default' : 'custom',
    samples: settings.samples,
    temperature: settings.temperature ?? null,
    // The journal's name for the output cap since the first release (old journals resume).
    maxTokens: settings.maxOutputTokens ?? null,
    seed: settings.seed,
    excludeOwnTask: settings.excludeOwnTask,
  };
}
