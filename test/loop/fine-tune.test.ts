import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from 'pauper';
import { ConfigError, costOf, FineTuneError, fineTuningRecords, iterate, openai, readJournal, scripted } from 'pauper';
import { serverPool, type TestServer } from '../servers/common.js';
import { createOpenAIFiles, type OpenAIFiles } from '../servers/openai-files.js';
import { createOpenAIFineTuning, type FineTuningServerOptions, type OpenAIFineTuning } from '../servers/openai-fine-tuning.js';
import { startOpenAIServer } from '../servers/openai-server.js';

// iterate({ fineTune }) with the real openai SDK over HTTP to the loopback server's files,
// fine-tuning job and chat completion endpoints.

const KEY = 'sk-finetune-SECRET-0123456789abcdef';
const pool = serverPool(startOpenAIServer);
const directories: string[] = [];
afterEach(async () => {
  await pool.closeAll();
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

/** The reply names the model that made it, so a reward can tell a fine-tuned model's samples. */
const responder = ({ body, choiceIndex, lastUserMessage }: { body: Readonly<Record<string, unknown>>; choiceIndex: number; lastUserMessage: string }) =>
  `${String(body.model)}|${lastUserMessage}|${choiceIndex}`;
const tasks = Array.from({ length: 6 }, (_, index) => `task ${index}`);
const reward = ({ text }: { text: string }) => (text.startsWith('ft:') ? 10 : 1) + Number(text.split('|')[2]);

interface Setup {
  readonly server: TestServer;
  readonly files: OpenAIFiles;
  readonly fineTuning: OpenAIFineTuning;
}

async function setup(options: Omit<FineTuningServerOptions, 'files'> = {}): Promise<Setup> {
  const files = createOpenAIFiles();
  const fineTuning = createOpenAIFineTuning({ files, steps: 2, ...options });
  const server = await pool.start({ responder, apiKey: KEY, routes: [...files.routes, ...fineTuning.routes] });
  return { server, files, fineTuning };
}

async function journalPath(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'pauper-finetune-'));
  directories.push(directory);
  return join(directory, 'run.jsonl');
}

/** The provider every test fine-tunes: gpt-4.1-mini at the loopback server. */
const student = (server: TestServer) => openai({ model: 'gpt-4.1-mini', apiKey: KEY, baseURL: server.url });

const completionsOf = (server: TestServer) =>
  server.requests.filter((request) => request.path.endsWith('/chat/completions')).map((request) => request.body as { model: string; messages: unknown[] });

describe('iterate({ fineTune }) over the OpenAI wire', () => {
  it('trains on exactly the kept trajectories and samples the fine-tuned model in the next iterations', async () => {
    const { server, files, fineTuning } = await setup();
    const journal = await journalPath();
    const events: RunEvent<string>[] = [];
    const run = await iterate({
      provider: student(server),
      tasks,
      system: 'Answer.',
      reward,
      samples: 4,
      keep: 12,
      iterations: 2,
      journal,
      fineTune: { pollMs: 1, pollMaxMs: 4, hyperparameters: { n_epochs: 2 } },
      onEvent: (event) => events.push(event),
    });
    // A job after iterations 0 and 1, none after the last.
    expect(fineTuning.jobs.size).toBe(2);
    const [first, second] = [...fineTuning.jobs.values()];
    expect(first!.body).toMatchObject({ model: 'gpt-4.1-mini', method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2 } } }, suffix: 'pauper' });
    expect(run.fineTunes?.map((job) => job.model)).toEqual([first!.fine_tuned_model, second!.fine_tuned_model]);

    // Each iteration sampled the model the job before it made, with zero-shot prompts (system + task).
    const requests = completionsOf(server);
    expect(requests).toHaveLength(tasks.length * 3);
    expect(requests.map((request) => request.model)).toEqual([
      ...tasks.map(() => 'gpt-4.1-mini'),
      ...tasks.map(() => first!.fine_tuned_model),
      ...tasks.map(() => second!.fine_tuned_model),
    ]);
    expect(requests.every((request) => request.messages.length === 2)).toBe(true);
    expect(run.iterations.map((iteration) => iteration.fineTunedModel)).toEqual([undefined, first!.fine_tuned_model, second!.fine_tuned_model]);
    expect(run.iterations[1]!.examples).toEqual([]);

    // The uploaded file holds exactly the kept set of the iteration before the job, one line each.
    const uploaded = files.files.get(first!.training_file)!;
    expect(uploaded.purpose).toBe('fine-tune');
    const kept = run.iterations[0]!.kept;
    expect(kept).toHaveLength(12);
    expect(uploaded.content).toBe(fineTuningRecords(kept).map((record) => `${JSON.stringify(record)}\n`).join(''));
    const lines = uploaded.content.trim().split('\n').map((line) => JSON.parse(line) as { messages: { role: string; content: string }[] });
    expect(lines.map((line) => line.messages.at(-1)!.content)).toEqual(kept.map((example) => example.text));
    expect(lines.every((line) => line.messages[0]!.role === 'system' && line.messages[0]!.content === 'Answer.')).toBe(true);
    expect(run.fineTunes![0]!.examples).toEqual(kept.map((example) => example.id));

    // Training is priced apart from sampling: trained tokens × $5 per million (gpt-4.1-mini).
    expect(run.fineTunes![0]!.trainedTokens).toBe(first!.trained_tokens);
    expect(run.fineTunes![0]!.costUsd).toBeCloseTo((first!.trained_tokens! * 5) / 1e6, 12);
    expect(run.trainingCostUsd).toBeCloseTo(((first!.trained_tokens! + second!.trained_tokens!) * 5) / 1e6, 12);
    expect(run.costUsd).toBe(run.iterations.reduce((sum, iteration) => sum + iteration.costUsd!, 0));
    // The fine-tuned model's samples are priced at the fine-tuned rate ($0.80 / $3.20), not the base's.
    const { usage, costUsd } = run.iterations[1]!;
    expect(costUsd).toBeCloseTo(costOf('gpt-4.1-mini', usage, { prices: { 'gpt-4.1-mini': { input: 0.8, cachedInput: 0.2, output: 3.2 } } })!, 12);
    expect(costUsd).toBeGreaterThan(costOf('gpt-4.1-mini', usage)! * 1.9);

    // The journal holds each step of each job, and which model each iteration sampled.
    const read = await readJournal(journal);
    const steps = read.records.filter((record) => record.type === 'fine-tune');
    expect(steps.map((step) => `${step.iteration}:${step.phase}`)).toEqual(['0:file', '0:job', '0:succeeded', '1:file', '1:job', '1:succeeded']);
    expect(read.fineTunes.get(0)).toMatchObject({ fileId: first!.training_file, jobId: first!.id, model: first!.fine_tuned_model });
    expect(read.iterations.get(1)!.model).toBe(first!.fine_tuned_model);
    expect(read.iterations.get(0)!.model).toBeUndefined();
    expect(read.end!.trainingCostUsd).toBe(run.trainingCostUsd);
    expect(events.filter((event) => event.type === 'fine-tune' && event.phase === 'status').length).toBeGreaterThanOrEqual(2);
  });

  it("with a teacher, trains the student on the teacher's kept trajectories (distillation), then samples the student's fine-tuned model", async () => {
    const { server, files, fineTuning } = await setup();
    const teacherServer = await pool.start({ responder, apiKey: KEY });
    const run = await iterate({
      provider: student(server),
      teacher: openai({ model: 'gpt-4.1', apiKey: KEY, baseURL: teacherServer.url }),
      teacherIterations: [0],
      tasks,
      reward,
      samples: 2,
      // OpenAI trains on 10 examples at least: 12 kept, every sample of the teacher's iteration.
      keep: 12,
      iterations: 1,
      fineTune: { pollMs: 1, pollMaxMs: 4 },
    });
    // Iteration 0 was the teacher's (at its own server); iteration 1 the student's fine-tuned model.
    expect(completionsOf(teacherServer).map((request) => request.model)).toEqual(tasks.map(() => 'gpt-4.1'));
    const [job] = [...fineTuning.jobs.values()];
    expect(fineTuning.jobs.size).toBe(1);
    expect(job!.body).toMatchObject({ model: 'gpt-4.1-mini' });
    expect(completionsOf(server).map((request) => request.model)).toEqual(tasks.map(() => job!.fine_tuned_model));

    // The uploaded file holds the teacher's kept answers: the student learns what the teacher wrote.
    const kept = run.iterations[0]!.kept;
    expect(kept).toHaveLength(12);
    expect(kept.every((example) => example.sampledBy?.role === 'teacher' && example.text.startsWith('gpt-4.1|'))).toBe(true);
    const uploaded = files.files.get(job!.training_file)!;
    expect(uploaded.content).toBe(fineTuningRecords(kept).map((record) => `${JSON.stringify(record)}\n`).join(''));

    // Spend splits by provider; the student's samples are priced at the fine-tuned rate, training apart.
    expect(run.byProvider.map((spend) => `${spend.role}:${spend.model}:${spend.samples}`)).toEqual([
      `student:${job!.fine_tuned_model}:12`,
      'teacher:gpt-4.1:12',
    ]);
    expect(run.iterations[1]!.trajectories.every((trajectory) => trajectory.sampledBy?.model === job!.fine_tuned_model)).toBe(true);
    expect(run.trainingCostUsd).toBeCloseTo((job!.trained_tokens! * 5) / 1e6, 12);
  });

  it('folds the kept examples into the prompts too with foldExamples', async () => {
    const { server } = await setup({ steps: 0 });
    const run = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 10,
      iterations: 1,
      fineTune: { foldExamples: true, pollMs: 1 },
    });
    const requests = completionsOf(server);
    expect(requests.at(-1)!.model).toMatch(/^ft:gpt-4\.1-mini:pauper-test:pauper:/);
    // Ten examples as prior turns, then the task.
    expect(requests.at(-1)!.messages).toHaveLength(10 * 2 + 1);
    expect(run.iterations[1]!.examples).toHaveLength(10);
  });

  it('a failed job is a FineTuneError that keeps the iterations sampled before it', async () => {
    const { server, fineTuning } = await setup({ outcome: 'failed' });
    const journal = await journalPath();
    const error = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 2,
      journal,
      fineTune: { pollMs: 1 },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FineTuneError);
    const failure = error as FineTuneError;
    expect(failure.status).toBe('failed');
    expect(failure.jobId).toBe([...fineTuning.jobs.keys()][0]);
    expect(failure.message).toContain('internal error');
    expect(failure.message).toContain('resume: true');
    expect(failure.completedIterations).toHaveLength(1);
    expect(failure.completedIterations[0]!.trajectories).toHaveLength(tasks.length * 2);
    const read = await readJournal(journal);
    expect(read.samples.size).toBe(tasks.length * 2);
    expect(read.fineTunes.get(0)!.phase).toBe('failed');
    // No iteration sampled after the failure.
    expect(completionsOf(server)).toHaveLength(tasks.length);
  });

  it('a cancelled job says so', async () => {
    const { server } = await setup({ outcome: 'cancelled' });
    const error = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 1,
      fineTune: { pollMs: 1 },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FineTuneError);
    expect((error as FineTuneError).status).toBe('cancelled');
    expect((error as FineTuneError).message).toContain('was cancelled');
  });

  it('resuming after a failed job trains a new one on the same file, and continues', async () => {
    let fail = true;
    const { server, fineTuning } = await setup({ outcome: () => (fail ? 'failed' : 'succeeded') });
    const journal = await journalPath();
    const options = {
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 1,
      journal,
      fineTune: { pollMs: 1 },
    };
    await expect(iterate(options)).rejects.toBeInstanceOf(FineTuneError);
    fail = false;
    const run = await iterate({ ...options, resume: true });
    const [failed, retried] = [...fineTuning.jobs.values()];
    expect(fineTuning.jobs.size).toBe(2);
    expect(retried!.training_file).toBe(failed!.training_file);
    expect(run.iterations[1]!.fineTunedModel).toBe(retried!.fine_tuned_model);
    // Iteration 0 came from the journal: only iteration 1 was requested again.
    expect(completionsOf(server)).toHaveLength(tasks.length * 2);
    const steps = (await readJournal(journal)).records.filter((record) => record.type === 'fine-tune');
    expect(steps.map((step) => step.phase)).toEqual(['file', 'job', 'failed', 'job', 'succeeded']);
    // The new job's records carry none of the failed one's outcome, and are stamped when written.
    expect(steps.at(-1)).toMatchObject({ jobId: retried!.id, fileId: failed!.training_file });
    expect(steps.at(-1)!.message).toBeUndefined();
    expect(Date.parse(steps.at(-2)!.time)).toBeGreaterThanOrEqual(Date.parse(steps[2]!.time));
  });

  it('a job created just before a crash, but not journaled, is found and adopted on resume', async () => {
    const { server, fineTuning } = await setup({ steps: 1_000_000 });
    const journal = await journalPath();
    const stop = new AbortController();
    const options = {
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 1,
      journal,
      fineTune: { pollMs: 1 },
    };
    await expect(iterate({ ...options, signal: stop.signal, onEvent: (event) => event.type === 'fine-tune' && event.phase === 'job' && stop.abort(new Error('crash')) })).rejects.toThrow('crash');
    // As if the process died between creating the job and journaling it.
    const text = await readFile(journal, 'utf8');
    await writeFile(journal, text.split('\n').filter((line) => !line.includes('"phase":"job"')).join('\n'));
    fineTuning.release();
    const run = await iterate({ ...options, resume: true });
    expect(fineTuning.jobs.size).toBe(1);
    expect(server.requests.some((request) => request.method === 'GET' && request.path === '/v1/fine_tuning/jobs')).toBe(true);
    expect(run.fineTunes![0]!.jobId).toBe([...fineTuning.jobs.keys()][0]);
  });

  it('a create whose answer was lost is retried by adopting the job it made, not by making a second', async () => {
    const { server, fineTuning } = await setup({ steps: 0, loseCreateAnswers: 1 });
    const run = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 1,
      fineTune: { pollMs: 1 },
    });
    expect(server.requests.filter((request) => request.method === 'POST' && request.path === '/v1/fine_tuning/jobs')).toHaveLength(1);
    expect(fineTuning.jobs.size).toBe(1);
    expect(run.iterations[1]!.fineTunedModel).toBe([...fineTuning.jobs.values()][0]!.fine_tuned_model);
  });

  it('the provider samples another model with withModel, on the same transport and prices', async () => {
    const { server } = await setup();
    const provider = student(server);
    const tuned = provider.withModel!('ft:gpt-4.1-mini-2025-04-14:acme:maze:abc');
    expect(tuned.model).toBe('ft:gpt-4.1-mini-2025-04-14:acme:maze:abc');
    expect(tuned.prices).toBe(provider.prices);
    expect(tuned.fineTuning).toBe(provider.fineTuning);
    expect(provider.model).toBe('gpt-4.1-mini');
    const response = await tuned.sample({ messages: [{ role: 'user', content: 'hi' }] }, { n: 2 });
    expect(completionsOf(server).at(-1)!.model).toBe('ft:gpt-4.1-mini-2025-04-14:acme:maze:abc');
    expect(response.costUsd).toBe(costOf('ft:gpt-4.1-mini-2025-04-14:acme:maze:abc', response.usage));
    expect(() => provider.withModel!('')).toThrow(ConfigError);
  });

  it('an upload refused past its retries is a FineTuneError that keeps the iterations sampled before it', async () => {
    const files = createOpenAIFiles();
    const fineTuning = createOpenAIFineTuning({ files });
    const tooLarge = {
      matches: (method: string, path: string) => method === 'POST' && path === '/v1/files',
      handle: () => ({ status: 413, body: { error: { message: 'File too large.', type: 'invalid_request_error', param: 'file', code: null } } }),
    };
    const server = await pool.start({ responder, apiKey: KEY, routes: [tooLarge, ...files.routes, ...fineTuning.routes] });
    const error = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 1,
      fineTune: { pollMs: 1 },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FineTuneError);
    expect((error as FineTuneError).message).toContain('File too large');
    expect((error as FineTuneError).jobId).toBeUndefined();
    expect((error as FineTuneError).completedIterations).toHaveLength(1);
    expect(fineTuning.jobs.size).toBe(0);
  });

  it("from: 'latest' trains the latest fine-tuned model further", async () => {
    const { server, fineTuning } = await setup({ steps: 0 });
    await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 2,
      fineTune: { from: 'latest', pollMs: 1 },
    });
    const [first, second] = [...fineTuning.jobs.values()];
    expect(first!.model).toBe('gpt-4.1-mini');
    expect(second!.model).toBe(first!.fine_tuned_model);
  });

  it('skips a job with a warning when the kept set is smaller than the provider accepts', async () => {
    const { server, files } = await setup();
    const events: RunEvent<string>[] = [];
    const run = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 4,
      iterations: 1,
      fineTune: { pollMs: 1 },
      onEvent: (event) => events.push(event),
    });
    expect(files.files.size).toBe(0);
    expect(run.fineTunes).toEqual([]);
    expect(run.trainingCostUsd).toBe(0);
    const warning = events.find((event) => event.type === 'warning' && event.code === 'fine-tune-skipped');
    expect(warning).toMatchObject({ message: expect.stringContaining('holds 4 trainable examples, the provider needs 10') });
  });

  it('trains every k iterations only, and only when the kept set has new examples', async () => {
    const { server, fineTuning } = await setup({ steps: 0 });
    await iterate({
      provider: student(server),
      tasks,
      // Every sample scores alike: the kept set never changes after iteration 0.
      reward: () => 1,
      samples: 2,
      keep: 12,
      iterations: 4,
      fineTune: { every: 2, pollMs: 1 },
    });
    // Due after iterations 1 and 3; 3 has nothing new (elitist pool, ties keep the earlier).
    expect(fineTuning.jobs.size).toBe(1);
  });

  it('a budget reserves the job before creating it, and ends the run when it cannot', async () => {
    const { server, fineTuning } = await setup({ steps: 0 });
    const run = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 2,
      maxOutputTokens: 20,
      budget: { maxCostUsd: 0.001 },
      fineTune: { pollMs: 1, hyperparameters: { n_epochs: 3 } },
    });
    expect(fineTuning.jobs.size).toBe(0);
    expect(run.stopped).toMatchObject({ reason: 'maxCostUsd', iteration: 0, message: expect.stringContaining('fine-tuning job') });
    expect(run.iterations).toHaveLength(1);
    expect(completionsOf(server)).toHaveLength(tasks.length);
  });

  it('a budget counts what training cost', async () => {
    const { server, fineTuning } = await setup({ steps: 0 });
    const run = await iterate({
      provider: student(server),
      tasks,
      reward,
      samples: 2,
      keep: 12,
      iterations: 3,
      maxOutputTokens: 20,
      budget: { maxCostUsd: 0.01 },
      fineTune: { pollMs: 1, hyperparameters: { n_epochs: 1 } },
    });
    // The first job fits; what it cost (with sampling) leaves too little for the second one's worst case.
    expect(fineTuning.jobs.size).toBe(1);
    expect(run.trainingCostUsd).toBeGreaterThan(run.costUsd!);
    expect(run.stopped).toMatchObject({ reason: 'maxCostUsd', iteration: 1 });
    const spent = Number(/The run spent \$([\d.]+) in all/.exec(run.stopped!.message)![1]);
    expect(spent).toBeCloseTo(run.costUsd! + run.trainingCostUsd!, 9);
  });

  it('refuses fineTune options it cannot carry out, before any request', async () => {
    const { server } = await setup();
    const provider = student(server);
    const base = { tasks, reward, iterations: 1 };
    await expect(iterate({ ...base, provider: scripted(['a']), fineTune: {} })).rejects.toThrow(/a provider that can fine-tune/);
    await expect(iterate({ ...base, provider, fineTune: { evry: 2 } as never })).rejects.toThrow(ConfigError);
    await expect(iterate({ ...base, provider, fineTune: { every: 0 } })).rejects.toThrow(/fineTune\.every/);
    await expect(iterate({ ...base, provider, fineTune: { hyperparameters: { n_epochs: -1 } } })).rejects.toThrow(/n_epochs/);
    await expect(iterate({ ...base, provider, maxOutputTokens: 10, budget: { maxCostUsd: 1 }, fineTune: {} })).rejects.toThrow(
      /`budget.maxCostUsd` needs one to bound what a job can cost/,
    );
    await expect(
      iterate({ ...base, provider: openai({ model: 'my-model', apiKey: KEY, baseURL: server.url, prices: { 'my-model': { input: 1, output: 1 } } }), maxOutputTokens: 10, budget: { maxCostUsd: 1 }, fineTune: { hyperparameters: { n_epochs: 1 } } }),
    ).rejects.toThrow(/a training price for "my-model"/);
    expect(server.requestCount).toBe(0);
  });
});
