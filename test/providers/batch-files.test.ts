import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchPendingError, iterate, openaiCompatible, type RunResult } from 'pauper';
import type { TestServer } from '../servers/common.js';
import { createOpenAIBatches } from '../servers/openai-batch.js';
import { createOpenAIFiles } from '../servers/openai-files.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// The round trip for a self-hosted cluster: the run writes an iteration's requests as an OpenAI
// batch input file and stops; the file is run (here by the loopback server's batch engine, as
// `vllm run-batch` would), its output put beside it, and the resumed run reads it and goes on.

const KEY = 'sk-files-0123456789abcdefghij';
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
const responder = ({ messages, choiceIndex, lastUserMessage }: { messages: readonly unknown[]; choiceIndex: number; lastUserMessage: string }) =>
  `${'x'.repeat(messages.length)}-${choiceIndex}-${lastUserMessage}`;

const options = (baseURL: string, journal: string | undefined, directory: string | undefined) => ({
  provider: openaiCompatible({ baseURL, model: 'Qwen/Qwen3-8B', apiKey: KEY, ...(directory === undefined ? {} : { batch: { directory } }) }),
  tasks: ['task a', 'task b'],
  evalTasks: ['held out'],
  reward: (sample: { text: string }) => sample.text.split('-')[0]!.length,
  samples: 3,
  iterations: 2,
  keep: 2,
  ...(journal === undefined ? {} : { journal, resume: true }),
});

/** Runs a batch input file through the loopback Batch API with the real SDK, as `vllm run-batch -i input -o output` would. */
async function runBatchFile(server: TestServer, input: string, output: string): Promise<void> {
  const client = new OpenAI({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  const file = await client.files.create({ file: new File([await readFile(input)], 'input.jsonl'), purpose: 'batch' });
  let batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  while (batch.status !== 'completed') batch = await client.batches.retrieve(batch.id);
  await writeFile(output, await (await client.files.content(batch.output_file_id!)).text());
}

describe('batch files for a self-hosted cluster', () => {
  it('writes each iteration as a batch input file, stops, and resumes from its output with the live run\'s results', async () => {
    const files = createOpenAIFiles();
    const batches = createOpenAIBatches(files);
    const engine = await startOpenAIServer({ responder, apiKey: KEY, promptCaching: false, routes: [...files.routes, ...batches.routes] });
    servers.push(engine);
    const directory = await mkdtemp(join(tmpdir(), 'pauper-batch-files-'));
    const journal = join(directory, 'run.jsonl');
    let result: RunResult<string, string, undefined> | undefined;
    const stops: BatchPendingError[] = [];
    while (result === undefined) {
      try {
        // Nothing is requested from baseURL: every request goes through the files.
        result = await iterate(options('http://127.0.0.1:9/v1', journal, join(directory, 'batches')));
      } catch (error) {
        if (!(error instanceof BatchPendingError) || stops.length > 3) throw error;
        stops.push(error);
        expect(error.message).toContain(`vllm run-batch -i ${error.inputPath} -o ${error.outputPath} --model Qwen/Qwen3-8B`);
        const lines = (await readFile(error.inputPath, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; method: string; url: string; body: { n: number; model: string } });
        expect(lines).toHaveLength(3);
        expect(lines.every((line) => line.method === 'POST' && line.url === '/v1/chat/completions' && line.body.n === 3 && line.body.model === 'Qwen/Qwen3-8B')).toBe(true);
        await runBatchFile(engine, error.inputPath, error.outputPath);
      }
    }
    expect(stops).toHaveLength(3);
    expect(batches.batches.size).toBe(3);

    const live = await startOpenAIServer({ responder, apiKey: KEY, promptCaching: false });
    servers.push(live);
    const reference = await iterate(options(live.url, undefined, undefined));
    const summary = (run: RunResult<string, string, undefined>) => run.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward]);
    expect(summary(result)).toEqual(summary(reference));
    expect(result.usage).toEqual(reference.usage);
  });

  it('refuses a batch option without a directory', () => {
    expect(() => openaiCompatible({ baseURL: 'http://127.0.0.1:9/v1', model: 'm', batch: {} as { directory: string } })).toThrow(/batch.directory/);
  });
});
