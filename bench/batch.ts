// Batch mode against live sampling: one iteration of 10,000 samples through iterate(), per
// provider, against the loopback wire servers (real SDKs, real HTTP on 127.0.0.1). Live requests
// get 20 ms of server latency and a concurrency of 64; a batch takes 2 s to process (a real one
// takes minutes to hours). Counts every HTTP request the server received, the run's cost (batch
// prices are half) and the wall time.
// Run: npm run bench:batch. Writes bench/batch-results.json (committed).
import './lib/published.js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { anthropic, iterate, openai, type Provider } from 'pauper';
import { createAnthropicBatches } from '../test/servers/anthropic-batch.js';
import { startAnthropicServer } from '../test/servers/anthropic-server.js';
import type { TestServer } from '../test/servers/common.js';
import { createOpenAIBatches } from '../test/servers/openai-batch.js';
import { createOpenAIFiles } from '../test/servers/openai-files.js';
import { startOpenAIServer } from '../test/servers/openai-server.js';

const apiKey = 'sk-bench';
const taskCount = 2_500;
const samples = 4;
const latencyMs = 20;
const processingMs = 2_000;
const concurrency = 64;
const tasks = Array.from({ length: taskCount }, (_, i) => `task ${i}`);

async function measure(provider: Provider, server: TestServer) {
  const started = performance.now();
  const result = await iterate({ provider, tasks, reward: (sample) => sample.text.length, samples, iterations: 0, concurrency, progress: false });
  const wallTimeMs = Math.round(performance.now() - started);
  const byEndpoint: Record<string, number> = {};
  for (const request of server.requests) {
    const endpoint = `${request.method} ${request.path.replace(/(batch_|msgbatch_|file-)\d+/, '$1<id>')}`;
    byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + 1;
  }
  await server.close();
  return {
    samples: result.trajectories.length,
    scored: result.trajectories.filter((trajectory) => trajectory.ok).length,
    httpRequests: server.requestCount,
    byEndpoint,
    modelRequests: result.usage.requests,
    costUsd: result.costUsd,
    wallTimeMs,
  };
}

async function openaiPair() {
  const live = await startOpenAIServer({ apiKey, latencyMs });
  const liveFigures = await measure(openai({ model: 'gpt-4o-mini', apiKey, baseURL: live.url }), live);
  const files = createOpenAIFiles();
  const batches = createOpenAIBatches(files, { processingMs });
  const batch = await startOpenAIServer({ apiKey, latencyMs, routes: [...files.routes, ...batches.routes] });
  const batchFigures = await measure(openai({ model: 'gpt-4o-mini', apiKey, baseURL: batch.url, batch: { pollInterval: 250, maxPollInterval: 1_000 } }), batch);
  return { model: 'gpt-4o-mini', live: liveFigures, batch: batchFigures };
}

async function anthropicPair() {
  const live = await startAnthropicServer({ apiKey, latencyMs });
  const liveFigures = await measure(anthropic({ model: 'claude-haiku-4-5', apiKey, baseURL: live.url }), live);
  const batches = createAnthropicBatches({ processingMs });
  const batch = await startAnthropicServer({ apiKey, latencyMs, routes: batches.routes });
  const batchFigures = await measure(anthropic({ model: 'claude-haiku-4-5', apiKey, baseURL: batch.url, batch: { pollInterval: 250, maxPollInterval: 1_000 } }), batch);
  return { model: 'claude-haiku-4-5', live: liveFigures, batch: batchFigures };
}

const results = {
  shape: { tasks: taskCount, samplesPerTask: samples, samples: taskCount * samples, iterations: 1, liveLatencyMs: latencyMs, liveConcurrency: concurrency, batchProcessingMs: processingMs },
  openai: await openaiPair(),
  anthropic: await anthropicPair(),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
console.log(JSON.stringify(results, null, 2));
writeFileSync(fileURLToPath(new URL('./batch-results.json', import.meta.url)), `${JSON.stringify(results, null, 2)}\n`);
