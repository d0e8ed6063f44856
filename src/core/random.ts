/** A seeded source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * A seeded generator (mulberry32). The same seed gives the same sequence on
 * every platform; there is no global state.
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derives an independent 32-bit seed from a base seed and a path of labels,
 * e.g. `deriveSeed(seed, 'sample', iteration, task, index)`.
 */
export function deriveSeed(seed: number, ...path: readonly (string | number)[]): number {
  return hash32(`${seed >>> 0}/${path.join('/')}`);
}

/** FNV-1a over the UTF-16 code units, then a murmur finaliser. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform integer in [min, max]. */
export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}
