// What every bench of RESULTS.md reports for a timed quantity: the median with min–max and the
// number of runs, and the helpers that measure one.

/** A measured quantity over repeated runs: median, min–max and the runs themselves (n = `runsMs.length`). */
export interface Figure {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runsMs: readonly number[];
}

/** Median, min and max of some runs, rounded to 0.01 ms; the runs kept in the order they ran. */
export function summarise(runsMs: readonly number[]): Figure {
  const sorted = [...runsMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { medianMs: round(median), minMs: round(sorted[0] ?? 0), maxMs: round(sorted[sorted.length - 1] ?? 0), runsMs: runsMs.map(round) };
}

/** Wall time of one run in ms, after a garbage collection when `--expose-gc` is on. */
export async function timed(run: () => Promise<unknown>): Promise<number> {
  globalThis.gc?.();
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/**
 * Runs every side `warmups` times to warm up (V8 compiles a library's hot path over its first runs:
 * a short run needs several), then `repeats` rounds of all sides, rotating which goes first, so slow
 * phases of a shared machine fall on every side alike. Returns one `Figure` per side.
 */
export async function interleaved<Name extends string>(
  repeats: number,
  sides: Readonly<Record<Name, () => Promise<unknown>>>,
  warmups = 1,
): Promise<Record<Name, Figure>> {
  const names = Object.keys(sides) as Name[];
  for (let warmup = 0; warmup < warmups; warmup++) for (const name of names) await sides[name]();
  const runs = new Map<Name, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < repeats; round++) {
    for (let offset = 0; offset < names.length; offset++) {
      const name = names[(round + offset) % names.length] as Name;
      runs.get(name)?.push(await timed(sides[name]));
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarise(runs.get(name) ?? [])])) as Record<Name, Figure>;
}

/** Rounds to 0.01. */
export const round = (value: number): number => Math.round(value * 100) / 100;

/** Whether this bench was asked for a fast pass (`--quick` on its command line). */
export const quick = process.argv.includes('--quick');
