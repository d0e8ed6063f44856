import type { CachedCompletion, RunCache } from './response-cache.js';
import { cacheKey, CacheMissError } from './response-cache.js';
import type { Message } from '../core/messages.js';
import type { Completion, Provider } from '../providers/spec.js';
import type { Split } from '../core/trajectory.js';
import { messageOf } from '../core/errors.js';
import type { RunControl } from './control.js';
import type { SampledCompletion } from '../providers/spec.js';
import { zeroUsage } from '../core/usage.js';


/** What a cache key is made of besides the messages: the model and its parameters. */
export interface CacheKeySettings {
  readonly provider: Pick<Provider, 'name' | 'model'>;
  readonly temperature: number | undefined;
  readonly maxOutputTokens: number | undefined;
}

/** Where a cached sample stands in the run. */
export interface CachePosition {
  readonly taskId: string;
  readonly split: Split;
  readonly iteration: number;
  /** The task's request seed. */
  readonly seed: number;
}

/** The cache key of one sample (of one turn, for an episode). */
export function keyOf(
  settings: CacheKeySettings,
  base: CachePosition,
  messages: readonly Message[],
  index: number,
): string {
  return cacheKey({
    provider: settings.provider.name,
    model: settings.provider.model,
    messages,
    temperature: settings.temperature,
    maxOutputTokens: settings.maxOutputTokens,
    seed: base.seed,
    iteration: base.iteration,
    index,
  });
}

function toCached(completion: Completion, seed: number): CachedCompletion {
  const { text, parsed, finishReason, logprob, error } = completion;
  return {
    text,
    seed,
    ...(parsed === undefined ? {} : { parsed }),
    ...(finishReason === undefined ? {} : { finishReason }),
    ...(logprob === undefined ? {} : { logprob }),
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * A cached completion, or `undefined`. A cache that cannot be read is a miss (with a
 * warning): the sample is requested. Under `replay` there is no request to fall back
 * on, so the read's error stops the run.
 */
export async function readCached<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  cache: RunCache,
  key: string,
): Promise<CachedCompletion | undefined> {
  try {
    return await cache.store.get(key);
  } catch (error) {
    if (cache.replay) {
      control.stop(error);
      throw error;
    }
    cacheFailed(control, 'read', error);
    return undefined;
  }
}

/** Stores a paid completion; a cache that cannot store it (disk full, no file descriptors) costs the sample nothing, only a warning. */
export async function storeCached<Task, Output, Info>(
  control: RunControl<Task, Output, Info>,
  cache: RunCache,
  key: string,
  completion: Completion,
  seed: number,
): Promise<void> {
  try {
    await cache.store.set(key, toCached(completion, seed));
  } catch (error) {
    cacheFailed(control, 'store', error);
  }
}

/** Warns once per kind of cache failure in a run (by error code, else message: a path in the message would make each one new). */
function cacheFailed<Task, Output, Info>(control: RunControl<Task, Output, Info>, action: 'read' | 'store', error: unknown): void {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const kind = `cache ${action}: ${typeof code === 'string' ? code : messageOf(error)}`;
  if (control.state.warned.has(kind)) return;
  control.state.warned.add(kind);
  const message =
    action === 'read'
      ? `The response cache could not be read (${messageOf(error)}); the sample was requested as on a cache miss.`
      : `The response cache could not store a completion (${messageOf(error)}); the sample is kept, but not cached.`;
  control.emit({ type: 'warning', code: 'cache-failed', message: `${message} Further cache failures like this one are not reported.` })
}

/**
 * A cache hit as a sampled completion: free, with the seed its request was sent
 * with (entries written before seeds were cached report `fallbackSeed`).
 */
export function fromCache(cached: CachedCompletion, fallbackSeed: number): SampledCompletion & { readonly ok: true } {
  const { seed, ...completion } = cached;
  // A store is outside pauper's hands (a file someone edited): a seed that is not one is not trusted.
  const requestSeed = Number.isInteger(seed) && (seed as number) >= 0 ? (seed as number) : fallbackSeed;
  return { ok: true, completion, usage: zeroUsage, costUsd: 0, latencyMs: 0, seed: requestSeed, requestAsked: 0, requestCompletions: 0 };
}

/** Cached completions of a task's samples not restored from a journal. A cache hit costs nothing. */
export async function cachedCompletions<Task, Output, Info>(
  settings: CacheKeySettings & { readonly samples: number },
  control: RunControl<Task, Output, Info>,
  base: CachePosition & { readonly request: { readonly messages: readonly Message[] } },
  restored: ReadonlyMap<number, unknown>,
): Promise<Map<number, SampledCompletion>> {
  const hits = new Map<number, SampledCompletion>();
  const cache = control.cache;
  if (cache === undefined) return hits;
  for (let index = 0; index < settings.samples; index++) {
    if (restored.has(index)) continue;
    const key = keyOf(settings, base, base.request.messages, index);
    const completion = await readCached(control, cache, key);
    if (completion !== undefined) {
      hits.set(index, fromCache(completion, base.seed));
    } else if (cache.replay) {
      throw new CacheMissError({ key, taskId: base.taskId, split: base.split, iteration: base.iteration, index });
    }
  }
  return hits;
}

