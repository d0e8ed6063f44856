import { setMaxListeners } from 'node:events';
import { TooManyErrorsError } from './errors.js';
import type { EventListener } from './events.js';
import type { Message } from './messages.js';
import { messageOf } from './reward.js';
import type { RunCache } from './run-cache.js';
import type { Limiter, RequestGate, SampledCompletion, SamplerState } from './sample.js';
import { createLimiter, createSamplerState } from './sample.js';
import type { Failure, Trajectory } from './trajectory.js';
import type { Usage } from './usage.js';

/** Run-wide mechanics shared by every collect call of one run. */
export interface RunControl<Task, Output, Info> {
  /** Aborts on the user's signal or when `maxErrors` is exceeded. */
  readonly signal: AbortSignal;
  readonly limit: Limiter;
  /** Bounds reward function calls in flight (`rewardConcurrency`). */
  readonly rewardLimit: Limiter;
  readonly state: SamplerState;
  readonly emit: EventListener<Task, Output, Info>;
  /** Counts a failure; stops the run once more than `maxErrors` have occurred. */
  readonly fail: (failure: Failure) => void;
  /** Stops all work of the run with a reason (the first reason wins). */
  readonly stop: (reason: unknown) => void;
  /** The run's journal: records completions as they arrive, and rebuilds journaled samples on resume. @default none */
  readonly journal: RunJournal | undefined;
  /** What resuming restored and what it had to sample again. */
  readonly resumed: ResumeCounts;
  /** Admits requests under the run's budgets. @default none */
  readonly gate: BudgetGate | undefined;
  /** The response cache. @default none */
  readonly cache: RunCache | undefined;
}

/** What collecting needs of the run's journal (see `journal.ts`). */
export interface RunJournal {
  /**
   * What the journal holds of sample `id`: its finished trajectory, rebuilt around the
   * run's task and prompt; or only its completion, to be scored now (a crash interrupted
   * its scoring, or its parsing or scoring failed); `undefined` when it must be sampled
   * (again); `'stale'` when it was made with a prompt the run no longer builds (the run
   * diverged, e.g. a fixed scorer changed the kept set).
   */
  restore<Task, Output, Info>(
    id: string,
    task: Task,
    prompt: readonly Message[],
    singleShot: boolean,
  ): Journaled<Task, Output, Info> | 'stale' | undefined;
  /** Records a paid completion as soon as it arrives, before it is scored. */
  completion(id: string, prompt: readonly Message[], completion: SampledCompletion & { readonly ok: true }): void;
}

/** A journaled sample: finished, or a completion still to score. */
export type Journaled<Task, Output, Info> = (
  | { readonly trajectory: Trajectory<Task, Output, Info> }
  | { readonly index: number; readonly completion: SampledCompletion & { readonly ok: true } }
) & {
  /** How many completions its request returned, when the journal says (journals written since this field came). */
  readonly requestCompletions: number | undefined;
  /** How many completions its request asked for, when the journal says. */
  readonly requestAsked: number | undefined;
};

/** Counts of a resumed run. */
export interface ResumeCounts {
  /** Samples taken from the journal instead of being requested. */
  restored: number;
  /** Journaled samples requested again because only part of their native-`n` request was journaled. */
  requestedAgain: number;
  /** Journaled samples made with a prompt the resumed run no longer builds; sampled again. */
  stale: number;
  /** Journaled completions scored without a request: a crash interrupted their scoring, or their parsing or scoring had failed. */
  rescored: number;
}

/** A request gate that also accounts for samples restored from a journal. */
export interface BudgetGate extends RequestGate {
  /** Counts restored samples against the budgets. */
  charge(usage: Usage, costUsd: number | null, samples: number): void;
}

/** Builds the run-wide mechanics: one limiter, one error budget, one stop signal. */
export function createRunControl<Task, Output, Info>(options: {
  readonly concurrency: number;
  readonly rewardConcurrency?: number | undefined;
  readonly maxErrors: number;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: EventListener<Task, Output, Info> | undefined;
  readonly journal?: RunJournal | undefined;
  readonly gate?: BudgetGate | undefined;
  readonly cache?: RunCache | undefined;
}): RunControl<Task, Output, Info> {
  const stop = new AbortController();
  const failures: string[] = [];
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  // Every waiting request (backoff, rate limit, queue) listens to the run's signal; thousands may wait at once.
  setMaxListeners(0, signal);
  return {
    signal,
    limit: createLimiter(options.concurrency),
    rewardLimit: rewardLimiter(options.rewardConcurrency, signal),
    state: createSamplerState(),
    emit: options.onEvent ?? (() => {}),
    journal: options.journal,
    resumed: { restored: 0, requestedAgain: 0, stale: 0, rescored: 0 },
    gate: options.gate,
    cache: options.cache,
    stop: (reason) => {
      if (!stop.signal.aborted) stop.abort(reason);
    },
    fail: (failure) => {
      failures.push(`${failure.stage}: ${failure.message}`);
      if (failures.length > options.maxErrors && !stop.signal.aborted) {
        stop.abort(new TooManyErrorsError(options.maxErrors, [...failures]));
      }
    },
  };
}

/** Bounds reward calls in flight; a call not yet started when the run stops never starts. */
function rewardLimiter(concurrency: number | undefined, signal: AbortSignal): Limiter {
  const checked: Limiter = (work) => {
    signal.throwIfAborted();
    return work();
  };
  if (concurrency === undefined || concurrency === Number.POSITIVE_INFINITY) return checked;
  const limit = createLimiter(concurrency);
  return (work) => limit(() => checked(work));
}

/** Counts each completion a failed request should have produced as one failure, at once. */
export function requestFailed(control: { readonly fail: (failure: Failure) => void }) {
  return (error: unknown, completions: number): void => {
    for (let i = 0; i < completions; i++) control.fail({ stage: 'request', message: messageOf(error), error });
  };
}

