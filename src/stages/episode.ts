import { BudgetExceededError, PauperError } from '../core/errors.js';
import { within } from '../core/wait.js';
import type { Message } from '../core/messages.js';
import { createRng, deriveSeed } from '../core/random.js';
import type { Step, Trajectory } from '../core/trajectory.js';
import type { Usage } from '../core/usage.js';
import { sumUsage } from '../core/usage.js';
import { fromCache, keyOf, readCached, storeCached } from '../run/cache-lookups.js';
import { configErrorStops, type RunControl } from '../run/control.js';
import { CacheMissError } from '../run/response-cache.js';
import { sumCost } from '../core/pricing.js';
import type { RewardValue, RolloutFunction } from '../core/reward.js';
import { checkRewardValue } from './score.js';
import { sampleInRun } from './sample.js';
import type { CollectSettings, TaskBase } from './task.js';
import { failed, identity, rewardContext } from './task.js';

/**
 * Plays one episode: the rollout's `act` sends each turn through the request planner
 * (`sample`, n = 1) under the run's limit and budget, reading and filling the response
 * cache; the whole conversation is the trajectory. Failures are recorded by stage: a turn's
 * request (the budget's refusal included), the rollout itself, or its returned reward.
 */
export async function playEpisode<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  rollout: RolloutFunction<Task, Info>,
  base: TaskBase<Task>,
  index: number,
): Promise<Trajectory<Task, Output, Info>> {
  const episodeSeed = deriveSeed(base.seed, index);
  const conversation = createConversation(settings, control, base, index, episodeSeed);
  let value: unknown;
  let rolloutError: unknown;
  let threw = false;
  try {
    const context = { ...rewardContext(control.signal, base, index), act: conversation.act, rng: createRng(episodeSeed) };
    // Raced against the signal: a rollout that never settles cannot hold up an aborted run.
    value = await within(() => Promise.resolve(rollout(context)), control.race, settings.rewardTimeout, () =>
      new PauperError(`The rollout did not settle within ${settings.rewardTimeout} ms (\`rewardTimeout\`); it was abandoned.`),
    );
  } catch (error) {
    threw = true;
    rolloutError = error;
  }
  control.signal.throwIfAborted();
  const { steps, turns, usages, costs, latencyMs, requestError } = conversation;
  const text = steps.at(-1)?.reply ?? '';
  const common = {
    ...identity(base, index),
    turns,
    text,
    steps,
    usage: sumUsage(usages),
    costUsd: sumCost(costs),
    latencyMs: latencyMs(),
    seed: episodeSeed,
  };
  if (threw) {
    const turnError = requestError();
    // Cut short by the budget: the rollout rethrew the refusal, or wrapped it (its `cause` chain holds it).
    // Once the budget refuses a turn it refuses every later one, so the last failed turn holds the refusal.
    if (turnError instanceof BudgetExceededError && causedBy(rolloutError, turnError)) return failed(common, 'request', turnError);
    return rolloutError === turnError ? failed(common, 'request', rolloutError) : failed(common, 'rollout', rolloutError);
  }
  try {
    const result = checkRewardValue(value as RewardValue<Info>, text);
    return { ...common, ok: true, output: text as Output, reward: result.reward, info: result.info };
  } catch (error) {
    return failed(common, 'reward', error);
  }
}

/** An episode's conversation so far, and the `act` that extends it by one turn. */
function createConversation<Task, Output, Info>(
  settings: CollectSettings<Task, Output, Info>,
  control: RunControl<Task, Output, Info>,
  base: TaskBase<Task>,
  index: number,
  episodeSeed: number,
) {
  const messages: Message[] = [...base.request.messages];
  const turns: Message[] = [...base.taskTurns];
  const steps: Step[] = [];
  const usages: Usage[] = [];
  const costs: (number | null)[] = [];
  let latencyMs = 0;
  let requestError: unknown;

  const act = async (message: string, info?: unknown): Promise<string> => {
    const userTurn: Message = { role: 'user', content: message };
    const sent = [...messages, userTurn];
    const key = control.cache === undefined ? undefined : keyOf(settings, base, sent, index);
    const hit = key === undefined || control.cache === undefined ? undefined : await readCached(control, control.cache, key);
    if (hit === undefined && control.cache?.replay === true && key !== undefined) {
      const miss = new CacheMissError({ key, taskId: base.taskId, split: base.split, iteration: base.iteration, index, step: steps.length });
      // Stop the run, not only this episode: a rollout must not be able to swallow a replay miss.
      control.stop(miss);
      throw miss;
    }
    const [sampled] =
      hit === undefined
        ? await sampleInRun(settings.provider, { ...base.request, messages: sent }, {
            n: 1,
            seed: deriveSeed(episodeSeed, steps.length),
            signal: control.signal,
            limit: control.limit,
            state: control.state,
            onWarning: (warning) => control.emit({ type: 'warning', ...warning }),
            onRequestError: configErrorStops(control),
            gate: control.gate,
          })
        : [fromCache(hit, episodeSeed)];
    if (sampled === undefined) throw new Error('sample returned no completion');
    usages.push(sampled.usage);
    costs.push(sampled.costUsd);
    latencyMs += sampled.latencyMs;
    if (!sampled.ok) {
      requestError = sampled.error;
      throw sampled.error;
    }
    if (hit === undefined && key !== undefined && control.cache !== undefined) {
      await storeCached(control, control.cache, key, sampled.completion, sampled.seed);
    }
    const reply = sampled.completion.text;
    messages.push(userTurn, { role: 'assistant', content: reply });
    turns.push(userTurn, { role: 'assistant', content: reply });
    steps.push(info === undefined ? { message, reply } : { message, reply, info });
    return reply;
  };

  return { act, steps, turns, usages, costs, latencyMs: () => latencyMs, requestError: () => requestError };
}

/** Whether `error` is `cause`, or has it somewhere down its `cause` chain. */
function causedBy(error: unknown, cause: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && current !== null && !seen.has(current); ) {
    if (current === cause) return true;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
