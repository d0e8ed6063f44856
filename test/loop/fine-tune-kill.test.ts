import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killedAt, killLeftovers } from '../children.js';
import { iterate, readJournal } from 'pauper';
import { fineTuneKey, fineTuneRunOptions } from '../fixtures/fine-tune-run.js';
import type { TestServer } from '../servers/common.js';
import { createOpenAIFiles } from '../servers/openai-files.js';
import { createOpenAIFineTuning } from '../servers/openai-fine-tuning.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// A child left running by a test that timed out is killed when the file ends.
afterAll(killLeftovers);

const child = fileURLToPath(new URL('../fixtures/fine-tune-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
let server: TestServer | undefined;
let directory: string | undefined;
afterEach(async () => {
  await server?.close();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

/** Runs the child and SIGKILLs it at its third status poll of the job; resolves with the lines it wrote. */
function killedWhilePolling(baseURL: string, journal: string): Promise<string[]> {
  return killedAt(child, [baseURL, journal], root, (_line, lines) => lines.filter((written) => written.startsWith('status ')).length === 3);
}

const responder = ({ body, choiceIndex, lastUserMessage }: { body: Readonly<Record<string, unknown>>; choiceIndex: number; lastUserMessage: string }) =>
  `${String(body.model)}|${lastUserMessage}|${choiceIndex}`;

describe('kill -9 while a fine-tuning job runs', () => {
  it('resumes by polling the same job: no second upload or job, and the run samples its model', { timeout: 60_000 }, async () => {
    const files = createOpenAIFiles();
    // The job stays running until released: the child is killed while it polls.
    const fineTuning = createOpenAIFineTuning({ files, steps: 1_000_000 });
    server = await startOpenAIServer({ responder, apiKey: fineTuneKey, routes: [...files.routes, ...fineTuning.routes] });
    directory = await mkdtemp(join(tmpdir(), 'pauper-finetune-kill-'));
    const journal = join(directory, 'run.jsonl');

    const lines = await killedWhilePolling(server.url, journal);
    const [job] = [...fineTuning.jobs.values()];
    expect(lines[0]).toBe('file ');
    expect(lines[1]).toBe(`job ${job!.id}`);
    expect(job!.status).not.toBe('succeeded');
    const killed = await readJournal(journal);
    expect(killed.fineTunes.get(1)).toMatchObject({ phase: 'job', jobId: job!.id });
    const completionsBefore = server.requests.filter((request) => request.path.endsWith('/chat/completions')).length;

    fineTuning.release();
    const events: string[] = [];
    const run = await iterate(fineTuneRunOptions(server.url, journal, true, (event) => event.type === 'fine-tune' && events.push(event.phase)));

    // One upload, one job, polled again rather than created again.
    expect(files.files.size).toBe(1);
    expect(fineTuning.jobs.size).toBe(1);
    expect(server.requests.filter((request) => request.method === 'POST' && request.path === '/v1/fine_tuning/jobs')).toHaveLength(1);
    expect(events[0]).toBe('job');
    expect(run.fineTunes?.map((tuned) => tuned.jobId)).toEqual([job!.id]);
    expect(run.iterations[2]!.fineTunedModel).toBe(job!.fine_tuned_model);
    // Iterations 0 and 1 came from the journal; only iteration 2 was sampled, from the fine-tuned model.
    const after = server.requests.filter((request) => request.path.endsWith('/chat/completions')).slice(completionsBefore);
    expect(after.map((request) => (request.body as { model: string }).model)).toEqual(Array.from({ length: 6 }, () => job!.fine_tuned_model));
    expect(run.resumed?.restored).toBe(6 * 2 * 2);
  });
});
