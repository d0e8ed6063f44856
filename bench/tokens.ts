// What a sample costs in requests and billed prompt tokens, native `n` against one request per
// sample (the loopback OpenAI server, counted at the server), and what share of the prompt tokens
// the Anthropic prompt cache can serve (the loopback Anthropic server's cache_read/cache_creation
// against all input tokens), with a check that every request of an iteration sends the same bytes
// up to its cache breakpoint. The same loop on both: 8 tasks, top-4 fold, baseline + 2 iterations.
// Run: node --expose-gc --import tsx bench/tokens.ts [--quick]. Writes bench/tokens-results.json.
import { writeFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { fileURLToPath } from 'node:url';
import { anthropic, iterate, openai, type Provider } from '../src/index.js';
import { startAnthropicServer } from '../test/servers/anthropic-server.js';
import type { RecordedRequest } from '../test/servers/common.js';
import { startOpenAIServer } from '../test/servers/openai-server.js';
import { quick, round } from './lib/figures.js';
import { cachedPrefix } from './lib/cache-prefix.js';
import { countRequests, trackAnswers } from './lib/server-counts.js';

const taskCount = 8;
const samples = quick ? 4 : 8;
const iterations = 2;
const keep = 4;
const concurrency = 8;
const apiKey = 'sk-bench';
// Task texts of some length, as real tasks are: the fold's examples then dominate the prompt.
const tasks = Array.from({ length: taskCount }, (_, index) => `Task ${index}: collect the gold coins of maze ${index} and say the moves, one letter each (U, D, L, R).`);
const reward = (text: string): number => Number(text.slice(text.lastIndexOf('#') + 1)) || 0;
const sampleCount = taskCount * samples * (iterations + 1);

/** Requests and billed prompt tokens per sample of one run against the loopback OpenAI server. */
async function openaiShape(nativeN: boolean) {
  const { responder, answeredAt } = trackAnswers(({ lastUserMessage, choiceIndex }) => `moves for ${lastUserMessage.slice(0, 7)}: RRDDLLUU #${choiceIndex}`);
  const server = await startOpenAIServer({ responder });
  const base = openai({ model: 'gpt-4o-mini', apiKey, baseURL: server.url });
  const provider: Provider = nativeN ? base : { ...base, capabilities: { ...base.capabilities, nativeN: false } };
  const run = await iterate({ provider, tasks, reward: (sample) => reward(sample.text), samples, iterations, keep, concurrency });
  const counts = countRequests(server.requests, answeredAt);
  await server.close();
  return {
    samples: run.trajectories.length,
    requests: counts.requests,
    promptTokens: counts.promptTokens,
    requestsPerSample: round(counts.requests / run.trajectories.length),
    promptTokensPerSample: round(counts.promptTokens / run.trajectories.length),
  };
}

/** Per iteration: input tokens, cache reads and writes as the server reported them, and the prefix check. */
async function anthropicShape() {
  const server = await startAnthropicServer();
  // The usage the server sent, read off each response as it arrives (a copy of the body), beside pauper's own sum.
  const reported: { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number }[] = [];
  const client = new Anthropic({
    apiKey,
    baseURL: server.url,
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      const body = (await response.clone().json()) as { usage?: (typeof reported)[number] };
      if (body.usage !== undefined) reported.push(body.usage);
      return response;
    },
  });
  const provider = anthropic({ model: 'claude-haiku-4-5', client });
  const run = iterate({ provider, tasks, reward: (sample) => reward(sample.text), samples, iterations, keep, concurrency });
  const perIteration = [];
  let from = 0;
  for await (const iteration of run) {
    const requests: readonly RecordedRequest[] = server.requests.slice(from);
    from = server.requests.length;
    const prefixes = requests.map((request) => cachedPrefix(request.body));
    const withBreakpoint = prefixes.filter((prefix): prefix is string => prefix !== undefined);
    const distinct = new Set(withBreakpoint);
    const answers = reported.splice(0);
    const cacheReadTokens = answers.reduce((sum, usage) => sum + usage.cache_read_input_tokens, 0);
    const cacheWriteTokens = answers.reduce((sum, usage) => sum + usage.cache_creation_input_tokens, 0);
    const inputTokens = answers.reduce((sum, usage) => sum + usage.input_tokens, 0) + cacheReadTokens + cacheWriteTokens;
    const usage = iteration.usage;
    perIteration.push({
      iteration: iteration.iteration,
      requests: requests.length,
      /** All input tokens: uncached, read from the cache and written to it, as the server reported them. */
      inputTokens,
      cacheReadTokens,
      cacheWriteTokens,
      /** pauper's usage of the iteration says the same. */
      pauperUsageAgrees: usage.inputTokens === inputTokens && usage.cachedInputTokens === cacheReadTokens && usage.cacheWriteTokens === cacheWriteTokens,
      /** Share of all input tokens that sat in the cached prefix (read or written). */
      cacheableShare: inputTokens === 0 ? 0 : round((cacheReadTokens + cacheWriteTokens) / inputTokens),
      /** Share of all input tokens read from the cache. */
      cacheReadShare: inputTokens === 0 ? 0 : round(cacheReadTokens / inputTokens),
      requestsWithBreakpoint: withBreakpoint.length,
      distinctPrefixes: distinct.size,
      prefixBytes: withBreakpoint[0] === undefined ? 0 : Buffer.byteLength(withBreakpoint[0]),
      /** Every request with a breakpoint sent the same bytes up to it (vacuous without one). */
      prefixIdentical: distinct.size <= 1,
    });
  }
  await server.close();
  return perIteration;
}

const nativeN = await openaiShape(true);
const perSample = await openaiShape(false);
const cache = await anthropicShape();

const report = {
  date: new Date().toISOString(),
  node: process.version,
  command: `node --expose-gc --import tsx bench/tokens.ts${quick ? ' --quick' : ''}`,
  shape: `${taskCount} tasks x ${samples} samples x (baseline + ${iterations} iterations) = ${sampleCount} samples, top-${keep} fold, concurrency ${concurrency}`,
  openai: { nativeN, perSample, promptTokensSaved: round(1 - nativeN.promptTokens / perSample.promptTokens) },
  anthropic: cache,
};
writeFileSync(fileURLToPath(new URL('./tokens-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
