import { ConfigError } from '../core/errors.js';
import type { BatchSettings } from './spec.js';

/** The `batch` option of `openai` and `anthropic` as an object: how the run waits for batches and treats failed entries. */
export interface BatchOptions {
  /** Milliseconds before the first poll of a batch; each later wait is 1.5 times longer, up to `maxPollInterval`. @default 10_000 */
  readonly pollInterval?: number;
  /** Longest wait between two polls, in milliseconds. @default 60_000 */
  readonly maxPollInterval?: number;
  /**
   * What becomes of an entry the engine errored, expired (not run within the 24-hour window) or
   * cancelled: `'live'` requests its samples live (at live prices, under the run's budget);
   * `'record'` records them as failed samples with the provider's reason (they count toward `maxErrors`).
   * @default 'live'
   */
  readonly failedEntries?: 'live' | 'record';
}

/** Batch defaults, filled in one place. */
export const batchDefaults = { pollInterval: 10_000, maxPollInterval: 60_000, failedEntries: 'live' } as const;

/** The `batch` option validated (`true`, `false` or `BatchOptions`); `undefined` when off. */
export function resolveBatchOptions(option: unknown): BatchSettings | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { ...batchDefaults };
  const expected = 'true, false, or { pollInterval, maxPollInterval, failedEntries }';
  if (typeof option !== 'object' || option === null || Array.isArray(option)) throw new ConfigError('batch', option, expected);
  const { pollInterval = batchDefaults.pollInterval, maxPollInterval = batchDefaults.maxPollInterval, failedEntries = batchDefaults.failedEntries, ...rest } =
    option as BatchOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ConfigError(`batch.${unknown}`, (rest as Record<string, unknown>)[unknown], `no such option: ${expected}`);
  for (const [name, value] of [['pollInterval', pollInterval], ['maxPollInterval', maxPollInterval]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ConfigError(`batch.${name}`, value, 'a positive number of milliseconds');
  }
  if (failedEntries !== 'live' && failedEntries !== 'record') throw new ConfigError('batch.failedEntries', failedEntries, "'live' or 'record'");
  return { pollInterval, maxPollInterval: Math.max(pollInterval, maxPollInterval), failedEntries };
}
