import type { Embedded } from '../core/embedding.js';
import { messageOf, ProviderError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import { sumCost } from '../core/pricing.js';
import type { ProviderSpend } from '../core/results.js';
import type { Usage } from '../core/usage.js';
import { sumUsage, zeroUsage } from '../core/usage.js';
import type { RunControl } from '../run/control.js';
import type { TaskEmbeddings } from './nearest.js';

/** Texts an embedder gets per call unless it says otherwise. */
export const defaultEmbedBatchSize = 256;

/**
 * Embeds the texts of `tasks` a `nearest` folder will compare, once per distinct text: what the
 * run's store already holds is skipped, what the journal holds is restored (and charged to the
 * budget, as restored samples are), the rest is embedded in batches, each journaled as it
 * returns. Returns the embedder's spend, restored batches included; `undefined` when it spent nothing.
 */
export async function embedTasks<Task, Output, Info>(
  embeddings: TaskEmbeddings,
  tasks: Iterable<Task>,
  control: RunControl<Task, Output, Info>,
): Promise<ProviderSpend | undefined> {
  const { embedder, text } = embeddings.spec;
  const key = `${embedder.name}/${embedder.model}`;
  const missing = new Map<string, string>();
  const restoredBatches = new Set<{ readonly usage: Usage; readonly costUsd: number | null }>();
  let restored = 0;
  for (const task of tasks) {
    const taskText = text(task);
    if (embeddings.vectors.has(taskText) || missing.has(taskText)) continue;
    const hash = contentHash(taskText);
    const journaled = control.journal?.embedded(key, hash);
    if (journaled === undefined) {
      missing.set(taskText, hash);
      continue;
    }
    embeddings.vectors.set(taskText, journaled.vector);
    restored++;
    if (!restoredBatches.has(journaled.batch)) {
      restoredBatches.add(journaled.batch);
      control.gate?.charge(journaled.batch.usage, journaled.batch.costUsd, 0);
    }
  }
  const spent = [...restoredBatches];
  const texts = [...missing.keys()];
  const batchSize = embedder.batchSize ?? defaultEmbedBatchSize;
  for (let start = 0; start < texts.length; start += batchSize) {
    control.signal.throwIfAborted();
    const batch = texts.slice(start, start + batchSize);
    const embedded = await callEmbedder(key, embeddings, batch, control.signal);
    control.signal.throwIfAborted();
    batch.forEach((batchText, index) => embeddings.vectors.set(batchText, embedded.vectors[index] ?? []));
    const usage = embedded.usage ?? zeroUsage;
    const costUsd = embedded.costUsd === undefined ? 0 : embedded.costUsd;
    control.gate?.charge(usage, costUsd, 0);
    spent.push({ usage, costUsd });
    await control.journal?.embeddings({
      embedder: key,
      hashes: batch.map((batchText) => missing.get(batchText) ?? contentHash(batchText)),
      vectors: embedded.vectors.map((vector) => [...vector]),
      usage,
      costUsd,
    });
  }
  if (texts.length === 0 && restored === 0) return undefined;
  return {
    role: 'embedder',
    provider: embedder.name,
    model: embedder.model,
    samples: texts.length + restored,
    usage: sumUsage(spent.map((batch) => batch.usage)),
    costUsd: sumCost(spent.map((batch) => batch.costUsd)),
  };
}

/** One call of the embedder, its answer checked: one vector of finite numbers per text, all of one length. */
async function callEmbedder(key: string, embeddings: TaskEmbeddings, texts: readonly string[], signal: AbortSignal): Promise<Embedded> {
  const { embedder } = embeddings.spec;
  let answer: unknown;
  try {
    answer = await embedder.embed(texts, { signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof ProviderError) throw error;
    throw new ProviderError(`The embedder ${key} failed: ${messageOf(error)}`, { isRetryable: false, provider: embedder.name, cause: error });
  }
  const embedded = (Array.isArray(answer) ? { vectors: answer } : answer) as Partial<Embedded> | null;
  const vectors = embedded?.vectors;
  const dimensions = embeddings.vectors.values().next().value?.length ?? vectors?.[0]?.length;
  const bad =
    !Array.isArray(vectors) || vectors.length !== texts.length
      ? `${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${texts.length} texts`
      : vectors.findIndex((vector) => !Array.isArray(vector) || vector.length !== dimensions || !vector.every(Number.isFinite));
  if (typeof bad === 'string' || bad !== -1) {
    const why = typeof bad === 'string' ? bad : `vector ${bad} is not ${dimensions} finite numbers like the others`;
    throw new ProviderError(`The embedder ${key} returned ${why}: return one array of numbers per text, in order, all of one length.`, {
      isRetryable: false,
      provider: embedder.name,
    });
  }
  return embedded as Embedded;
}
