import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IterateOptions, ResponseCache, RunEvent, SampleRequest } from 'pauper';
import { CacheMissError, ConfigError, directoryCache, evaluate, iterate, jsonlCache, memoryCache, scripted } from 'pauper';
import { cacheKey } from '../../src/run/response-cache.js';
import { openai } from '../../src/providers/openai.js';
import type { TestServer } from '../servers/common.js';
import { startOpenAIServer } from '../servers/openai-server.js';
import { canonical } from '../fixtures/canonical.js';
import { compiled } from '../children.js';

let directory: string;
let server: TestServer;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-cache-'));
  // Each choice gets its own text, so collapsing N samples into one would show.
  server = await startOpenAIServer({
    responder: ({ lastUserMessage, body, choiceIndex }) => `${lastUserMessage} seed ${String(body.seed)} choice ${choiceIndex}`,
    promptCaching: false,
  });
});
afterEach(async () => {
  await server.close();
});

const options = (extra: Partial<IterateOptions<string>> = {}): IterateOptions<string> => ({
  provider: openai({ model: 'gpt-4.1-mini', apiKey: 'sk-test', baseURL: server.url }),
  tasks: ['a', 'b'],
  reward: (sample) => sample.text.length + Number(sample.text.at(-1)),
  samples: 4,
  iterations: 2,
  keep: 2,
  ...extra,
});

/** The parts of a result a cache must reproduce: texts, rewards, kept sets. */
const samples = (run: Awaited<ReturnType<typeof iterate<string>>>) =>
  run.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.reward]);

describe('response cache', () => {
  for (const [name, store] of [
    ['in memory', () => memoryCache()],
    ['in a directory', () => directoryCache(join(directory, 'cache'))],
    ['in a JSONL file', () => jsonlCache(join(directory, 'deep', 'cache.jsonl'))],
    ['from a path option', () => join(directory, 'by-path.jsonl')],
  ] as const) {
    it(`makes no request the second time (${name}), with N distinct samples`, async () => {
      const cache = store();
      const first = await iterate(options({ cache }));
      const requests = server.requestCount;
      expect(requests).toBe(2 * 3);
      const second = await iterate(options({ cache: typeof cache === 'string' ? cache : cache }));
      expect(server.requestCount).toBe(requests);
      expect(samples(second)).toEqual(samples(first));
      expect(second.examples.map((example) => example.id)).toEqual(first.examples.map((example) => example.id));
      // A cache hit costs nothing.
      expect(second.usage.requests).toBe(0);
      expect(second.costUsd).toBe(0);
      for (const iteration of first.iterations) {
        for (const split of [0, 1]) {
          const texts = iteration.trajectories.filter((trajectory) => trajectory.taskIndex === split).map((trajectory) => trajectory.text);
          expect(new Set(texts).size).toBe(4);
        }
      }
    });
  }

  it('keys each sample index separately, so a larger N reuses what it can and samples the rest', async () => {
    const cache = memoryCache();
    await iterate(options({ cache, iterations: 0, samples: 2 }));
    expect(server.requestCount).toBe(2);
    const larger = await iterate(options({ cache, iterations: 0, samples: 4 }));
    // Samples 0 and 1 of each task come from the cache; 2 and 3 are one request each.
    expect(server.requestCount).toBe(2 + 2 * 2);
    expect(new Set(larger.trajectories.map((trajectory) => trajectory.text)).size).toBe(8);
  });

  it('replay answers from the cache and never calls the model', async () => {
    const path = join(directory, 'replay');
    const first = await iterate(options({ cache: path }));
    const requests = server.requestCount;
    const replayed = await iterate(options({ cache: path, replay: true }));
    expect(server.requestCount).toBe(requests);
    expect(samples(replayed)).toEqual(samples(first));
    expect(await readdir(path)).toHaveLength(2 * 4 * 3);
  });

  it('replays a run without native n exactly, the seed each request was sent with included', async () => {
    const cache = memoryCache();
    const provider = scripted((request, { index }) => `s${request.seed}-${index}`, { capabilities: { nativeN: false } });
    const fanOut = { provider, tasks: ['a'], reward: (sample: { text: string }) => sample.text.length, samples: 3, iterations: 1, seed: 5, cache };
    const live = await iterate(fanOut);
    const replayed = await iterate({ ...fanOut, replay: true });
    const seeds = (run: typeof live) => run.trajectories.map((trajectory) => [trajectory.id, trajectory.text, trajectory.seed]);
    expect(new Set(live.trajectories.map((trajectory) => trajectory.seed)).size).toBe(6);
    expect(seeds(replayed)).toEqual(seeds(live));
  });

  it('replay fails loudly on a miss, naming the task, iteration and sample', async () => {
    const cache = memoryCache();
    await iterate(options({ cache, iterations: 0 }));
    const requests = server.requestCount;
    const error = await iterate(options({ cache, replay: true, iterations: 1 })).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CacheMissError);
    expect(error).toMatchObject({ split: 'train', iteration: 1, index: 0 });
    expect((error as CacheMissError).message).toMatch(/task train\/[01] \(train, iteration 1, sample 0/);
    expect(server.requestCount).toBe(requests);
  });

  it('replay fails loudly on a miss inside an episode, even if the rollout catches errors', async () => {
    const provider = scripted((request: SampleRequest) => `reply to ${request.messages.length}`);
    const rollout = async ({ act }: { act: (message: string) => Promise<string> }) => {
      await act('first');
      try {
        await act('second');
      } catch {
        return 0;
      }
      return 1;
    };
    const cache = memoryCache();
    await iterate({ provider, tasks: ['t'], rollout, samples: 2, iterations: 0, cache });
    const calls = provider.calls.length;
    const replayed = await iterate({ provider, tasks: ['t'], rollout, samples: 2, iterations: 0, cache, replay: true });
    expect(provider.calls).toHaveLength(calls);
    expect(replayed.trajectories.map((trajectory) => trajectory.reward)).toEqual([1, 1]);
    const changed = async ({ act }: { act: (message: string) => Promise<string> }) => {
      await act('first');
      try {
        await act('something else');
      } catch {
        return 0;
      }
      return 1;
    };
    await expect(iterate({ provider, tasks: ['t'], rollout: changed, samples: 2, iterations: 0, cache, replay: true })).rejects.toThrow(
      CacheMissError,
    );
    expect(provider.calls).toHaveLength(calls);
  });

  it('survives a partial last line in a JSONL cache', async () => {
    const path = join(directory, 'partial.jsonl');
    const first = await iterate(options({ cache: path, iterations: 0 }));
    await appendFile(path, '{"key":"abc","completion":{"te');
    const requests = server.requestCount;
    const second = await iterate(options({ cache: jsonlCache(path), iterations: 0 }));
    expect(server.requestCount).toBe(requests);
    expect(samples(second)).toEqual(samples(first));
    // New entries start on a line of their own.
    await iterate(options({ cache: jsonlCache(path), iterations: 0, seed: 5 }));
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.filter((line) => line.startsWith('{"key"')).length).toBe(8 + 1 + 8);
  });

  it('keys on provider, model, messages, parameters, iteration and sample index', () => {
    const parts = {
      provider: 'openai',
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user' as const, content: 'hi' }],
      temperature: 1,
      maxOutputTokens: 10,
      seed: 3,
      iteration: 0,
      index: 0,
    };
    const key = cacheKey(parts);
    expect(cacheKey({ ...parts })).toBe(key);
    for (const change of [
      { provider: 'anthropic' },
      { model: 'gpt-4o' },
      { messages: [{ role: 'user' as const, content: 'hello' }] },
      { temperature: 0.5 },
      { maxOutputTokens: 11 },
      { seed: 4 },
      { iteration: 1 },
      { index: 1 },
    ]) {
      expect(cacheKey({ ...parts, ...change })).not.toBe(key);
    }
  });

  it('rejects a bad cache or replay without a cache up front', async () => {
    await expect(iterate(options({ cache: 42 as unknown as string }))).rejects.toThrow(ConfigError);
    await expect(iterate(options({ replay: true }))).rejects.toThrow(/replay/);
  });

  it('restores journaled samples before consulting the cache', async () => {
    const cache = memoryCache();
    const journal = join(directory, 'run.jsonl');
    const reference = await iterate(options({ journal }));
    const resumed = await iterate(options({ journal, resume: true, cache }));
    expect(canonical(resumed)).toEqual(canonical(reference));
  });
});

describe('response cache failures', () => {
  /** A cache whose reads and stores fail as a full disk or a process out of file descriptors would. */
  function failing(failures: { get?: string; set?: string }): ResponseCache & { stored: number } {
    let attempt = 0;
    const fail = (code: string) => Object.assign(new Error(`${code}: failed, open '/cache/${attempt++}.json'`), { code });
    const cache = {
      stored: 0,
      get: async () => {
        if (failures.get !== undefined) throw fail(failures.get);
        return undefined;
      },
      set: async () => {
        if (failures.set !== undefined) throw fail(failures.set);
        cache.stored++;
      },
    };
    return cache;
  }
  const warningsOf = (events: RunEvent<string>[]) => events.flatMap((event) => (event.type === 'warning' ? [event.message] : []));

  it('a failed store keeps the sample, with one warning per kind of failure', async () => {
    const events: RunEvent<string>[] = [];
    const run = await iterate(options({ cache: failing({ set: 'EMFILE' }), onEvent: (event) => events.push(event) }));
    expect(run.trajectories).toHaveLength(2 * 4 * 3);
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(warningsOf(events)).toEqual([expect.stringMatching(/^The response cache could not store a completion \(EMFILE: failed.*the sample is kept, but not cached/)]);
  });

  it('a failed read is a miss: the sample is requested, with one warning', async () => {
    const events: RunEvent<string>[] = [];
    const cache = failing({ get: 'EIO' });
    const run = await iterate(options({ cache, iterations: 0, onEvent: (event) => events.push(event) }));
    expect(run.trajectories.every((trajectory) => trajectory.ok)).toBe(true);
    expect(server.requestCount).toBe(2);
    expect(cache.stored).toBe(2 * 4);
    expect(warningsOf(events)).toEqual([expect.stringMatching(/^The response cache could not be read \(EIO: failed/)]);
  });

  it('a failed read or store inside an episode does not fail the episode', async () => {
    const events: RunEvent<string>[] = [];
    const provider = scripted((request: SampleRequest) => `reply to ${request.messages.length}`);
    const run = await iterate({
      provider,
      tasks: ['t'],
      rollout: async ({ act }) => (await act('first')).length + (await act('second')).length,
      samples: 2,
      iterations: 0,
      cache: failing({ get: 'EACCES', set: 'ENOSPC' }),
      onEvent: (event) => events.push(event),
    });
    expect(run.trajectories.map((trajectory) => [trajectory.ok, trajectory.steps.length])).toEqual([[true, 2], [true, 2]]);
    expect(provider.calls).toHaveLength(4);
    expect(warningsOf(events)).toHaveLength(2);
  });

  it('replay fails the run on a read that fails, since there is no request to fall back on', async () => {
    const requests = server.requestCount;
    await expect(iterate(options({ cache: failing({ get: 'EIO' }), replay: true }))).rejects.toMatchObject({ code: 'EIO' });
    expect(server.requestCount).toBe(requests);
  });

  it('a directory cache keeps few files open, so thousands of stores at once do not run out of descriptors', async () => {
    const cacheModule = compiled('src/run/response-cache.ts');
    const script = `
      import { directoryCache } from ${JSON.stringify(cacheModule)};
      const cache = directoryCache(${JSON.stringify(join(directory, 'many'))});
      const keys = Array.from({ length: 2000 }, (_, i) => 'key' + i);
      const stored = await Promise.allSettled(keys.map((key) => cache.set(key, { text: key.repeat(200) })));
      const read = await Promise.allSettled(keys.map((key) => cache.get(key)));
      const failed = [...stored, ...read].filter((result) => result.status === 'rejected').map((result) => result.reason.code);
      const wrong = read.filter((result, i) => result.status === 'fulfilled' && result.value?.text !== keys[i].repeat(200)).length;
      console.log(JSON.stringify({ failed: failed.length, first: failed[0] ?? null, wrong }));
    `;
    // 128 descriptors: node needs a few dozen itself; a cache opening a file per store at once runs out.
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('sh', ['-c', 'ulimit -n 128 && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited with ${code}: ${stderr}`))));
    });
    expect(JSON.parse(output)).toEqual({ failed: 0, first: null, wrong: 0 });
    expect(await readdir(join(directory, 'many'))).toHaveLength(2000);
  });
});

describe('response cache outside iterate', () => {
  it('serves evaluate() from the cache too', async () => {
    const provider = scripted((_request, { index }) => `answer ${index}`);
    const cache = memoryCache();
    const first = await evaluate({ provider, tasks: ['a', 'b'], reward: () => 1, samples: 3, cache });
    const calls = provider.calls.length;
    const second = await evaluate({ provider, tasks: ['a', 'b'], reward: () => 1, samples: 3, cache, replay: true });
    expect(provider.calls).toHaveLength(calls);
    expect(second.trajectories.map((trajectory) => trajectory.text)).toEqual(first.trajectories.map((trajectory) => trajectory.text));
  });
});
