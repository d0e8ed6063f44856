import { sumCost } from '../core/pricing.js';
import type { ProviderSpend } from '../core/results.js';
import type { SampledBy } from '../core/trajectory.js';
import type { Usage } from '../core/usage.js';
import { addUsage } from '../core/usage.js';

const roleOrder: Readonly<Record<ProviderSpend['role'], number>> = { student: 0, teacher: 1, embedder: 2 };

/**
 * Usage and cost of trajectories (or journaled samples) split by the provider that spent them:
 * one entry per role, provider and model, the student first, then the teacher, then embedders.
 * One without `sampledBy` (built by hand, or journaled before it was recorded) counts as the
 * student's, under `fallback`.
 */
export function spendByProvider(
  trajectories: Iterable<{ readonly usage: Usage; readonly costUsd: number | null; readonly sampledBy?: SampledBy | undefined }>,
  fallback: { readonly name: string; readonly model: string },
): ProviderSpend[] {
  const byKey = new Map<string, ProviderSpend>();
  for (const trajectory of trajectories) {
    const by = trajectory.sampledBy ?? { role: 'student' as const, provider: fallback.name, model: fallback.model };
    addSpend(byKey, { role: by.role, provider: by.provider, model: by.model, samples: 1, usage: trajectory.usage, costUsd: trajectory.costUsd });
  }
  return sortedSpend(byKey.values());
}

/** Spend lists merged entry by entry (same role, provider and model add up). */
export function mergeSpend(...lists: readonly (readonly ProviderSpend[])[]): ProviderSpend[] {
  const byKey = new Map<string, ProviderSpend>();
  for (const list of lists) for (const spend of list) addSpend(byKey, spend);
  return sortedSpend(byKey.values());
}

function addSpend(byKey: Map<string, ProviderSpend>, spend: ProviderSpend): void {
  const key = `${spend.role}\u0000${spend.provider}\u0000${spend.model}`;
  const earlier = byKey.get(key);
  byKey.set(
    key,
    earlier === undefined
      ? spend
      : { ...earlier, samples: earlier.samples + spend.samples, usage: addUsage(earlier.usage, spend.usage), costUsd: sumCost([earlier.costUsd, spend.costUsd]) },
  );
}

function sortedSpend(spends: Iterable<ProviderSpend>): ProviderSpend[] {
  return [...spends].sort((a, b) => roleOrder[a.role] - roleOrder[b.role] || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
}
