// The public surface of pauper, listed by name.

export { iterate } from './loop/iterate.js';
export type { IterateOptions, TrajectoryStore } from './loop/options.js';
export type { FineTuneOptions } from './loop/fine-tune.js';
export type { ProgressOptions, ProgressStream } from './loop/progress.js';
export { Run } from './loop/run.js';
export type { BudgetName, FineTuneResult, IterationResult, ProviderSpend, ResumeCounts, RewardStats, RunResult, SplitStats, StopReason } from './core/results.js';

export { readJournal } from './journal/read.js';
export { readSamples } from './journal/samples.js';
export type { ReadSamplesOptions } from './journal/samples.js';
export { journalVersion } from './journal/records.js';
export { JournalError, JournalMismatchError } from './journal/errors.js';
export type { Journal } from './journal/read.js';
export type { JournalDifference } from './journal/errors.js';
export type {
  JournalCompletion,
  JournalFineTune,
  JournalEmbeddings,
  JournalIteration,
  JournalPrompt,
  JournalRecord,
  JournalResume,
  JournalRunEnd,
  JournalRunStart,
  JournalSample,
  JournalSourceChange,
  JournalBatchFile,
  JournalBatch,
  JournalBatchEnd,
} from './journal/records.js';

export { bootstrapMean, pairedDifference } from './report/stats.js';
export type { BootstrapOptions, MeanInterval, PairedDifference } from './report/stats.js';
export { loadRun, summariseRun } from './report/runs.js';
export type { IterationSummary, RunSummary, SplitSummary } from './report/runs.js';
export { compareRuns, ComparisonError } from './report/compare.js';
export type { ComparedCell, ComparedIteration, ComparedRun, CompareOptions, Comparison, TaskMatch } from './report/compare.js';
export { writeReport, renderReport } from './report/html.js';
export { renderComparison } from './report/compare-html.js';
export type { WrittenReport } from './report/html.js';

export type { Budget } from './run/budget.js';

export { memoryCache, directoryCache, jsonlCache, CacheMissError } from './run/response-cache.js';
export type { CachedCompletion, ResponseCache } from './run/response-cache.js';

export { fineTuningRecords, writeFineTuningJsonl, writeTrajectoriesJsonl } from './blocks/export.js';
export type { ExportSummary, FineTuningOptions, FineTuningRecord } from './blocks/export.js';

export { estimate } from './loop/estimate.js';
export type { Estimate, EstimateOptions, Range } from './loop/estimate.js';

export { evaluate } from './blocks/evaluate.js';
export type { EvaluateOptions, Evaluation } from './blocks/evaluate.js';

export { bestOfN } from './blocks/best-of-n.js';
export type { BestOfN, BestOfNOptions } from './blocks/best-of-n.js';
export type { BlockOutcome } from './blocks/standalone.js';

export { sample } from './stages/sample.js';
export type { SampleOptions } from './stages/sample.js';
export type { SampledCompletion } from './providers/spec.js';

export { score } from './stages/score.js';
export type { RewardContext, RewardFunction, RewardValue, RolloutContext, RolloutFunction, Sample, Score } from './core/reward.js';

export { topK, threshold, positiveOnly, stochastic, dedupe, perTask, pipe, byReward } from './stages/select.js';
export type { AnySelector, Selector, SelectContext, PoolPolicy, TaskSelector } from './stages/select.js';

export { fewShotMessages, inlineBlock } from './stages/fold.js';
export { encodingOf, estimatedTokens, messagesTokens, tokenCounterFor } from './core/tokens.js';
export type { TokenCounter, TokenEncoding } from './core/tokens.js';
export type { AnyFolder, Folder, FoldContext, FoldOptions, InlineBlockOptions } from './stages/fold.js';
export { nearest } from './stages/nearest.js';
export type { NearestFolder, NearestOptions, NearestSpec } from './stages/nearest.js';
export { cosine } from './core/embedding.js';
export type { Embedded, EmbedContext, Embedder, EmbedFunction } from './core/embedding.js';
export { hashedNgrams } from './providers/hashed-ngrams.js';
export { openaiEmbeddings } from './providers/openai-embeddings.js';
export type { OpenAIEmbeddingsOptions } from './providers/openai-embeddings.js';
export type { HashedNgramsOptions } from './providers/hashed-ngrams.js';

export { defaultPrompt } from './stages/prompt.js';
export type { DefaultPromptOptions, PromptBuilder, TaskRenderer } from './stages/prompt.js';

export type { RunOptions } from './blocks/options.js';
export type { FingerprintedFunction, ResumeOptions } from './blocks/journal-config.js';

export { rewardStats, splitStats } from './blocks/stats.js';
export { scoredOnly } from './core/trajectory.js';
export type { Example, Failure, FailedTrajectory, SampledBy, ScoredTrajectory, Split, Step, Trajectory, TrajectoryBase } from './core/trajectory.js';

export type { RunEvent, EventListener } from './run/events.js';
export type { Warning, WarningCode } from './core/warnings.js';

export type {
  BatchCarrier,
  BatchEntry,
  BatchResult,
  BatchSettings,
  BatchStatus,
  Completion,
  FineTuning,
  FineTuningJob,
  FineTuningJobRequest,
  Provider,
  ProviderCapabilities,
  RequestOptions,
  SampleRequest,
  SampleResponse,
} from './providers/spec.js';

export { openai } from './providers/openai.js';
export type { OpenAIClient, OpenAIOptions } from './providers/openai.js';
export { anthropic } from './providers/anthropic.js';
export type { AnthropicClient, AnthropicOptions } from './providers/anthropic.js';
export { openaiCompatible } from './providers/openai-compatible.js';
export type { OpenAICompatibleOptions } from './providers/openai-compatible.js';
export type { ProviderTransportOptions } from './providers/shared.js';
export type { BatchOptions } from './providers/batch-options.js';
export { batchOutputPath } from './providers/batch-files.js';
export type { BatchFilesOptions } from './providers/batch-files.js';
export { createTransport } from './providers/transport/transport.js';
export type { BudgetState, Pacing, PacingState, RetryEvent, SendOptions, Transport, TransportOptions } from './providers/transport/transport.js';
export { costOf, defaultPrices, fineTunedBase } from './core/pricing.js';
export type { CostOptions, CustomPrice, CustomPrices, ModelPrice, PriceTable } from './core/pricing.js';
export { fromFunction } from './providers/function.js';
export type { FromFunctionOptions, FunctionContext, FunctionResult } from './providers/function.js';
export { scripted } from './providers/scripted.js';
export type { ScriptedCall, ScriptedContext, ScriptedOptions, ScriptedProvider } from './providers/scripted.js';
export { inContextLearner } from './providers/in-context-learner.js';
export type { InContextLearnerOptions } from './providers/in-context-learner.js';

export type { InferOutput, StandardSchemaV1 } from './core/schema.js';

export { user, assistant, system } from './core/messages.js';
export type { Message, Role } from './core/messages.js';

export { addUsage, zeroUsage } from './core/usage.js';
export type { Usage } from './core/usage.js';

export { createRng, deriveSeed, randomInt } from './core/random.js';
export type { Rng } from './core/random.js';

export {
  PauperError,
  ConfigError,
  ProviderError,
  ParseError,
  RewardError,
  TooManyErrorsError,
  BudgetExceededError,
  FineTuneError,
  BatchPendingError,
  TrajectoriesNotKeptError,
} from './core/errors.js';
