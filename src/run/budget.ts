import { ConfigError } from '../core/errors.js';
import type { SampleRequest } from '../providers/spec.js';
import type { ModelPrice, PriceTable } from '../core/pricing.js';
import { batchPriceMultiplier, costIn, defaultPrices, findPrice, priceShape, roundUsd } from '../core/pricing.js';
import type { BudgetName } from '../core/results.js';
import type { Usage } from '../core/usage.js';

/** Decides whether a request may start, e.g. under a budget (see `budget.ts`). */
export interface RequestGate {
  /**
   * Reserves what the request may cost; `undefined` refuses it (and every later one). `pricing.model`
   * is the model it samples when not the run's own (a fine-tuned one), priced by the same table;
   * `pricing.batch` prices it at batch rates (a batch entry).
   */
  admit(request: SampleRequest, completions: number, pricing?: RequestPricing): GateTicket | undefined;
  /**
   * `admit` for a live request: one that would cross a budget only with what the requests in
   * flight reserved (their worst cases) waits until they settle, since they may use less, and is
   * then admitted or refused. A run that starts a round's requests together thus spends its
   * budget before it ends early, instead of stopping while its worst cases were still reserved.
   * A batch entry uses `admit`: nothing it could wait for settles before its batch is submitted.
   */
  admitLive(request: SampleRequest, completions: number, pricing?: RequestPricing): GateTicket | undefined | Promise<GateTicket | undefined>;
}

/** How the gate prices one request. */
export interface RequestPricing {
  /** The model it samples. @default the run's model */
  readonly model?: string | undefined;
  /** A batch entry, priced at the provider's batch rates. @default false */
  readonly batch?: boolean | undefined;
}

/** An admitted request's reservation, settled with what it really used. */
export interface GateTicket {
  /** Replaces the reservation with what the request used (zero when it failed) and the samples it accounts for. */
  settle(usage: Usage, costUsd: number | null, samples: number): void;
}

/** A request gate that also accounts for samples restored from a journal. */
export interface BudgetGate extends RequestGate {
  /** Counts restored samples against the budgets. */
  charge(usage: Usage, costUsd: number | null, samples: number): void;
  /**
   * Reserves `worstCostUsd` for a fine-tuning job under `maxCostUsd` before it is created;
   * `undefined` refuses it (and every later request). Settled with what the job cost.
   */
  admitTraining(worstCostUsd: number): { settle(costUsd: number | null): void } | undefined;
}

/**
 * Limits on what a whole run may use, restored samples of a resumed run
 * included. The run never starts a request whose worst case could cross one,
 * counting the worst cases of the requests in flight: a request that fits once
 * they settle waits for them; one that does not is refused, and the run
 * finishes the requests in flight and ends early with `result.stopped`.
 */
export interface Budget {
  /** Most US dollars the run may spend. Needs a completion limit (`maxOutputTokens`) and a price for the model. @default no limit */
  readonly maxCostUsd?: number;
  /** Most samples (completions or episodes' requests' completions) the run may request. @default no limit */
  readonly maxSamples?: number;
  /** Most tokens, prompt plus completion, the run may use. Needs a completion limit (`maxOutputTokens`). @default no limit */
  readonly maxTokens?: number;
}


/** A gate that refuses the first request that could cross a budget, and every one after it. */
export interface RunBudgetGate extends BudgetGate {
  /** Set once a request was refused: which budget, and why in words (for `maxCostUsd`, with what the run spent in all when read). */
  readonly exhausted: { readonly budget: BudgetName; readonly message: string } | undefined;
  /**
   * A gate for another provider of the same run (a `teacher`): its requests are bounded and priced
   * with its own model and prices, under the same limits and the same amounts spent. A `ConfigError`
   * naming `option` when the budget needs a price it lacks.
   */
  pricedFor(context: BudgetContext, option: string): BudgetGate;
}

/** What a budget gate needs to bound a request. */
export interface BudgetContext {
  /** The provider's model, priced with `prices`. */
  readonly model: string;
  /** The completion token limit of every request (the `maxOutputTokens` option). */
  readonly completionTokens: number | undefined;
  /** The provider's price table (`Provider.prices`), used as given. @default defaultPrices */
  readonly prices: PriceTable | undefined;
  /** What one completion costs a provider billed per call (`Provider.costPerCall`): it bounds costs instead of `prices`. @default none */
  readonly costPerCall?: number | undefined;
}

/** Validates `budget` (a `ConfigError` names the bad field) and builds its gate; `undefined` without limits. */
export function createBudgetGate(budget: Budget | undefined, context: BudgetContext): RunBudgetGate | undefined {
  if (budget === undefined) return undefined;
  if (typeof budget !== 'object' || budget === null) throw new ConfigError('budget', budget, 'an object { maxCostUsd, maxSamples, maxTokens }');
  const limits: Partial<Record<BudgetName, number>> = {};
  if (budget.maxCostUsd !== undefined) {
    if (typeof budget.maxCostUsd !== 'number' || !Number.isFinite(budget.maxCostUsd) || budget.maxCostUsd <= 0) {
      throw new ConfigError('budget.maxCostUsd', budget.maxCostUsd, 'a positive number of US dollars');
    }
    limits.maxCostUsd = budget.maxCostUsd;
  }
  for (const name of ['maxSamples', 'maxTokens'] as const) {
    const value = budget[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(`budget.${name}`, value, 'an integer of at least 1');
    }
    limits[name] = value;
  }
  if (Object.keys(limits).length === 0) return undefined;
  return budgetGate(limits, context.completionTokens ?? 0, (other, option) => pricing(limits, other, option), pricing(limits, context, 'provider'));
}

/** How a gate bounds and prices one provider's requests, by the model each samples (its own, or a fine-tuned one). */
interface Pricing {
  readonly worstCost: (model: string | undefined) => (inputTokens: number, completions: number) => number;
  readonly priceUsage: (usage: Usage, model: string | undefined) => number | null;
}

/** One provider's pricing under the limits; a `ConfigError` names what the budget needs and is missing. */
function pricing(limits: Partial<Record<BudgetName, number>>, context: BudgetContext, option: string): Pricing {
  const { completionTokens, costPerCall } = context;
  // A cost per call bounds a request's cost without counting its tokens.
  const tokensBoundCost = limits.maxCostUsd !== undefined && costPerCall === undefined;
  const bounded = tokensBoundCost ? 'maxCostUsd' : limits.maxTokens !== undefined ? 'maxTokens' : undefined;
  if (bounded !== undefined && completionTokens === undefined) {
    throw new ConfigError('maxOutputTokens', undefined, `a completion token limit: \`budget.${bounded}\` needs one to bound what a request can use`);
  }
  const prices = context.prices ?? defaultPrices;
  const price = findPrice(context.model, prices);
  if (tokensBoundCost && price === undefined) {
    throw new ConfigError(
      `${option}.prices`,
      context.model,
      `a price for model "${context.model}": \`budget.maxCostUsd\` needs one to bound what a request can cost; ` +
        `give the ${option === 'provider' ? 'provider' : `\`${option}\``} ${priceShape(context.model)}`,
    );
  }
  // A fine-tuned model sampled later has its own price (checked when `fineTune` is resolved).
  const bounds = new Map<string, (inputTokens: number, completions: number) => number>();
  const worstCost = (model: string | undefined) => {
    const key = model ?? context.model;
    let bound = bounds.get(key);
    if (bound === undefined) {
      bound = costBound(costPerCall, key === context.model ? price : findPrice(key, prices), completionTokens ?? 0);
      bounds.set(key, bound);
    }
    return bound;
  };
  return { worstCost, priceUsage: (usage, model) => costIn(prices, model ?? context.model, usage) };
}

/** The most a request can cost, from its prompt tokens (a bound) and completions: per call, or by price. */
function costBound(
  costPerCall: number | undefined,
  price: ModelPrice | undefined,
  completionTokens: number,
): (inputTokens: number, completions: number) => number {
  if (costPerCall !== undefined) return (_inputTokens, completions) => completions * costPerCall;
  if (price === undefined) return () => 0;
  return (inputTokens, completions) =>
    (inputTokens * Math.max(price.input, price.cacheWrite) + completions * completionTokens * price.output) / 1_000_000;
}

interface Amounts {
  costUsd: number;
  samples: number;
  tokens: number;
}

function budgetGate(
  limits: Partial<Record<BudgetName, number>>,
  completionTokens: number,
  pricingFor: (context: BudgetContext, option: string) => Pricing,
  main: Pricing,
): RunBudgetGate {
  const spent: Amounts = { costUsd: 0, samples: 0, tokens: 0 };
  const reserved: Amounts = { costUsd: 0, samples: 0, tokens: 0 };
  // Prompt tokens per byte of message text (plus framing); starts at the byte-level bound of 1.
  let tokensPerByte = 1;
  let refused: { readonly budget: BudgetName; readonly message: string } | undefined;
  // Live requests waiting for reservations to settle (see `admitLive`), woken in order at each settlement.
  let waiting: (() => void)[] = [];
  const settled = (): void => {
    const woken = waiting;
    waiting = [];
    for (const wake of woken) wake();
  };
  const add = (target: Amounts, amounts: Amounts, sign: 1 | -1): void => {
    // Rounded like the run's reported cost (`sumCost`), so the two agree exactly.
    target.costUsd = roundUsd(target.costUsd + sign * amounts.costUsd);
    target.samples += sign * amounts.samples;
    target.tokens += sign * amounts.tokens;
  };
  const fields: Record<BudgetName, keyof Amounts> = { maxCostUsd: 'costUsd', maxSamples: 'samples', maxTokens: 'tokens' };
  const admitTraining = (worstCostUsd: number): { settle(costUsd: number | null): void } | undefined => {
    if (refused !== undefined) return undefined;
    const limit = limits.maxCostUsd;
    const worst: Amounts = { costUsd: worstCostUsd, samples: 0, tokens: 0 };
    if (limit !== undefined && spent.costUsd + reserved.costUsd + worstCostUsd > limit) {
      refused = {
        budget: 'maxCostUsd',
        message:
          `budget.maxCostUsd ($${limit.toFixed(4)}) could be exceeded by the next fine-tuning job: $${(spent.costUsd + reserved.costUsd).toFixed(4)} ` +
          `spent or in flight, up to $${worstCostUsd.toFixed(4)} more; no job was created.`,
      };
      return undefined;
    }
    add(reserved, worst, 1);
    return {
      settle(costUsd) {
        add(reserved, worst, -1);
        // An unknown price counts the reservation: never undercount.
        add(spent, { costUsd: costUsd ?? worstCostUsd, samples: 0, tokens: 0 }, 1);
        settled();
      },
    };
  };
  // Every provider's gate shares the amounts above: the limits bound the run, whoever spends.
  const priced = ({ worstCost, priceUsage }: Pricing): BudgetGate => {
    const spend = (usage: Usage, costUsd: number | null, samples: number, model?: string): void => {
      add(spent, { costUsd: costUsd ?? priceUsage(usage, model) ?? 0, samples, tokens: usage.inputTokens + usage.outputTokens }, 1);
    };
    const admitLive = (request: SampleRequest, completions: number, pricing: RequestPricing = {}): GateTicket | undefined | Promise<GateTicket | undefined> => {
      // The prompt's bytes are counted once: a waiting request decides again at each settlement.
      const bytes = promptBytes(request);
      const attempt = (): GateTicket | undefined | Promise<GateTicket | undefined> => {
        const decided = decide(bytes, completions, pricing, true);
        if (decided !== 'wait') return decided;
        return new Promise<GateTicket | undefined>((resolve) => {
          waiting.push(() => resolve(attempt()));
        });
      };
      return attempt();
    };
    return {
      admitTraining,
      charge: (usage, costUsd, samples) => spend(usage, costUsd, samples),
      admit: (request, completions, pricing = {}) => {
        const decided = decide(promptBytes(request), completions, pricing, false);
        return decided === 'wait' ? undefined : decided;
      },
      admitLive,
    };

    /** For a request of a prompt of `bytes`: a ticket; `undefined` to refuse (and every later request); `'wait'` (only when `live`) while reservations alone stand in the way. */
    function decide(bytes: number, completions: number, pricing: RequestPricing, live: boolean): GateTicket | undefined | 'wait' {
      if (refused !== undefined) return undefined;
      const inputTokens = Math.ceil(bytes * tokensPerByte);
      const outputTokens = completions * completionTokens;
      const worst: Amounts = {
        samples: completions,
        tokens: inputTokens + outputTokens,
        costUsd: worstCost(pricing.model)(inputTokens, completions) * (pricing.batch === true ? batchPriceMultiplier : 1),
      };
      let wait = false;
      for (const [name, limit] of Object.entries(limits) as [BudgetName, number][]) {
        const field = fields[name];
        if (spent[field] + reserved[field] + worst[field] <= limit) continue;
        // What is in flight may use less than it reserved: a live request that fits without it waits.
        if (live && reserved[field] > 0 && spent[field] + worst[field] <= limit) {
          wait = true;
          continue;
        }
        refused = { budget: name, message: exhaustedMessage(name, limit, spent[field] + reserved[field], worst[field]) };
        return undefined;
      }
      if (wait) return 'wait';
      add(reserved, worst, 1);
      return {
        settle(usage, costUsd, samples) {
          add(reserved, worst, -1);
          spend(usage, costUsd, samples, pricing.model);
          // Learn the tokenizer's density from real counts, with a margin; never above the byte bound.
          if (usage.inputTokens > 0) tokensPerByte = Math.min(1, Math.max(tokensPerByte === 1 ? 0 : tokensPerByte, (1.25 * usage.inputTokens) / bytes));
          settled();
        },
      };
    }
  };
  return {
    ...priced(main),
    // Read once the requests in flight have settled: the cost stated is what the run spent in all.
    get exhausted() {
      if (refused?.budget !== 'maxCostUsd') return refused;
      return { budget: refused.budget, message: `${refused.message} The run spent $${spent.costUsd.toFixed(12).replace(/\.?0+$/, '')} in all.` };
    },
    pricedFor: (context, option) => priced(pricingFor(context, option)),
  };
}

/** UTF-8 bytes of the messages plus 8 per message for the chat framing: no tokenizer makes more tokens than that. */
export function promptBytes(request: SampleRequest): number {
  let bytes = 0;
  for (const message of request.messages) bytes += Buffer.byteLength(message.content, 'utf8') + 8;
  return Math.max(1, bytes);
}

function exhaustedMessage(name: BudgetName, limit: number, used: number, next: number): string {
  const format = (value: number): string => (name === 'maxCostUsd' ? `$${value.toFixed(4)}` : String(Math.ceil(value)));
  return (
    `budget.${name} (${format(limit)}) could be exceeded by the next request: ${format(used)} spent or in flight, ` +
    `up to ${format(next)} more; no new request was started.`
  );
}
