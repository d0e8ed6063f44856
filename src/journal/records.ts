import { z } from 'zod';

/** The version of pauper written into every journal's `run-start` record. Kept equal to package.json by a test. */
export const libraryVersion = '0.1.0';

/**
 * The journal schema version, the `v` field of every record written. Version 2 stores a
 * single-shot sample's text once, in its completion record; version 3 adds the records of
 * a `nearest` folder's task embeddings, of fine-tuning jobs and of batches. Version 1 and 2 journals still read.
 */
export const journalVersion = 3 as const;

const count = z.number().int().nonnegative();
const usageSchema = z.object({
  requests: count,
  inputTokens: count,
  cachedInputTokens: count,
  cacheWriteTokens: count,
  outputTokens: count,
  reasoningTokens: count,
});
const messageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
const splitSchema = z.enum(['train', 'eval']);
const statsSchema = z.object({
  samples: count,
  scored: count,
  failed: count,
  mean: z.number().nullable(),
  median: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  p10: z.number().nullable(),
  p90: z.number().nullable(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  wallTimeMs: z.number(),
});
const stoppedSchema = z.object({ reason: z.string(), iteration: count, message: z.string() });
const base = { v: z.literal([1, 2, journalVersion]), time: z.string() };

const runStartSchema = z.object({
  ...base,
  type: z.literal('run-start'),
  version: z.string(),
  seed: count,
  fingerprint: z.string(),
  resume: z.record(z.string(), z.unknown()),
  config: z.record(z.string(), z.unknown()),
  tasks: z.array(z.string()),
  evalTasks: z.array(z.string()),
  /** Source text hashes of the run's functions by option name (journals since 0.2 have them). */
  sources: z.record(z.string(), z.string()).optional(),
});
const sourceChangeSchema = z.object({ field: z.string(), journal: z.string().nullable(), current: z.string().nullable() });
const resumeSchema = z.object({
  ...base,
  type: z.literal('resume'),
  version: z.string(),
  fingerprint: z.string(),
  journaled: count,
  /** The function sources this resume ran with: the next resume compares with these. */
  sources: z.record(z.string(), z.string()).optional(),
  /** Functions whose changed source text the user accepted (`resume: { acceptChanged }`). */
  accepted: z.array(sourceChangeSchema).optional(),
});
const promptSchema = z.object({ ...base, type: z.literal('prompt'), hash: z.string(), messages: z.array(messageSchema) });
const sampleSchema = z.object({
  ...base,
  type: z.literal('sample'),
  id: z.string(),
  split: splitSchema,
  iteration: count,
  taskIndex: count,
  taskId: z.string(),
  index: count,
  seed: count,
  promptHash: z.string(),
  turns: z.array(messageSchema),
  text: z.string(),
  steps: z.array(z.object({ message: z.string(), reply: z.string(), info: z.unknown().optional() })),
  ok: z.boolean(),
  reward: z.number().nullable(),
  output: z.unknown().optional(),
  info: z.unknown().optional(),
  failure: z.object({ stage: z.enum(['request', 'parse', 'reward', 'rollout']), message: z.string() }).optional(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  latencyMs: z.number(),
  /** Which provider made it: the student (`provider`) or the `teacher` (journals since 0.2 have it). */
  sampledBy: z.object({ role: z.enum(['student', 'teacher']), provider: z.string(), model: z.string() }).optional(),
});
/**
 * A sample record as a line holds it. From version 2 a single-shot sample whose text is its
 * completion record's leaves out `text` and its final assistant turn (that text again): the
 * reader fills them in from the completion record of its id written before it.
 */
const storedSampleSchema = sampleSchema.extend({ text: z.string().optional() });
const completionSchema = z.object({
  ...base,
  type: z.literal('completion'),
  id: z.string(),
  split: splitSchema,
  iteration: count,
  taskIndex: count,
  index: count,
  seed: count,
  promptHash: z.string(),
  text: z.string(),
  parsed: z.unknown().optional(),
  error: z.string().optional(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  latencyMs: z.number(),
  /** How many completions the request that made this one returned: resuming tells a complete native-`n` request from a torn one. */
  requestCompletions: count.optional(),
  /** How many completions that request asked for: one asked for several and answered with one means the server ignores `n`. */
  requestAsked: count.optional(),
});
const iterationSchema = z.object({
  ...base,
  type: z.literal('iteration'),
  iteration: count,
  examples: z.array(z.string()),
  kept: z.array(z.string()),
  train: statsSchema,
  eval: statsSchema.nullable(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  wallTimeMs: z.number(),
  /** The fine-tuned model this iteration sampled; absent when it sampled the provider's own model. */
  model: z.string().optional(),
});
/**
 * A fine-tuning job trained after `iteration` on its kept set, written at each step as soon as
 * it happens: the file uploaded, the job created, the job ended. Each repeats what the earlier
 * ones said, so the latest record of an iteration is where its job stands.
 */
const fineTuneSchema = z.object({
  ...base,
  type: z.literal('fine-tune'),
  iteration: count,
  phase: z.enum(['file', 'job', 'succeeded', 'failed', 'cancelled']),
  /** The model trained: the provider's, or the previous fine-tuned one. */
  baseModel: z.string(),
  fileId: z.string(),
  /** Ids of the kept trajectories in the training file, in its order. */
  examples: z.array(z.string()),
  jobId: z.string().optional(),
  /** The fine-tuned model, once the job succeeded. */
  model: z.string().optional(),
  trainedTokens: count.optional(),
  /** What training cost (trained tokens × the training price); `null` when the price is unknown. */
  costUsd: z.number().nullable().optional(),
  /** Why the job failed or was cancelled. */
  message: z.string().optional(),
});
const runEndSchema = z.object({
  ...base,
  type: z.literal('run-end'),
  iterations: count,
  best: z.string().nullable(),
  usage: usageSchema,
  costUsd: z.number().nullable(),
  wallTimeMs: z.number(),
  stopped: stoppedSchema.nullable(),
  /** What fine-tuning jobs cost, apart from `costUsd` (sampling); absent when the run fine-tuned nothing. */
  trainingCostUsd: z.number().nullable().optional(),
});
/** A batch input file uploaded (OpenAI): its id and the `custom_id`s it holds, journaled before the batch is created. */
const batchFileSchema = z.object({ ...base, type: z.literal('batch-file'), provider: z.string(), fileId: z.string(), entries: z.array(z.string()) });
/** A batch created: journaled as soon as its id exists, so a resumed run polls it instead of submitting again. */
const batchSchema = z.object({
  ...base,
  type: z.literal('batch'),
  provider: z.string(),
  batchId: z.string(),
  /** The input file it was created from; its entries are the file's. */
  fileId: z.string().nullable(),
  /** The `custom_id`s it holds, when it was created without a file (Anthropic). */
  entries: z.array(z.string()).optional(),
});
/** A batch ended: `failed` ones are submitted again by a resumed run; others are polled and read. */
const batchEndSchema = z.object({ ...base, type: z.literal('batch-end'), batchId: z.string(), status: z.string(), state: z.enum(['ended', 'failed']) });
const embeddingsSchema = z.object({
  ...base,
  type: z.literal('embeddings'),
  /** The embedder, `<name>/<model>`: another embedder's vectors are not reused. */
  embedder: z.string(),
  /** Content hashes of the texts embedded, in the order of `vectors`. */
  hashes: z.array(z.string()),
  vectors: z.array(z.array(z.number())),
  usage: usageSchema,
  costUsd: z.number().nullable(),
});
/** Any one line of a journal as it is stored, told apart by `type`. */
export const recordSchema = z.discriminatedUnion('type', [
  runStartSchema,
  resumeSchema,
  promptSchema,
  completionSchema,
  storedSampleSchema,
  iterationSchema,
  fineTuneSchema,
  runEndSchema,
  batchFileSchema,
  batchSchema,
  batchEndSchema,
  embeddingsSchema,
]);

/** The first record: what the run was started with (no secrets, no functions). */
export type JournalRunStart = z.infer<typeof runStartSchema>;
/** A function whose source text changed, accepted by a resume: its hash in the journal and now (`null`: not given). */
export type JournalSourceChange = z.infer<typeof sourceChangeSchema>;
/** Written each time a run is resumed from the journal. */
export type JournalResume = z.infer<typeof resumeSchema>;
/** A prompt's messages, written once before the first sample that used it. */
export type JournalPrompt = z.infer<typeof promptSchema>;
/** A single-shot completion, written as it arrives (before scoring), so a crash mid-scoring costs no request. */
export type JournalCompletion = z.infer<typeof completionSchema>;
/** One sample: its task, prompt hash, own turns, output, reward or failure, usage and cost. */
export type JournalSample = z.infer<typeof sampleSchema>;
/** One iteration's examples, kept set (trajectory ids) and statistics. */
export type JournalIteration = z.infer<typeof iterationSchema>;
/** One step of a fine-tuning job between iterations (see `docs/fine-tuning.md`). */
export type JournalFineTune = z.infer<typeof fineTuneSchema>;
/** One batch of task embeddings of a `nearest` folder: written as the embedder returns it, read back on resume. */
export type JournalEmbeddings = z.infer<typeof embeddingsSchema>;
/** The end of the run, with why it stopped early if it did. */
export type JournalRunEnd = z.infer<typeof runEndSchema>;
/** A batch input file uploaded, before its batch is created. */
export type JournalBatchFile = z.infer<typeof batchFileSchema>;
/** A batch created (its id journaled as soon as it exists). */
export type JournalBatch = z.infer<typeof batchSchema>;
/** A batch ended, with the provider's status. */
export type JournalBatchEnd = z.infer<typeof batchEndSchema>;
/** A sample record as written: `text` and the final assistant turn may be left to its completion record. */
export type StoredSample = z.infer<typeof storedSampleSchema>;
/** One line of a journal as written. */
export type StoredRecord = z.infer<typeof recordSchema>;
/** One line of a journal as `readJournal` returns it: samples whole, with their text and turns. */
export type JournalRecord = Exclude<StoredRecord, { readonly type: 'sample' }> | JournalSample;
