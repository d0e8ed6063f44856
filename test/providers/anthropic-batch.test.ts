import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from 'pauper';
import { anthropic, costOf, iterate } from 'pauper';
import { anthropicCacheRates, defaultPrices } from '../../src/core/pricing.js';
import type { TestServer } from '../servers/common.js';
import type { EntryFault } from '../servers/batch-engine.js';
import { createAnthropicBatches } from '../servers/anthropic-batch.js';
import { startAnthropicServer } from '../servers/anthropic-server.js';

// iterate() in batch mode with the real @anthropic-ai/sdk against the loopback Message Batches API.

const KEY = 'sk-ant-batch-SECRET-0123456789abcdef';
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const responder = ({ messages, lastUserMessage }: { messages: readonly unknown[]; lastUserMessage: string }) => `${'x'.repeat(messages.length)}-${lastUserMessage}`;
const tasks = ['task a', 'task b', 'task c'];

async function batchServer(entryFault?: (customId: string, position: number) => EntryFault | undefined) {
  const batches = createAnthropicBatches({ processingMs: 150, ...(entryFault === undefined ? {} : { entryFault }) });
  const server = await startAnthropicServer({ responder, apiKey: KEY, routes: batches.routes });
  servers.push(server);
  return { server, batches };
}

const run = (provider: ReturnType<typeof anthropic>, events: RunEvent<string>[] = []) =>
  iterate({
    provider,
    tasks,
    evalTasks: ['held out'],
    system: 'Answer.',
    reward: (sample) => sample.text.split('-')[0]!.length,
    samples: 3,
    iterations: 2,
    keep: 2,
    onEvent: (event) => events.push(event),
  });

describe('anthropic batch mode', () => {
  it('sends each iteration as one message batch of one request per sample, breakpoint on the example prefix, at batch prices', async () => {
    const { server, batches } = await batchServer();
    const events: RunEvent<string>[] = [];
    const result = await run(anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } }), events);
    expect(server.requests.filter((request) => request.method === 'POST' && request.path === '/v1/messages')).toHaveLength(0);
    expect(batches.batches.size).toBe(3);
    const all = [...batches.batches.values()];
    for (const batch of all) expect(batch.entries).toHaveLength((tasks.length + 1) * 3);
    // One entry per sample: `<split>-<iteration>-<task>-<index>-1-<prompt hash>`.
    const ids = all[0]!.entries.map((entry) => entry.customId.replace(/-[0-9a-f]{8}$/, ''));
    expect(ids.sort()).toEqual(['eval-0-0', 'train-0-0', 'train-0-1', 'train-0-2'].flatMap((task) => [0, 1, 2].map((index) => `${task}-${index}-1`)).sort());
    // From iteration 1 the folded examples end in a cache breakpoint, as in live requests.
    const later = all[2]!.entries[0]!.body as { messages: { content: string | { cache_control?: unknown }[] }[] };
    const marked = later.messages.filter((message) => Array.isArray(message.content) && message.content.some((block) => block.cache_control !== undefined));
    expect(marked).toHaveLength(1);
    for (const trajectory of result.trajectories) {
      expect(trajectory.ok).toBe(true);
      expect(trajectory.text.endsWith(`-${trajectory.task}`)).toBe(true);
    }
    const prices = { 'claude-haiku-4-5': { ...anthropicCacheRates(1), input: 1, output: 5 } };
    expect(defaultPrices['claude-haiku-4-5']).toEqual(prices['claude-haiku-4-5']);
    expect(result.costUsd).toBeCloseTo(costOf('claude-haiku-4-5', result.usage, { batch: true, prices })!, 12);
    expect(result.costUsd).toBeGreaterThan(0);
    const ended = events.filter((event) => event.type === 'batch' && event.status === 'ended');
    expect(ended).toHaveLength(3);
    expect(events.some((event) => event.type === 'batch' && event.status === 'in_progress')).toBe(true);
  });

  it('a run stopped while its batch processes resumes by polling that batch, not submitting another', async () => {
    const { server, batches } = await batchServer();
    const journal = join(await mkdtemp(join(tmpdir(), 'pauper-anthropic-batch-')), 'run.jsonl');
    const provider = () => anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } });
    const stop = new AbortController();
    const options = { tasks, reward: (sample: { text: string }) => sample.text.length, samples: 3, iterations: 1, journal };
    const stopped = iterate({ ...options, provider: provider(), signal: stop.signal, onEvent: (event) => event.type === 'batch' && stop.abort(new Error('stopped while waiting')) });
    await expect(stopped).rejects.toThrow('stopped while waiting');
    expect(batches.batches.size).toBe(1);
    const resumed = await iterate({ ...options, provider: provider(), resume: true });
    expect(batches.batches.size).toBe(2);
    expect(resumed.trajectories).toHaveLength(2 * tasks.length * 3);
    expect(resumed.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
  });

  it('records expired and errored entries with the reason when asked to', async () => {
    const { server } = await batchServer((customId) => (customId.startsWith('train-1-0-') ? 'expired' : customId.startsWith('train-2-1-0-') ? 'errored' : undefined));
    const result = await run(anthropic({ model: 'claude-haiku-4-5', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10, failedEntries: 'record' } }));
    const failed = result.trajectories.filter((trajectory) => !trajectory.ok);
    expect(failed.map((trajectory) => trajectory.id).sort()).toEqual(['train/1/0/0', 'train/1/0/1', 'train/1/0/2', 'train/2/1/0']);
    const messages = failed.map((trajectory) => (trajectory.ok ? '' : trajectory.failure.message));
    expect(messages.filter((message) => message.includes('expired'))).toHaveLength(3);
    expect(messages.some((message) => message.includes('api_error: Scripted entry failure.'))).toBe(true);
  });
});
