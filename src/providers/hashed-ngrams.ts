import type { Embedder } from '../core/embedding.js';
import { ConfigError } from '../core/errors.js';
import { hash32 } from '../core/random.js';

/** Options of `hashedNgrams`. */
export interface HashedNgramsOptions {
  /** Characters per n-gram. @default 3 */
  readonly n?: number;
  /** Length of every vector: n-grams are hashed into this many buckets. @default 1024 */
  readonly dimensions?: number;
}

/**
 * An offline embedder with no dependency and nothing to fit: each text's character n-grams
 * (lower-cased, spaces collapsed), hashed into `dimensions` buckets with a hashed sign, counts
 * damped by `1 + log(count)`, the vector scaled to length 1. Texts that share many n-grams are
 * close by cosine. What the demo and the tests use; for meaning rather than spelling, use a
 * model (`openaiEmbeddings`).
 */
export function hashedNgrams(options: HashedNgramsOptions = {}): Embedder {
  const n = options.n ?? 3;
  const dimensions = options.dimensions ?? 1024;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('hashedNgrams({ n })', n, 'an integer of at least 1');
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new ConfigError('hashedNgrams({ dimensions })', dimensions, 'an integer of at least 1');
  return {
    name: 'hashed-ngrams',
    model: `n${n}-d${dimensions}`,
    embed: (texts) => texts.map((text) => embedOne(text, n, dimensions)),
  };
}

function embedOne(text: string, n: number, dimensions: number): number[] {
  const normalised = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
  // Counts per distinct n-gram, by its hash.
  const counts = new Map<number, number>();
  for (let start = 0; start + n <= normalised.length; start++) {
    const hash = hash32(normalised.slice(start, start + n));
    counts.set(hash, (counts.get(hash) ?? 0) + 1);
  }
  const vector = new Array<number>(dimensions).fill(0);
  for (const [hash, count] of counts) {
    // The top bit signs the n-gram, so colliding n-grams cancel out on average instead of piling up.
    const sign = hash >>> 31 === 0 ? 1 : -1;
    const index = hash % dimensions;
    vector[index] = (vector[index] ?? 0) + sign * (1 + Math.log(count));
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return norm === 0 ? vector : vector.map((value) => value / norm);
}
