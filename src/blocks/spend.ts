import { addCost } from '../core/pricing.js';
import type { ProviderSpend } from '../core/results.js';
import type { SampledBy } from '../core/trajectory.js';
import type { Usage, UsageTotal } from '../core/usage.js';
import { addToTotal, usageTotal } from '../core/usage.js';

const roleOrder: Readonly<Record<ProviderSpend['role'], number>> = { student: 0, teacher: 1, embedder: 2 };

/** One role, provider and model's running sums, added to in place. */
interface Tally {
  readonly role: ProviderSpend['role'];
  readonly provider: string;
  readonly model: string;
  samples: number;
  readonly usage: UsageTotal;
  costUsd: number | null;
}

/**
 * Usage and cost of trajectories (or journaled samples) split by the provider that spent them:
 * one entry per role, provider and model, the student first, then the teacher, then embedders.
 * One without `sampledBy` (built by hand, or journaled before it was recorded) counts as the
 * student's, under `fallback`.
 */
export function spendByProvider(trajectories: Iterable<Spent>, fallback: { readonly name: string; readonly model: string }): ProviderSpend[] {
  const tally = spendTally(fallback);
  tally.add(trajectories);
  return tally.result();
}

/** What a trajectory (or journaled sample) spent, and on whose account. */
type Spent = { readonly usage: Usage; readonly costUsd: number | null; readonly sampledBy?: SampledBy | undefined };

/** `spendByProvider` as a running sum: trajectories added as they come (a split's tasks, as each ends), the spend read at the end. */
export function spendTally(fallback: { readonly name: string; readonly model: string }) {
  const tallies = new Map<string, Tally>();
  // A task's trajectories share one `sampledBy` object: its tally is found once, not keyed per sample.
  let lastBy: SampledBy | undefined;
  let last: Tally | undefined;
  return {
    add(trajectories: Iterable<Spent>): void {
      for (const trajectory of trajectories) {
        const by = trajectory.sampledBy;
        if (last === undefined || by !== lastBy) {
          last = tallyOf(tallies, by?.role ?? 'student', by?.provider ?? fallback.name, by?.model ?? fallback.model);
          lastBy = by;
        }
        add(last, 1, trajectory.usage, trajectory.costUsd);
      }
    },
    result: (): ProviderSpend[] => sortedSpend(tallies.values()),
  };
}

/** Spend lists merged entry by entry (same role, provider and model add up). */
export function mergeSpend(...lists: readonly (readonly ProviderSpend[])[]): ProviderSpend[] {
  const tallies = new Map<string, Tally>();
  for (const list of lists) for (const spend of list) add(tallyOf(tallies, spend.role, spend.provider, spend.model), spend.samples, spend.usage, spend.costUsd);
  return sortedSpend(tallies.values());
}

function tallyOf(tallies: Map<string, Tally>, role: ProviderSpend['role'], provider: string, model: string): Tally {
  const key = `${role}\u0000${provider}\u0000${model}`;
  let tally = tallies.get(key);
  if (tally === undefined) {
    tally = { role, provider, model, samples: 0, usage: usageTotal(), costUsd: 0 };
    tallies.set(key, tally);
  }
  return tally;
}

/** Adds to a tally in place; the cost as `sumCost` adds it. */
function add(tally: Tally, samples: number, usage: Usage, costUsd: number | null): void {
  tally.samples += samples;
  addToTotal(tally.usage, usage);
  tally.costUsd = addCost(tally.costUsd, costUsd);
}

function sortedSpend(tallies: Iterable<Tally>): ProviderSpend[] {
  const spends: ProviderSpend[] = [];
  for (const { role, provider, model, samples, usage, costUsd } of tallies) spends.push({ role, provider, model, samples, usage, costUsd });
  return spends.sort((a, b) => roleOrder[a.role] - roleOrder[b.role] || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
}
