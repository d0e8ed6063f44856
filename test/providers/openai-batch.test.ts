import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from 'pauper';
import { costOf, estimate, fromFunction, iterate, openai, ProviderError } from 'pauper';
import type { TestServer } from '../servers/common.js';
import type { EntryFault } from '../servers/batch-engine.js';
import { createOpenAIBatches } from '../servers/openai-batch.js';
import { createOpenAIFiles } from '../servers/openai-files.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// iterate() in batch mode with the real openai SDK against the loopback Batch API.

const KEY = 'sk-batch-SECRET-0123456789abcdefghij';
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const responder = ({ messages, choiceIndex, lastUserMessage }: { messages: readonly unknown[]; choiceIndex: number; lastUserMessage: string }) =>
  `${'x'.repeat(messages.length)}-${choiceIndex}-${lastUserMessage}`;
const tasks = ['task a', 'task b', 'task c'];

async function batchServer(options: { entryFault?: (customId: string, position: number) => EntryFault | undefined; failBatch?: (n: number) => string | undefined } = {}) {
  const files = createOpenAIFiles();
  const batches = createOpenAIBatches(files, { processingMs: 200, ...options });
  const server = await startOpenAIServer({ responder, apiKey: KEY, routes: [...files.routes, ...batches.routes] });
  servers.push(server);
  return { server, files, batches };
}

const run = (provider: ReturnType<typeof openai>, events: RunEvent<string>[] = [], maxErrors = 25) =>
  iterate({
    provider,
    tasks,
    evalTasks: ['held out'],
    system: 'Answer.',
    reward: (sample) => sample.text.split('-')[0]!.length,
    samples: 4,
    iterations: 2,
    keep: 2,
    maxErrors,
    onEvent: (event) => events.push(event),
  });

const completionsPosted = (server: TestServer) => server.requests.filter((request) => request.path.endsWith('/chat/completions')).length;

describe('openai batch mode', () => {
  it('sends each iteration (train and held-out) as one batch of native-n entries, at batch prices, with the results of a live run', async () => {
    const { server, files, batches } = await batchServer();
    const events: RunEvent<string>[] = [];
    const batched = await run(openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } }), events);
    expect(completionsPosted(server)).toBe(0);
    expect(batches.batches.size).toBe(3);
    for (const batch of batches.batches.values()) {
      expect(batch.entries).toHaveLength(tasks.length + 1);
      expect(batch.entries.every((entry) => entry.body.n === 4)).toBe(true);
    }
    const input = [...files.files.values()].filter((file) => file.purpose === 'batch');
    expect(input).toHaveLength(3);
    const first = [...batches.batches.values()][0]!.entries.map((entry) => entry.customId);
    expect(first).toEqual(expect.arrayContaining([expect.stringMatching(/^train-0-0-0-4-[0-9a-f]{8}$/), expect.stringMatching(/^eval-0-0-0-4-[0-9a-f]{8}$/)]));
    // Each sample is its own task's answer: the custom_id took it back to the right task and index.
    for (const trajectory of batched.trajectories) {
      expect(trajectory.ok).toBe(true);
      expect(trajectory.text.endsWith(`-${trajectory.index}-${trajectory.task}`)).toBe(true);
    }
    expect(batched.costUsd).toBeGreaterThan(0);
    expect(batched.costUsd).toBeCloseTo(costOf('gpt-4o-mini', batched.usage, { batch: true })!, 12);
    // Polled with the status moving validating → in_progress → finalizing → completed.
    const statuses = events.flatMap((event) => (event.type === 'batch' ? [event.status] : []));
    expect(statuses.some((status) => ['validating', 'in_progress', 'finalizing'].includes(status))).toBe(true);
    expect(statuses.filter((status) => status === 'completed')).toHaveLength(3);

    const live = await startOpenAIServer({ responder, apiKey: KEY });
    servers.push(live);
    const reference = await run(openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: live.url }));
    expect(batched.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward])).toEqual(
      reference.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward]),
    );
    expect(batched.costUsd).toBeCloseTo(reference.costUsd! / 2, 6);
  });

  it('requests errored, expired and cancelled entries live by default, and records them with the reason on request', async () => {
    const faults: Record<string, EntryFault> = { 'train-0-1': 'errored', 'train-1-2': 'expired', 'eval-2-0': 'cancelled' };
    const entryFault = (customId: string) => faults[customId.split('-').slice(0, 3).join('-')];
    const { server } = await batchServer({ entryFault });
    const events: RunEvent<string>[] = [];
    const retried = await run(openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } }), events);
    // One live request per failed entry, keeping native n.
    expect(completionsPosted(server)).toBe(3);
    expect(retried.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(events.filter((event) => event.type === 'warning' && event.code === 'batch-entries-failed')).toHaveLength(3);

    const recordedServer = await batchServer({ entryFault });
    const recorded = await run(openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: recordedServer.server.url, batch: { pollInterval: 10, failedEntries: 'record' } }));
    expect(completionsPosted(recordedServer.server)).toBe(0);
    const failed = recorded.trajectories.filter((trajectory) => !trajectory.ok);
    expect(failed).toHaveLength(3 * 4);
    const reasons = failed.map((trajectory) => (trajectory.ok ? '' : trajectory.failure.message));
    expect(reasons.some((reason) => reason.includes('expired') && reason.includes('batch_expired'))).toBe(true);
    expect(reasons.some((reason) => reason.includes('cancelled'))).toBe(true);
    expect(reasons.some((reason) => reason.includes('Scripted entry failure'))).toBe(true);
  });

  it('a batch that fails whole is a ProviderError naming it and its reason; a resume submits its entries again', async () => {
    let failing = true;
    const { server, batches } = await batchServer({ failBatch: (number) => (failing && number === 2 ? 'Line 1: unknown model.' : undefined) });
    const journal = join(await mkdtemp(join(tmpdir(), 'pauper-openai-batch-')), 'run.jsonl');
    const options = (resume: boolean) => ({
      provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } }),
      tasks,
      reward: (sample: { text: string }) => sample.text.length,
      samples: 2,
      iterations: 2,
      journal,
      resume,
    });
    const failed = iterate(options(false));
    await expect(failed).rejects.toThrow(ProviderError);
    await expect(failed).rejects.toThrow(/batch batch_2 failed \(failed\): Line 1: unknown model/);
    failing = false;
    const resumed = await iterate(options(true));
    expect(resumed.iterations).toHaveLength(3);
    // Iteration 0's batch was kept; iteration 1's failed one was submitted again as batch_3.
    expect(batches.batches.size).toBe(4);
    expect(resumed.resumed?.restored).toBe(tasks.length * 2);
  });

  it('progress shows the batch status counts while the run waits, and estimate() prices batch mode at half', async () => {
    const { server } = await batchServer();
    const written: string[] = [];
    await iterate({
      provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } }),
      tasks,
      reward: (sample) => sample.text.length,
      samples: 2,
      iterations: 0,
      progress: { stream: { write: (chunk: string) => written.push(chunk) } },
    });
    const lines = written.join('');
    // A waiting status first (which one depends on when the first poll lands: the engine moves on with time), then the end.
    expect(lines).toMatch(/iter 0\/0 batch batch_1 (validating|in_progress|finalizing) \d\/3 done 0 failed/);
    expect(lines).toMatch(/iter 0\/0 batch batch_1 completed 3\/3 done 0 failed/);

    const shape = { tasks, reward: () => 1, samples: 4, iterations: 2, maxOutputTokens: 100 };
    const live = estimate({ ...shape, provider: openai({ model: 'gpt-4o-mini', apiKey: KEY }) });
    const batched = estimate({ ...shape, provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, batch: true }) });
    expect(batched.costUsd!.high).toBeCloseTo(live.costUsd!.high / 2, 12);
    expect(batched.assumptions.some((line) => line.startsWith('batch mode: 3 requests an iteration in 1 batch(es), priced at batch rates'))).toBe(true);
  });

  it('reserves the budget for the whole batch before submitting it: entries past it are never sent', async () => {
    const { server, batches } = await batchServer();
    const result = await iterate({
      provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } }),
      tasks,
      reward: (sample) => sample.text.length,
      samples: 4,
      iterations: 2,
      budget: { maxSamples: 10 },
    });
    expect(batches.batches.size).toBe(1);
    expect([...batches.batches.values()][0]!.entries).toHaveLength(2);
    expect(result.trajectories).toHaveLength(8);
    expect(result.stopped?.reason).toBe('maxSamples');
  });

  it('refuses a bad batch option', () => {
    expect(() => openai({ model: 'gpt-4o-mini', apiKey: KEY, batch: { failedEntries: 'drop' as 'live' } })).toThrow(/batch.failedEntries/);
    expect(() => openai({ model: 'gpt-4o-mini', apiKey: KEY, batch: { pollInterval: 0 } })).toThrow(/batch.pollInterval/);
    const chatOnly = { chat: { completions: { create: () => Promise.resolve({}) } } };
    expect(() => openai({ model: 'gpt-4o-mini', client: chatOnly, batch: true })).toThrow(/`client` that has no `files.create` and `batches.create`/);
  });
});

describe('batch mode beside a teacher', () => {
  it("sends the student's held-out entries as batches while the teacher samples the training tasks live", async () => {
    const { server, batches } = await batchServer();
    let teacherCalls = 0;
    const teacher = fromFunction(
      () => {
        teacherCalls += 1;
        return 'xxxxxxxx-0-teacher';
      },
      { name: 'solver', model: 'teacher-1' },
    );
    const result = await iterate({
      provider: openai({ model: 'gpt-4o-mini', apiKey: KEY, baseURL: server.url, batch: { pollInterval: 10 } }),
      teacher,
      tasks,
      evalTasks: ['held out'],
      system: 'Answer.',
      reward: (sample) => sample.text.split('-')[0]!.length,
      samples: 4,
      iterations: 1,
      keep: 2,
    });
    // The teacher made every training sample live; the student only the held-out ones, in one batch per iteration.
    expect(teacherCalls).toBe(tasks.length * 4 * 2);
    expect(completionsPosted(server)).toBe(0);
    expect(batches.batches.size).toBe(2);
    for (const batch of batches.batches.values()) {
      expect(batch.entries.map((entry) => entry.customId)).toEqual([expect.stringMatching(/^eval-\d-0-0-4-[0-9a-f]{8}$/)]);
    }
    const roles = new Set(result.trajectories.map((trajectory) => `${trajectory.split}:${trajectory.sampledBy?.role}`));
    expect([...roles].sort()).toEqual(['eval:student', 'train:teacher']);
    expect(result.byProvider.map((spend) => [spend.role, spend.model, spend.samples])).toEqual([
      ['student', 'gpt-4o-mini', 8],
      ['teacher', 'teacher-1', 24],
    ]);
  });
});
