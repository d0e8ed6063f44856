import { afterEach, describe, expect, it } from 'vitest';
import type { Provider } from 'pauper';
import { anthropic, iterate, openai } from 'pauper';
import { startAnthropicServer } from '../servers/anthropic-server.js';
import { serverPool } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// The budget's running figure (stated in `stopped.message`) and the run's reported cost are the same number.

const KEY = 'sk-agree-0123456789abcdef';
const openaiServers = serverPool(startOpenAIServer);
const anthropicServers = serverPool(startAnthropicServer);
afterEach(() => Promise.all([openaiServers.closeAll(), anthropicServers.closeAll()]));

const responder = ({ choiceIndex, requestNumber }: { choiceIndex: number; requestNumber: number }) => `${(requestNumber * 7 + choiceIndex) % 10} tokens of answer`;
const families: [string, () => Promise<Provider>][] = [
  ['openai (cached input)', async () => openai({ model: 'gpt-4.1-mini', apiKey: KEY, baseURL: (await openaiServers.start({ responder })).url })],
  ['anthropic (cache reads and writes)', async () => anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: (await anthropicServers.start({ responder })).url })],
];

describe.each(families)('%s under budget.maxCostUsd', (_family, build) => {
  it('the budget spent exactly the reported cost', async () => {
    const provider = await build();
    const system = `Answer briefly. ${'Context that makes a long cached prefix. '.repeat(200)}`;
    const run = await iterate({
      provider,
      tasks: ['task one', 'task two', 'task three'],
      system,
      reward: (sample) => Number(sample.text.split(' ')[0]),
      samples: 3,
      keep: 2,
      iterations: 30,
      maxOutputTokens: 30,
      budget: { maxCostUsd: 0.02 },
    });
    expect(run.stopped?.reason).toBe('maxCostUsd');
    const cached = run.usage.cachedInputTokens + run.usage.cacheWriteTokens;
    expect(cached).toBeGreaterThan(0);
    const spent = /The run spent \$([\d.]+) in all\./.exec(run.stopped!.message)?.[1];
    expect(spent).toBeDefined();
    expect(Number(spent)).toBe(run.costUsd);
    expect(run.costUsd!).toBeLessThanOrEqual(0.02);
  });
});
