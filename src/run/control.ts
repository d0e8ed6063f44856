import { setMaxListeners } from 'node:events';
import { ConfigError, messageOf, TooManyErrorsError } from '../core/errors.js';
import { createAbortRacer, type AbortRacer } from '../core/wait.js';
import type { EventListener } from './events.js';

import type { RunCache } from './response-cache.js';
import type { RunJournal } from '../journal/open.js';
import type { BudgetGate } from './budget.js';
import type { Limiter, QueueLimiter } from './limit.js';
import { createLimiter } from './limit.js';
import type { ResumeCounts } from '../core/results.js';
import type { Failure } from '../core/trajectory.js';

/**
 * What sampling remembers across calls within a run: whether the provider
 * turned out to ignore native `n`, and which warnings were already given.
 */
export interface SamplerState {
  fanOut: boolean;
  readonly warned: Set<string>;
}

/** A fresh sampler state for one run. */
export function createSamplerState(): SamplerState {
  return { fanOut: false, warned: new Set() };
}

/** Run-wide mechanics shared by every collect call of one run. */
export interface RunControl<Task, Output, Info> {
  /** Aborts on the user's signal or when `maxErrors` is exceeded. */
  readonly signal: AbortSignal;
  /** Bounds requests in flight; says how many wait, so tasks start only as slots need them. */
  readonly limit: QueueLimiter;
  /** Races reward calls and rollouts against `signal`, with one listener for all of them. */
  readonly race: AbortRacer;
  /** Bounds reward function calls in flight (`rewardConcurrency`); `undefined` when unbounded, so a reward that returns a value settles at once. */
  readonly rewardLimit: Limiter | undefined;
  readonly state: SamplerState;
  readonly emit: EventListener<Task, Output, Info>;
  /** Whether anyone hears `emit` (an `onEvent`, progress): a `sample` event, an object a sample, is built only then. */
  readonly heard: boolean;
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
    limit: pacedByJournal(createLimiter(options.concurrency), options.journal),
    rewardLimit: options.rewardConcurrency === undefined || options.rewardConcurrency === Number.POSITIVE_INFINITY ? undefined : createLimiter(options.rewardConcurrency),
    race: createAbortRacer(signal),
    state: createSamplerState(),
    emit: options.onEvent ?? (() => {}),
    heard: options.onEvent !== undefined,
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

/**
 * A request takes its slot only while the journal keeps up: when more than the journal's
 * high-water mark waits to be written (a disk slower than the model), no new request starts
 * until it drains, so memory stays bounded; a write error rejects the request's work.
 */
function pacedByJournal(limit: QueueLimiter, journal: RunJournal | undefined): QueueLimiter {
  if (journal === undefined) return limit;
  const paced: Limiter = (work) =>
    limit(async () => {
      const draining = journal.belowHighWaterMark();
      if (draining !== undefined) await draining;
      return work();
    });
  return Object.assign(paced, { waiting: limit.waiting, room: limit.room });
}

/**
 * Counts each completion a failed request should have produced as one failure, at once. A
 * `ConfigError` (no API key, the SDK not installed) stops the run with it instead: it fails
 * every request alike, so counting up to `maxErrors` would only hide it.
 */
export function requestFailed(control: Pick<RunControl<unknown, unknown, unknown>, 'fail' | 'stop'>) {
  const stopOnConfig = configErrorStops(control);
  return (error: unknown, completions: number): void => {
    if (stopOnConfig(error)) return;
    for (let i = 0; i < completions; i++) control.fail({ stage: 'request', message: messageOf(error), error });
  };
}

/** Stops the run with a request's `ConfigError` (see `requestFailed`); whether it did. */
export function configErrorStops(control: Pick<RunControl<unknown, unknown, unknown>, 'stop'>) {
  return (error: unknown): boolean => {
    if (!(error instanceof ConfigError)) return false;
    control.stop(error);
    return true;
  };
}

