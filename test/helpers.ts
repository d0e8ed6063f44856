import type { Completion, Example, Provider, SampleRequest, Usage } from 'pauper';
import { sampleInRun, type RunSampleOptions } from '../src/stages/sample.js';
import { addUsage, fromFunction, zeroUsage } from 'pauper';

/** A scored trajectory with only the fields a test cares about set. */
export function example(
  fields: Partial<Example<string, string, unknown>> & { reward: number },
): Example<string, string, unknown> {
  const iteration = fields.iteration ?? 0;
  const taskIndex = fields.taskIndex ?? 0;
  const index = fields.index ?? 0;
  const text = fields.text ?? `answer ${fields.reward}`;
  const task = fields.task ?? `task ${taskIndex}`;
  return {
    id: `train/${iteration}/${taskIndex}/${index}`,
    split: 'train',
    iteration,
    taskIndex,
    taskId: fields.taskId ?? `train/${taskIndex}`,
    index,
    task,
    prompt: [],
    turns: fields.turns ?? [
      { role: 'user', content: task },
      { role: 'assistant', content: text },
    ],
    text,
    steps: [],
    usage: zeroUsage,
    costUsd: 0,
    latencyMs: 0,
    seed: 0,
    ok: true,
    output: text,
    info: undefined,
    ...fields,
  };
}

/** What `sampleMany` gathered: the shape of one provider response, for N requests planned by `sample`. */
export interface SampledMany<Parsed> {
  readonly completions: Completion<Parsed>[];
  readonly usage: Usage;
  readonly costUsd: number | null;
  /** Warnings `sample` passed on (each prefixed with the provider's name). */
  readonly warnings: string[];
  /** The errors of failed requests, one per completion they should have made. */
  readonly failures: unknown[];
}

/** N completions from any provider through the request planner (`sample`), summed up like one response. */
export async function sampleMany<Parsed>(
  provider: Provider<Parsed>,
  request: SampleRequest,
  n: number,
  options: Omit<RunSampleOptions, 'n'> = {},
): Promise<SampledMany<Parsed>> {
  const warnings: string[] = [];
  const sampled = await sampleInRun(provider, request, { ...options, n, onWarning: (warning) => warnings.push(warning.message) });
  const completions = sampled.flatMap((entry) => (entry.ok ? [entry.completion as Completion<Parsed>] : []));
  const failures = sampled.flatMap((entry) => (entry.ok ? [] : [entry.error]));
  const costs = sampled.map((entry) => entry.costUsd);
  const costUsd = costs.includes(null) ? null : costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0);
  return { completions, usage: addUsage(...sampled.map((entry) => entry.usage)), costUsd, warnings, failures };
}

/** A function provider that answers after `delayMs` and records the most requests it ever had in flight. */
export function inFlightProbe(delayMs: number, answer = 'x'): { readonly provider: Provider; readonly peak: () => number } {
  let inFlight = 0;
  let peak = 0;
  const provider = fromFunction(async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight--;
    return answer;
  });
  return { provider, peak: () => peak };
}
