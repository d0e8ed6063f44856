// The public surface of pauper, listed by name.

export { iterate, iterateDefaults, Run } from './iterate.js';
export type { IterateOptions, IterationResult, RunResult, StopReason } from './iterate.js';

export { readJournal, journalVersion, libraryVersion, JournalError, JournalMismatchError } from './journal.js';
export type {
  Journal,
  JournalCompletion,
  JournalDifference,
  JournalIteration,
  JournalPrompt,
  JournalRecord,
  JournalResume,
  JournalRunEnd,
  JournalRunStart,
  JournalSample,
} from './journal.js';
export type { ResumeCounts } from './run-control.js';

export type { Budget, BudgetName } from './budget.js';

export { memoryCache, directoryCache, jsonlCache, cacheKey, CacheMissError } from './cache.js';
export type { CachedCompletion, CacheKeyParts, ResponseCache } from './cache.js';

export { fineTuningRecords, writeFineTuningJsonl, writeTrajectoriesJsonl } from './export.js';
export type { ExportSummary, FineTuningOptions, FineTuningRecord } from './export.js';

export { estimate } from './estimate.js';
export type { Estimate, EstimateOptions, Range } from './estimate.js';

export { evaluate } from './evaluate.js';
export type { EvaluateOptions, Evaluation } from './evaluate.js';

export { bestOfN } from './best-of-n.js';
export type { BestOfN, BestOfNOptions } from './best-of-n.js';

export { sample, createLimiter, createSamplerState, splitUsage } from './sample.js';
export type { GateTicket, Limiter, RequestGate, SampledCompletion, SampleCallOptions, SamplerState } from './sample.js';

export { score, checkRewardValue } from './reward.js';
export type { RewardContext, RewardFunction, RewardValue, Sample, Score } from './reward.js';

export type { RolloutContext, RolloutFunction } from './episode.js';

export { topK, threshold, positiveOnly, stochastic, dedupe, perTask, pipe, byReward, selectionPool, excludeTask } from './select.js';
export type { AnySelector, Selector, SelectContext, PoolPolicy, TaskSelector } from './select.js';

export { fewShotMessages, inlineBlock, estimateTokens, messagesTokens } from './fold.js';
export type { AnyFolder, Folder, FoldContext, FoldOptions, InlineBlockOptions } from './fold.js';

export { defaultPrompt, renderTask, withoutSystem } from './prompt.js';
export type { DefaultPromptOptions, PromptBuilder, TaskRenderer } from './prompt.js';

export { samplingDefaults } from './options.js';
export type { SamplingOptions } from './options.js';

export { rewardStats, splitStats, quantile } from './stats.js';
export type { RewardStats, SplitStats } from './stats.js';

export { scoredOnly } from './trajectory.js';
export type { Example, Failure, FailedTrajectory, ScoredTrajectory, Split, Step, Trajectory, TrajectoryBase } from './trajectory.js';

export type { RunEvent, EventListener } from './events.js';

export type {
  Completion,
  Provider,
  ProviderCapabilities,
  SampleOptions,
  SampleRequest,
  SampleResponse,
} from './provider.js';

export { openai } from './providers/openai.js';
export type { OpenAIClient, OpenAIOptions } from './providers/openai.js';
export { anthropic } from './providers/anthropic.js';
export type { AnthropicClient, AnthropicOptions } from './providers/anthropic.js';
export { openaiCompatible } from './providers/openai-compatible.js';
export type { OpenAICompatibleOptions } from './providers/openai-compatible.js';
export type { ProviderTransportOptions } from './providers/shared.js';
export { createTransport, toProviderError, isRetryableStatus } from './transport.js';
export type { RetryEvent, SendOptions, Transport, TransportOptions } from './transport.js';
export { batchPriceMultiplier, costOf, defaultPrices, findPrice } from './pricing.js';
export type { CostOptions, ModelPrice, PriceTable } from './pricing.js';
export { fromFunction } from './providers/function.js';
export type { FromFunctionOptions, FunctionContext, FunctionResult } from './providers/function.js';
export { scripted } from './providers/scripted.js';
export type { ScriptedCall, ScriptedContext, ScriptedOptions, ScriptedProvider } from './providers/scripted.js';
export { inContextLearner } from './providers/in-context-learner.js';
export type { InContextLearnerOptions } from './providers/in-context-learner.js';

export { parseOutput } from './schema.js';
export type { InferOutput, StandardSchemaV1 } from './schema.js';

export { user, assistant, system } from './messages.js';
export type { Message, Role } from './messages.js';

export { addUsage, totalTokens, zeroUsage } from './usage.js';
export type { Usage } from './usage.js';

export { createRng, deriveSeed, randomInt } from './random.js';
export type { Rng } from './random.js';

export {
  PauperError,
  ConfigError,
  ProviderError,
  ParseError,
  RewardError,
  TooManyErrorsError,
  BudgetExceededError,
} from './errors.js';
