import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killedAt, killLeftovers } from '../children.js';
import { iterate, readJournal } from 'pauper';
import { canonical } from '../fixtures/canonical.js';
import { batchKillOptions, KEY } from '../fixtures/batch-kill-run.js';
import type { TestServer } from '../servers/common.js';
import { createOpenAIBatches, type OpenAIBatches } from '../servers/openai-batch.js';
import { createOpenAIFiles } from '../servers/openai-files.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// A child left running by a test that timed out is killed when the file ends.
afterAll(killLeftovers);

// SIGKILL a batch-mode run while its batch is processing, and after part of a batch's results
// were collected: the resumed run polls the journaled batch, never submits it again, and ends
// with the uninterrupted run's result.

const child = fileURLToPath(new URL('../fixtures/batch-kill-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const servers: TestServer[] = [];
let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-batch-kill-'));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

const responder = ({ lastUserMessage, choiceIndex, messages }: { lastUserMessage: string; choiceIndex: number; messages: readonly unknown[] }) =>
  `moves ${lastUserMessage.length * 7 + choiceIndex * 3 + messages.length}`;

async function batchServer(): Promise<{ server: TestServer; batches: OpenAIBatches }> {
  const files = createOpenAIFiles();
  const batches = createOpenAIBatches(files, { processingMs: 400 });
  const server = await startOpenAIServer({ responder, apiKey: KEY, promptCaching: false, routes: [...files.routes, ...batches.routes] });
  servers.push(server);
  return { server, batches };
}

/** Runs the child and SIGKILLs it at the first line `kill` accepts; resolves with the lines it wrote. */
function killedRun(journal: string, url: string, kill: (line: string, lines: readonly string[]) => boolean): Promise<string[]> {
  return killedAt(child, [journal, url], root, kill);
}

const kills: { readonly name: string; readonly kill: (line: string, lines: readonly string[]) => boolean }[] = [
  { name: 'while the first batch is processing', kill: (line) => line === 'waiting batch_1' },
  { name: 'while the second batch is processing', kill: (line) => line === 'waiting batch_2' },
  { name: 'as the first sample of the first batch was scored', kill: (line) => line.startsWith('sample ') },
];

describe('SIGKILL during batch mode', () => {
  it('resumes by polling the journaled batch, never submitting it again, with the uninterrupted result', { timeout: 120_000 }, async () => {
    const fresh = await batchServer();
    const reference = canonical(await iterate(batchKillOptions(fresh.server.url, undefined, false)));
    expect(fresh.batches.batches.size).toBe(3);
    const figures: string[] = [];
    await Promise.all(
      kills.map(async ({ name, kill }, trial) => {
        const { server, batches } = await batchServer();
        const journal = join(directory, `trial-${trial}.jsonl`);
        await killedRun(journal, server.url, kill);
        const before = batches.batches.size;
        const records = (await readJournal(journal)).records;
        const journaled = records.filter((record) => record.type === 'batch').length;
        const completions = records.filter((record) => record.type === 'completion').length;
        const resumed = await iterate(batchKillOptions(server.url, journal, true));
        expect(canonical(resumed)).toEqual(reference);
        // One batch per iteration in all: the killed one was polled again, not created again.
        expect(batches.batches.size).toBe(3);
        expect(server.requests.filter((request) => request.path.endsWith('/chat/completions'))).toHaveLength(0);
        figures.push(
          `${name}: ${before} batch(es) created, ${journaled} and ${completions} completions journaled before the kill; ` +
            `${batches.batches.size} batches after resume, ${resumed.resumed?.restored ?? 0} samples restored`,
        );
      }),
    );
    console.log(`SIGKILL in batch mode: ${figures.join('; ')}`);
  });

  it('resumes from a journal cut after part of a batch was collected (what a kill mid-collection leaves), reading the same batch again', { timeout: 30_000 }, async () => {
    const { server, batches } = await batchServer();
    const whole = join(directory, 'whole.jsonl');
    const reference = canonical(await iterate(batchKillOptions(server.url, whole, false)));
    const text = await readFile(whole, 'utf8');
    const lines = text.split('\n');
    // Cut after the 7th completion record of the first batch: a native-n entry torn in the middle.
    let seen = 0;
    const cut = lines.findIndex((line) => line.includes('"type":"completion"') && ++seen === 7);
    const partial = join(directory, 'partial.jsonl');
    await writeFile(partial, `${lines.slice(0, cut + 1).join('\n')}\n`);
    const resumed = await iterate(batchKillOptions(server.url, partial, true));
    expect(canonical(resumed)).toEqual(reference);
    expect(batches.batches.size).toBe(3 + 2);
    expect(resumed.resumed?.requestedAgain).toBe(3);
  });
});
