import { deriveSeed } from '../core/random.js';
import type { Warning } from '../core/warnings.js';

// The request planner: the one place that turns "N samples for this prompt" into
// requests. Live sampling (`sample.ts`) carries its plans out; a batch mode would
// write the same plans into a batch file instead (see ARCHITECTURE.md).

/** One request the planner decided on: the sample indices its completions fill, in order, and its seed. */
export interface PlannedRequest {
  readonly indices: readonly number[];
  readonly seed: number;
}

/** What a plan depends on. */
export interface PlanInput {
  /** Samples wanted for the prompt. */
  readonly n: number;
  /** The task's seed. */
  readonly seed: number;
  /** Whether one request may ask for several completions: the provider has native `n` and the run has not seen it ignored. */
  readonly nativeN: boolean;
  /** Sample indices already at hand (a journal or a cache holds them): they get no request. */
  readonly skip?: ReadonlySet<number> | undefined;
}

/**
 * The requests for `n` samples: one native-`n` request when the provider has native `n`
 * and nothing is at hand; otherwise one request per missing sample.
 */
export function planRequests(input: PlanInput): PlannedRequest[] {
  const wanted: number[] = [];
  for (let index = 0; index < input.n; index++) if (input.skip?.has(index) !== true) wanted.push(index);
  if (input.nativeN && wanted.length > 1 && wanted.length === input.n) return [{ indices: wanted, seed: input.seed }];
  return oneEach(wanted, input.seed);
}

/** One request per sample index, each with the seed `requestSeed` gives it. */
export function oneEach(indices: readonly number[], seed: number): PlannedRequest[] {
  return indices.map((index) => ({ indices: [index], seed: requestSeed(seed, index) }));
}

/**
 * The seed rule: a request for several samples is sent with the task's seed; a request
 * for sample `index` alone with `deriveSeed(seed, index)`, except sample 0, which gets the
 * task's seed itself. So a native-`n` request answered with one choice (a server ignoring
 * `n`) made the very completion fan-out would have: how many requests went native before
 * a run learned that never changes its samples, and a resumed run matches the original.
 */
export function requestSeed(seed: number, index: number): number {
  return index === 0 ? seed : deriveSeed(seed, index);
}

/** What follows a request for several samples that returned fewer. */
export interface TopUp {
  /** The requests for the samples it did not return, one each. */
  readonly requests: readonly PlannedRequest[];
  /** One choice for several asked: the server ignores `n`, so the rest of the run fans out. */
  readonly ignoresN: boolean;
  /** What to tell the user, once per run. */
  readonly warning: Warning;
}

/** Plans the top-up of a short answer to `planned` (which returned `returned` completions). */
export function topUp(planned: PlannedRequest, returned: number, seed: number, provider: string): TopUp {
  const asked = planned.indices.length;
  const requests = oneEach(planned.indices.slice(returned), seed);
  if (returned === 1) {
    // Asking again for several would bill the prompt for nothing (Ollama answers every request with one).
    return {
      requests,
      ignoresN: true,
      warning: {
        code: 'n-ignored',
        message:
          `${provider} returned 1 of ${asked} completions for one request (it ignores \`n\`); ` +
          'fetching the rest one request at a time for the rest of this run.',
      },
    };
  }
  // A one-off short response: top up this request and stay on native `n`.
  return {
    requests,
    ignoresN: false,
    warning: {
      code: 'short-response',
      message: `${provider} returned ${returned} of ${asked} completions for one request; fetched the rest one request each.`,
    },
  };
}
