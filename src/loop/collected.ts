import { rewardStatsOf, splitStats } from '../blocks/stats.js';
import { flatten } from '../core/flatten.js';
import { sumCost } from '../core/pricing.js';
import type { ProviderSpend, SplitStats } from '../core/results.js';
import { spendTally } from '../blocks/spend.js';
import type { Example, Trajectory } from '../core/trajectory.js';
import { scoredOnly } from '../core/trajectory.js';
import type { Usage } from '../core/usage.js';
import { addToTotal, sumUsage, usageTotal } from '../core/usage.js';
import type { RunControl } from '../run/control.js';
import { collectEachTask } from '../stages/collect.js';
import type { BatchSession } from '../stages/batch.js';
import type { PoolBound } from '../stages/select.js';
import { byReward } from '../stages/select.js';
import type { CollectSettings, TaskBase } from '../stages/task.js';

// What an iteration keeps of one split (its training or its held-out tasks) as the tasks finish:
// every trajectory, or, when they are left in the journal, only what the statistics and the
// selector need (each sample's reward and cost, and the candidates for the kept set).

/** One split of one iteration, collected. */
export interface CollectedSplit<Task, Output, Info> {
  readonly stats: SplitStats;
  /** Every trajectory, ordered by task then sample index; `undefined` when they were left in the journal. */
  readonly trajectories: Trajectory<Task, Output, Info>[] | undefined;
  /** How many trajectories the split produced. */
  readonly count: number;
  /** The scored trajectories the selector sees, in trajectory order: all of them, or the best that the selector's bound needs. */
  readonly candidates: Example<Task, Output, Info>[];
  /** The highest-reward scored trajectory (see `byReward`); `undefined` when none was scored. */
  readonly best: Example<Task, Output, Info> | undefined;
  /** The first trajectory in order: what a warning names when none was scored. */
  readonly first: Trajectory<Task, Output, Info> | undefined;
  /** Usage and cost by the provider that spent them (see `spendByProvider`). */
  readonly byProvider: readonly ProviderSpend[];
}

/** How a split is collected. */
export interface CollectSplitOptions {
  /** Keep every trajectory (`trajectories: 'memory'`), or only what statistics and selection need. */
  readonly hold: boolean;
  /** Which scored trajectories selection needs: all, the best within a bound, or none (held-out tasks). */
  readonly pool: 'all' | 'none' | PoolBound;
  /** The batch session that carries the split's requests in batch mode; `undefined` samples live. */
  readonly batch?: BatchSession | undefined;
}

/** What a task leaves behind when its trajectories are not held: its rewards and costs in order, usage and count. */
interface TaskColumns {
  readonly samples: number;
  readonly rewards: number[];
  /** `null` when a sample's price was unknown. */
  readonly costs: number[] | null;
  readonly usage: Usage;
}

/** Samples and scores every task of a split (see `collectEachTask`) and keeps what `options` asks. */
export async function collectSplit<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  bases: readonly TaskBase<Task>[],
  options: CollectSplitOptions,
): Promise<CollectedSplit<Task, Output, Info>> {
  const started = performance.now();
  const held: Trajectory<Task, Output, Info>[][] = [];
  const columns: TaskColumns[] = [];
  const candidates = candidatePool<Task, Output, Info>(options.hold ? 'none' : options.pool);
  let first: { readonly position: number; readonly trajectory: Trajectory<Task, Output, Info> } | undefined;
  let best: Example<Task, Output, Info> | undefined;
  const spend = spendTally(settings.provider);
  const take = (position: number, trajectories: Trajectory<Task, Output, Info>[]): void => {
    spend.add(trajectories);
    if (options.hold) held[position] = trajectories;
    else columns[position] = columnsOf(trajectories);
    const head = trajectories[0];
    if (head !== undefined && (first === undefined || position < first.position)) first = { position, trajectory: head };
    for (const trajectory of trajectories) {
      if (!trajectory.ok) continue;
      candidates.offer(trajectory);
      if (best === undefined || byReward(trajectory, best) < 0) best = trajectory;
    }
  };
  await collectEachTask(settings, control, bases, take, options.batch);
  const wallTimeMs = performance.now() - started;
  if (options.hold) {
    const trajectories = flatten(held);
    const fresh = options.pool === 'none' ? [] : scoredOnly(trajectories);
    return { stats: splitStats(trajectories, wallTimeMs), trajectories, count: trajectories.length, candidates: fresh, best, first: first?.trajectory, byProvider: spend.result() };
  }
  const tasks = columns.filter((task) => task !== undefined);
  return {
    stats: columnStats(tasks, wallTimeMs),
    trajectories: undefined,
    count: tasks.reduce((sum, task) => sum + task.samples, 0),
    candidates: candidates.result(),
    best,
    first: first?.trajectory,
    byProvider: spend.result(),
  };
}

function columnsOf(trajectories: readonly Trajectory<unknown, unknown, unknown>[]): TaskColumns {
  const rewards: number[] = [];
  let costs: number[] | null = [];
  const usage = usageTotal();
  for (const trajectory of trajectories) {
    if (trajectory.ok && trajectory.reward !== null) rewards.push(trajectory.reward);
    if (trajectory.costUsd === null) costs = null;
    else costs?.push(trajectory.costUsd);
    addToTotal(usage, trajectory.usage);
  }
  return { samples: trajectories.length, rewards, costs, usage };
}

/** `splitStats` from the tasks' columns, in task order: the same figures, bit for bit, without the trajectories. */
function columnStats(tasks: readonly TaskColumns[], wallTimeMs: number): SplitStats {
  const samples = tasks.reduce((sum, task) => sum + task.samples, 0);
  const rewards: number[] = [];
  const costs: number[] = [];
  let priced = true;
  for (const task of tasks) {
    for (const reward of task.rewards) rewards.push(reward);
    if (task.costs === null) priced = false;
    else if (priced) for (const cost of task.costs) costs.push(cost);
  }
  return {
    ...rewardStatsOf(rewards, samples),
    usage: sumUsage(tasks.map((task) => task.usage)),
    costUsd: priced ? sumCost(costs) : null,
    wallTimeMs,
  };
}

/**
 * The scored trajectories selection will see. Under a bound, each group (the whole split, or
 * each task id) keeps its `count` best, trimmed whenever it reaches twice that; the result is in
 * trajectory order (task, then sample index), as the whole pool would be.
 */
function candidatePool<Task, Output, Info>(pool: CollectSplitOptions['pool']) {
  const groups = new Map<string, Example<Task, Output, Info>[]>();
  const bound = typeof pool === 'object' ? pool : undefined;
  const trim = (group: Example<Task, Output, Info>[], count: number): void => {
    group.sort(byReward);
    group.length = Math.min(group.length, count);
  };
  return {
    offer(example: Example<Task, Output, Info>): void {
      if (pool === 'none') return;
      const key = bound?.perTask === true ? example.taskId : '';
      let group = groups.get(key);
      if (group === undefined) {
        group = [];
        groups.set(key, group);
      }
      group.push(example);
      if (bound !== undefined && group.length >= 2 * bound.count) trim(group, bound.count);
    },
    result(): Example<Task, Output, Info>[] {
      const all: Example<Task, Output, Info>[] = [];
      for (const group of groups.values()) {
        if (bound !== undefined) trim(group, bound.count);
        for (const example of group) all.push(example);
      }
      return all.sort((a, b) => a.taskIndex - b.taskIndex || a.index - b.index);
    },
  };
}
