import { ProviderError } from '../core/errors.js';
import { zeroUsage } from '../core/usage.js';
import { wait } from '../core/wait.js';
import type { BatchCarrier, BatchStatus, Provider, SampledCompletion } from '../providers/spec.js';
import type { RunControl } from '../run/control.js';
import { chunks, journaledByTask, planTask, splitOnce, type Pending, type Waiting } from './batch-plan.js';
import type { RunSampleOptions } from './sample.js';
import { failedShares, sampleInRun, share } from './sample.js';
import type { TaskBase } from './task.js';

// Batch mode: another carrier of the request planner's plans. Every task of an iteration
// (training and held-out) registers what it still needs; once all have, the plans go out as
// batches, each id journaled as soon as it exists, and each result goes back through the same
// `onCompletion` (journal, cache) and scoring path live sampling uses.

/** An iteration's batch: each task hands it its missing samples, or says it needs none. */
export interface BatchSession {
  /** A task's samples not at hand, carried out in the iteration's batches: what `sampleInRun` would return. */
  sample(base: TaskBase<unknown>, options: RunSampleOptions): Promise<SampledCompletion[]>;
  /** A task that needs no request this iteration (all restored or cached). */
  none(): void;
}

/** A failed entry: the task's indices it should have filled, and why. */
interface FailedEntry {
  readonly pending: Pending;
  readonly indices: readonly number[];
  readonly error: ProviderError;
}

/**
 * A batch session for `expected` tasks, or `undefined` when the provider samples live. It
 * starts once every task has called `sample` or `none`; an abort rejects the tasks waiting.
 */
export function createBatchSession<Task, Output, Info>(
  provider: Provider,
  control: RunControl<Task, Output, Info>,
  expected: number,
): BatchSession | undefined {
  const carrier = provider.batch;
  if (carrier === undefined || expected === 0) return undefined;
  const waiting: Waiting[] = [];
  let arrived = 0;
  const arrive = (): void => {
    arrived++;
    if (arrived !== expected) return;
    if (waiting.length === 0) return;
    carry(provider, carrier, control, waiting).then(
      (completions) => waiting.forEach((task, i) => task.resolve(completions[i] ?? [])),
      (error: unknown) => waiting.forEach((task) => task.reject(error)),
    );
  };
  control.signal.addEventListener('abort', () => waiting.forEach((task) => task.reject(control.signal.reason)), { once: true });
  return {
    sample: (base, options) =>
      new Promise((resolve, reject) => {
        waiting.push({ base, options, resolve, reject });
        arrive();
      }),
    none: arrive,
  };
}

/** Carries out every waiting task's missing samples as batches; each task's completions in index order. */
async function carry<Task, Output, Info>(
  provider: Provider,
  carrier: BatchCarrier,
  control: RunControl<Task, Output, Info>,
  tasks: readonly Waiting[],
): Promise<SampledCompletion[][]> {
  const { signal } = control;
  const started = performance.now();
  const journaled = journaledByTask(control);
  const results = tasks.map(() => new Map<number, SampledCompletion>());
  const adopted = new Map<string, Pending[]>();
  const fresh: Pending[] = [];
  tasks.forEach((task, taskNumber) => {
    for (const [index, completion] of planTask(provider, control, task, journaled, adopted, fresh)) results[taskNumber]?.set(index, completion);
  });
  const failed: FailedEntry[] = [];
  const failures: ProviderError[] = [];
  const collect = async (batchId: string, pendings: readonly Pending[]): Promise<void> => {
    const failure = await collectBatch(provider, carrier, control, batchId, pendings, started, results, tasks, failed);
    if (failure !== undefined) failures.push(failure);
  };
  // Adopted entries first: a resumed run polls what it submitted before (or creates the batch of a file it uploaded).
  const polls: Promise<void>[] = [];
  for (const [where, pendings] of adopted) {
    const [kind, id] = splitOnce(where);
    if (kind === 'batch') polls.push(collect(id, pendings));
    else polls.push(submit(provider, carrier, control, pendings, id).then((batchId) => collect(batchId, pendings)));
  }
  for (const chunk of chunks(carrier, fresh)) {
    const batchId = await submit(provider, carrier, control, chunk, undefined);
    polls.push(collect(batchId, chunk));
  }
  const settled = await Promise.allSettled(polls);
  const thrown = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (thrown !== undefined) throw thrown.reason;
  signal.throwIfAborted();
  await retryOrRecord(provider, carrier, control, failed, results, tasks);
  const [first] = failures;
  if (first !== undefined) throw first;
  return tasks.map((_, taskNumber) => [...(results[taskNumber] ?? new Map<number, SampledCompletion>())].sort(([a], [b]) => a - b).map(([, completion]) => completion));
}

/** Uploads (unless `fileId` was) and creates one batch, journaling each id as soon as it exists. */
async function submit<Task, Output, Info>(
  provider: Provider,
  carrier: BatchCarrier,
  control: RunControl<Task, Output, Info>,
  pendings: readonly Pending[],
  fileId: string | undefined,
): Promise<string> {
  const entries = pendings.map((pending) => pending.entry);
  const ids = entries.map((entry) => entry.customId);
  let file = fileId;
  if (file === undefined && carrier.upload !== undefined) {
    file = await carrier.upload(entries, control.signal);
    await control.journal?.batch({ type: 'batch-file', provider: provider.name, fileId: file, entries: ids });
  }
  const batchId = await carrier.create(entries, file, control.signal);
  await control.journal?.batch({ type: 'batch', provider: provider.name, batchId, fileId: file ?? null, ...(file === undefined ? { entries: ids } : {}) });
  return batchId;
}

/** Polls a batch with backoff until it ends, reporting its counts; its status once it has. */
async function awaitBatch<Task, Output, Info>(
  provider: Provider,
  carrier: BatchCarrier,
  control: RunControl<Task, Output, Info>,
  batchId: string,
): Promise<BatchStatus> {
  let interval = carrier.settings.pollInterval;
  for (;;) {
    const status = await carrier.poll(batchId, control.signal);
    control.emit({ type: 'batch', provider: provider.name, batchId, status: status.status, counts: status.counts });
    if (status.state !== 'waiting') return status;
    await wait(interval, control.signal);
    interval = Math.min(carrier.settings.maxPollInterval, interval * 1.5);
  }
}

/**
 * Waits for one batch and hands each result to its task's `onCompletion` (journal, cache) as it
 * is read. Failed entries go to `failed`; a batch that failed whole is returned as the error to
 * throw once the other batches are collected.
 */
async function collectBatch<Task, Output, Info>(
  provider: Provider,
  carrier: BatchCarrier,
  control: RunControl<Task, Output, Info>,
  batchId: string,
  pendings: readonly Pending[],
  started: number,
  results: readonly Map<number, SampledCompletion>[],
  tasks: readonly Waiting[],
  failed: FailedEntry[],
): Promise<ProviderError | undefined> {
  const status = await awaitBatch(provider, carrier, control, batchId);
  const byId = new Map(pendings.map((pending) => [pending.entry.customId, pending]));
  if (status.state === 'failed') {
    for (const pending of pendings) pending.ticket?.settle(zeroUsage, 0, 0);
    await control.journal?.batch({ type: 'batch-end', batchId, status: status.status, state: 'failed' });
    return new ProviderError(
      `${provider.name} batch ${batchId} failed (${status.status}): ${status.message ?? 'no reason given'}. ` +
        'The samples of the other batches are journaled; fix the cause and resume to submit its entries again.',
      { provider: provider.name, isRetryable: false },
    );
  }
  const entries = new Map(pendings.map((pending) => [pending.entry.customId, pending.entry]));
  for await (const result of carrier.results(status, entries, control.signal)) {
    const pending = byId.get(result.customId);
    if (pending === undefined) continue;
    byId.delete(result.customId);
    const taskResults = results[tasks.indexOf(pending.task)];
    if (!result.ok) {
      pending.ticket?.settle(zeroUsage, 0, 0);
      failed.push({ pending, indices: [...pending.wanted], error: entryError(provider, batchId, result.customId, result.reason, result.message) });
      continue;
    }
    const { response } = result;
    const count = pending.entry.n;
    const returned = Math.min(count, response.completions.length);
    if (pending.ticket !== undefined) pending.ticket.settle(response.usage, response.costUsd, returned);
    else control.gate?.charge(response.usage, response.costUsd, returned);
    for (const warning of response.warnings ?? []) pending.task.options.onWarning?.({ code: warning.code, message: `${provider.name}: ${warning.message}` });
    const shares = share(response, count, performance.now() - started, pending.planned.seed);
    await Promise.all(
      shares.map(async (completion, i) => {
        const index = pending.planned.indices[i] ?? i;
        if (!pending.wanted.has(index)) return;
        await pending.task.options.onCompletion?.(index, completion);
        taskResults?.set(index, completion);
      }),
    );
    const short = pending.planned.indices.slice(shares.length).filter((index) => pending.wanted.has(index));
    if (short.length > 0) {
      const message = `returned ${shares.length} of ${count} completions`;
      failed.push({ pending, indices: short, error: entryError(provider, batchId, result.customId, 'errored', message) });
    }
  }
  for (const pending of byId.values()) {
    pending.ticket?.settle(zeroUsage, 0, 0);
    failed.push({ pending, indices: [...pending.wanted], error: entryError(provider, batchId, pending.entry.customId, 'errored', 'no result in the batch output') });
  }
  await control.journal?.batch({ type: 'batch-end', batchId, status: status.status, state: 'ended' });
  return undefined;
}

function entryError(provider: Provider, batchId: string, customId: string, reason: string, message: string): ProviderError {
  return new ProviderError(`${provider.name} batch ${batchId} entry ${customId} ${reason}: ${message}`, {
    provider: provider.name,
    isRetryable: reason !== 'errored',
  });
}

/** Failed entries requested live (one request per sample, under the run's limit and budget) or recorded as failed samples. */
async function retryOrRecord<Task, Output, Info>(
  provider: Provider,
  carrier: BatchCarrier,
  control: RunControl<Task, Output, Info>,
  failed: readonly FailedEntry[],
  results: readonly Map<number, SampledCompletion>[],
  tasks: readonly Waiting[],
): Promise<void> {
  if (failed.length === 0) return;
  const live = carrier.settings.failedEntries === 'live';
  const samples = failed.reduce((sum, entry) => sum + entry.indices.length, 0);
  control.emit({
    type: 'warning',
    code: 'batch-entries-failed',
    message:
      `${samples} ${samples === 1 ? 'sample' : 'samples'} of ${provider.name} batch entries errored, expired or were cancelled ` +
      `(first: ${failed[0]?.error.message}); ${live ? 'requested live, at live prices' : 'recorded as failed samples'}.`,
  });
  await Promise.all(
    failed.map(async ({ pending, indices, error }) => {
      const taskResults = results[tasks.indexOf(pending.task)];
      const { options, base } = pending.task;
      if (!live) {
        options.onRequestError?.(error, indices.length);
        const shares = failedShares(indices.length, error, 0, pending.planned.seed);
        indices.forEach((index, i) => taskResults?.set(index, shares[i] as SampledCompletion));
        return;
      }
      const only = new Set(indices);
      const skip = new Set<number>();
      for (let index = 0; index < options.n; index++) if (!only.has(index)) skip.add(index);
      const completions = await sampleInRun(provider, base.request, { ...options, skip });
      const sorted = [...indices].sort((a, b) => a - b);
      sorted.forEach((index, i) => taskResults?.set(index, completions[i] as SampledCompletion));
    }),
  );
}
