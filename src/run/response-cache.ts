import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { ConfigError, PauperError } from '../core/errors.js';
import { stableJson } from '../core/fingerprint.js';
import type { Message } from '../core/messages.js';
import type { Split } from '../core/trajectory.js';

/** One cached completion: what the provider returned for one sample. */
export interface CachedCompletion {
  readonly text: string;
  /** The value a structured-output provider parsed from `text`, if any. */
  readonly parsed?: unknown;
  readonly finishReason?: string;
  readonly logprob?: number;
  /** The provider's parse error for this completion, if any. */
  readonly error?: string;
  /** The seed the request was sent with, so a replayed trajectory matches the live one. */
  readonly seed?: number;
}

/**
 * Where responses are kept, by key (see `cacheKey`). `memoryCache`,
 * `directoryCache` and `jsonlCache` implement it; any key-value store can.
 */
export interface ResponseCache {
  /** The completion stored under `key`, or `undefined`. */
  get(key: string): CachedCompletion | undefined | Promise<CachedCompletion | undefined>;
  /** Stores a completion under `key`. */
  set(key: string, completion: CachedCompletion): void | Promise<void>;
}

/** What identifies one cached sample. */
export interface CacheKeyParts {
  /** Provider family, e.g. `openai`. */
  readonly provider: string;
  /** Model name as sent to the API. */
  readonly model: string;
  /** The full request: system prompt, folded examples, the task's turns (and an episode's turns so far). */
  readonly messages: readonly Message[];
  /** Sampling temperature of the request. */
  readonly temperature: number | undefined;
  /** Completion token limit of the request. */
  readonly maxOutputTokens: number | undefined;
  /** The task's seed in the run (before per-request derivation). */
  readonly seed: number;
  readonly iteration: number;
  /** Sample index within the task: N samples of one prompt never share a key. */
  readonly index: number;
}

/** The SHA-256 of the parts' stable JSON: equal requests at the same iteration and sample index share a key. */
export function cacheKey(parts: CacheKeyParts): string {
  const { provider, model, messages, temperature, maxOutputTokens, seed, iteration, index } = parts;
  // `maxTokens` is the key's name for the output cap since the first release: renaming it would miss every cached entry.
  const value = { provider, model, messages, temperature, maxTokens: maxOutputTokens, seed, iteration, index };
  return createHash('sha256').update(stableJson(value)).digest('hex');
}

/** `replay` met a sample that is not in the cache. Names the sample so you can tell what changed. */
export class CacheMissError extends PauperError {
  override name = 'CacheMissError';
  /** The missing cache key. */
  readonly key: string;
  /** The task whose sample was missing. */
  readonly taskId: string;
  readonly split: Split;
  readonly iteration: number;
  /** The sample index within the task. */
  readonly index: number;

  constructor(where: { key: string; taskId: string; split: Split; iteration: number; index: number; step?: number }) {
    const step = where.step === undefined ? '' : `, turn ${where.step}`;
    super(
      `Replay found no cached response for task ${where.taskId} (${where.split}, iteration ${where.iteration}, ` +
        `sample ${where.index}${step}; key ${where.key.slice(0, 12)}). The prompt or parameters differ from the ` +
        'cached run; run without `replay` to sample it.',
    );
    this.key = where.key;
    this.taskId = where.taskId;
    this.split = where.split;
    this.iteration = where.iteration;
    this.index = where.index;
  }
}

/** A cache in memory, for the life of the object (share it between runs). */
export function memoryCache(): ResponseCache {
  const entries = new Map<string, CachedCompletion>();
  return {
    get: (key) => entries.get(key),
    set: (key, completion) => {
      entries.set(key, completion);
    },
  };
}

/** Files a `directoryCache` has open at most: a run of thousands of samples must not run out of file descriptors. */
const openFiles = 32;

/**
 * A cache on disk, one JSON file per key in `path` (created when needed); each
 * file is written whole, then renamed into place. At most 32 files are open at once.
 */
export function directoryCache(path: string): ResponseCache {
  if (typeof path !== 'string' || path === '') throw new ConfigError('directoryCache(path)', path, 'a directory path');
  let created: Promise<unknown> | undefined;
  const limit = pLimit(openFiles);
  return {
    get: (key) =>
      limit(async () => {
        try {
          return JSON.parse(await readFile(join(path, `${key}.json`), 'utf8')) as CachedCompletion;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw error;
        }
      }),
    async set(key, completion) {
      // A failed mkdir is tried again by the next store rather than failing every one after it.
      created ??= mkdir(path, { recursive: true }).catch((error: unknown) => {
        created = undefined;
        throw error;
      });
      await created;
      const file = join(path, `${key}.json`);
      const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await limit(async () => {
        try {
          await writeFile(temporary, JSON.stringify(completion));
          await rename(temporary, file);
        } catch (error) {
          await rm(temporary, { force: true }).catch(() => {});
          throw error;
        }
      });
    },
  };
}

/**
 * A cache in one JSONL file (`{ key, completion }` a line), read once on first
 * use and appended to; a partial or bad line (a crash mid-write) is a miss.
 */
export function jsonlCache(path: string): ResponseCache {
  if (typeof path !== 'string' || path === '') throw new ConfigError('jsonlCache(path)', path, 'a file path');
  let loaded: Promise<Map<string, CachedCompletion>> | undefined;
  let appended: Promise<void> = Promise.resolve();
  const load = (): Promise<Map<string, CachedCompletion>> =>
    (loaded ??= (async () => {
      const entries = new Map<string, CachedCompletion>();
      let text = '';
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await mkdir(dirname(path), { recursive: true });
      }
      // A partial last line (no newline yet) is left out, and the next append starts a fresh line.
      const lines = text.split('\n');
      if (!text.endsWith('\n') && text !== '') appended = appendFile(path, '\n').catch(() => {});
      for (const line of lines.slice(0, -1)) {
        try {
          const entry = JSON.parse(line) as { key?: unknown; completion?: unknown };
          if (typeof entry.key === 'string' && typeof entry.completion === 'object' && entry.completion !== null) {
            entries.set(entry.key, entry.completion as CachedCompletion);
          }
        } catch {
          // Not a complete entry: a miss.
        }
      }
      return entries;
    })());
  return {
    async get(key) {
      return (await load()).get(key);
    },
    async set(key, completion) {
      const entries = await load();
      entries.set(key, completion);
      const line = `${JSON.stringify({ key, completion })}\n`;
      const write = appended.then(() => appendFile(path, line));
      appended = write.catch(() => {});
      await write;
    },
  };
}

/** A cache from the `cache` option: a store, or a path (`.jsonl` → `jsonlCache`, anything else → `directoryCache`). */
export function resolveCache(value: ResponseCache | string | undefined): ResponseCache | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.endsWith('.jsonl') ? jsonlCache(value) : directoryCache(value);
  if (typeof value !== 'object' || value === null || typeof value.get !== 'function' || typeof value.set !== 'function') {
    throw new ConfigError('cache', value, 'a path, or a ResponseCache such as memoryCache()');
  }
  return value;
}

/** A response cache and whether it is replayed (a miss throws instead of calling the model). */
export interface RunCache {
  readonly store: ResponseCache;
  readonly replay: boolean;
}
