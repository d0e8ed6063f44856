import { BudgetExceededError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import type { Split } from '../core/trajectory.js';
import type { BatchCarrier, BatchEntry, Provider, SampledCompletion } from '../providers/spec.js';
import type { GateTicket } from '../run/budget.js';
import type { RunControl } from '../run/control.js';
import type { PlannedRequest } from './plan.js';
import { planRequests, requestSeed } from './plan.js';
import type { RunSampleOptions } from './sample.js';
import { failedShares } from './sample.js';
import type { TaskBase } from './task.js';

// What batch mode sends: each task's entries (those a journaled batch already holds, then the
// request planner's for the rest), their `custom_id`s, and the split at a batch's limits.

/** One task waiting for the batch. */
export interface Waiting {
  readonly base: TaskBase<unknown>;
  readonly options: RunSampleOptions;
  readonly resolve: (completions: SampledCompletion[]) => void;
  readonly reject: (error: unknown) => void;
}

/** One entry of a batch: the task it serves and the sample indices its completions fill. */
export interface Pending {
  readonly task: Waiting;
  readonly entry: BatchEntry;
  readonly planned: PlannedRequest;
  /** The budget's reservation for a new entry; an entry a resumed run adopts was paid for already and is charged as it arrives. */
  readonly ticket: GateTicket | undefined;
  /** The indices the task still needs (an adopted entry may fill some the journal already holds). */
  readonly wanted: ReadonlySet<number>;
}

/** The `custom_id` of an entry: where it stands, the indices it fills and its prompt's hash (`train-2-14-0-4-1a2b3c4d`). */
export function entryId(base: Pick<TaskBase<unknown>, 'split' | 'iteration' | 'taskIndex'>, promptHash: string, planned: PlannedRequest): string {
  return `${base.split}-${base.iteration}-${base.taskIndex}-${planned.indices[0] ?? 0}-${planned.indices.length}-${promptHash.slice(0, 8)}`;
}

/** An entry id read back: its task, prompt hash and indices; `undefined` for one pauper did not write. */
function parseEntryId(id: string): { readonly task: string; readonly first: number; readonly count: number } | undefined {
  const match = /^(train|eval)-(\d+)-(\d+)-(\d+)-(\d+)-([0-9a-f]{8})$/.exec(id);
  if (match === null) return undefined;
  const [, split, iteration, taskIndex, first, count, hash] = match;
  return { task: taskKey(split as Split, Number(iteration), Number(taskIndex), hash ?? ''), first: Number(first), count: Number(count) };
}

function taskKey(split: Split, iteration: number, taskIndex: number, hash: string): string {
  return `${split}-${iteration}-${taskIndex}-${hash}`;
}

/** The journal's batch entries grouped by task and prompt: what a resumed run adopts instead of planning again. */
export function journaledByTask<Task, Output, Info>(control: RunControl<Task, Output, Info>) {
  const byTask = new Map<string, { id: string; first: number; count: number; where: string }[]>();
  for (const [id, entry] of control.journal?.batches ?? []) {
    const parsed = parseEntryId(id);
    if (parsed === undefined) continue;
    const where = entry.batchId === undefined ? `file:${entry.fileId ?? ''}` : `batch:${entry.batchId}`;
    const list = byTask.get(parsed.task) ?? [];
    list.push({ id, first: parsed.first, count: parsed.count, where });
    byTask.set(parsed.task, list);
  }
  return byTask;
}

/**
 * One task's entries: those a journaled batch already holds (adopted, grouped by batch or file),
 * then the planner's requests for the rest, each admitted under the budget at batch prices. Returns
 * the completions settled now: budget refusals.
 */
export function planTask<Task, Output, Info>(
  provider: Provider,
  control: RunControl<Task, Output, Info>,
  task: Waiting,
  journaled: ReturnType<typeof journaledByTask>,
  adopted: Map<string, Pending[]>,
  fresh: Pending[],
): Map<number, SampledCompletion> {
  const { base, options } = task;
  const seed = options.seed ?? 0;
  const hash = contentHash(base.prompt);
  const missing = new Set<number>();
  for (let index = 0; index < options.n; index++) if (options.skip?.has(index) !== true) missing.add(index);
  const request = (planned: PlannedRequest) => ({ ...base.request, seed: planned.seed });
  for (const held of journaled.get(taskKey(base.split, base.iteration, base.taskIndex, hash.slice(0, 8))) ?? []) {
    const indices = Array.from({ length: held.count }, (_, i) => held.first + i);
    if (!indices.some((index) => missing.has(index))) continue;
    const planned: PlannedRequest = { indices, seed: held.count > 1 ? seed : requestSeed(seed, held.first) };
    const wanted = new Set(indices.filter((index) => missing.has(index)));
    for (const index of wanted) missing.delete(index);
    const list = adopted.get(held.where) ?? [];
    list.push({ task, entry: { customId: held.id, request: request(planned), n: held.count }, planned, ticket: undefined, wanted });
    adopted.set(held.where, list);
  }
  const skip = new Set<number>();
  for (let index = 0; index < options.n; index++) if (!missing.has(index)) skip.add(index);
  const nativeN = provider.capabilities.nativeN && control.state.fanOut !== true;
  const refusedNow = new Map<number, SampledCompletion>();
  for (const planned of planRequests({ n: options.n, seed, nativeN, skip })) {
    const entry: BatchEntry = { customId: entryId(base, hash, planned), request: request(planned), n: planned.indices.length };
    const ticket = options.gate?.admit(entry.request, entry.n, { model: provider.model, batch: provider.batch?.batchPrices === true });
    if (options.gate !== undefined && ticket === undefined) {
      const refused = failedShares(entry.n, new BudgetExceededError('budget', 'The run budget does not admit this batch entry.'), 0, planned.seed);
      planned.indices.forEach((index, i) => refusedNow.set(index, refused[i] as SampledCompletion));
      continue;
    }
    fresh.push({ task, entry, planned, ticket, wanted: new Set(planned.indices) });
  }
  return refusedNow;
}

/** The entries split at the carrier's limits: requests and input bytes per batch. */
export function chunks(carrier: BatchCarrier, pendings: readonly Pending[]): Pending[][] {
  const out: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const pending of pendings) {
    const size = carrier.size(pending.entry);
    if (current.length > 0 && (current.length >= carrier.limits.requests || bytes + size > carrier.limits.bytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(pending);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** `batch:<id>` → `['batch', id]`. */
export function splitOnce(where: string): [string, string] {
  const at = where.indexOf(':');
  return [where.slice(0, at), where.slice(at + 1)];
}
