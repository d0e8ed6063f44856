import type { HandlerResult, Route } from './common.js';
import { createBatchEngine, type BatchEngineOptions, type EngineBatch } from './batch-engine.js';

/** The Message Batches API of a test server: `messages.batches.create`, `retrieve` and `results`. */
export interface AnthropicBatches {
  /** Routes to pass to `startAnthropicServer({ routes })`. */
  readonly routes: readonly Route[];
  /** Every batch created, by id. */
  readonly batches: ReadonlyMap<string, EngineBatch>;
}

/** As the real API: 1 to 64 letters, digits, `_` and `-`. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Message Batches endpoints; a batch is `in_progress` for `processingMs`, then `ended` with each entry's result. */
export function createAnthropicBatches(options: BatchEngineOptions = {}): AnthropicBatches {
  const engine = createBatchEngine('msgbatch_', options);
  const error = (status: number, message: string): HandlerResult => ({ status, body: { type: 'error', error: { type: status === 404 ? 'not_found_error' : 'invalid_request_error', message } } });
  const idOf = (path: string): string => path.split('/')[4] ?? '';

  const describe = (batch: EngineBatch, host: string): Record<string, unknown> => {
    const total = batch.entries.length;
    const ended = batch.outcomes !== undefined;
    const count = (kind: string) => (batch.outcomes ?? []).filter((outcome) => (outcome.fault ?? (outcome.result.status === 200 ? 'succeeded' : 'errored')) === kind).length;
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: ended ? 'ended' : 'in_progress',
      request_counts: ended
        ? { processing: 0, succeeded: count('succeeded'), errored: count('errored'), expired: count('expired'), canceled: count('cancelled') }
        : { processing: total, succeeded: 0, errored: 0, expired: 0, canceled: 0 },
      created_at: new Date(1_700_000_000_000 + batch.number * 1000).toISOString(),
      expires_at: new Date(1_700_086_400_000 + batch.number * 1000).toISOString(),
      ended_at: ended ? new Date(1_700_000_060_000).toISOString() : null,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: ended ? `http://${host}/v1/messages/batches/${batch.id}/results` : null,
    };
  };

  const create: Route = {
    matches: (method, path) => method === 'POST' && path === '/v1/messages/batches',
    handle: (request) => {
      const requests = (request.body as { requests?: unknown }).requests;
      if (!Array.isArray(requests) || requests.length === 0) return error(400, 'requests: Field required');
      const entries = [];
      for (const [index, item] of (requests as { custom_id?: unknown; params?: unknown }[]).entries()) {
        if (typeof item.custom_id !== 'string' || !CUSTOM_ID.test(item.custom_id)) return error(400, `requests.${index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
        if (typeof item.params !== 'object' || item.params === null) return error(400, `requests.${index}.params: Field required`);
        entries.push({ customId: item.custom_id, body: item.params as Record<string, unknown> });
      }
      if (new Set(entries.map((entry) => entry.customId)).size !== entries.length) return error(400, 'requests: custom_id values must be unique');
      return { status: 200, body: describe(engine.create(entries), request.headers.host ?? '127.0.0.1') };
    },
  };
  const retrieve: Route = {
    matches: (method, path) => method === 'GET' && /^\/v1\/messages\/batches\/[^/]+$/.test(path),
    handle: async (request, server) => {
      const batch = engine.batches.get(idOf(request.path));
      if (batch === undefined) return error(404, 'No such batch.');
      if (engine.progress(batch) >= 1) await engine.run(batch, (body) => server.complete(body));
      return { status: 200, body: describe(batch, request.headers.host ?? '127.0.0.1') };
    },
  };
  const results: Route = {
    matches: (method, path) => method === 'GET' && /^\/v1\/messages\/batches\/[^/]+\/results$/.test(path),
    handle: (request) => {
      const batch = engine.batches.get(idOf(request.path));
      if (batch?.outcomes === undefined) return error(404, 'The batch has no results yet.');
      const lines = batch.outcomes.map((outcome) => {
        if (!('result' in outcome)) {
          if (outcome.fault === 'errored') return { custom_id: outcome.customId, result: { type: 'errored', error: { type: 'error', error: { type: 'api_error', message: 'Scripted entry failure.' } } } };
          return { custom_id: outcome.customId, result: { type: outcome.fault === 'expired' ? 'expired' : 'canceled' } };
        }
        if (outcome.result.status !== 200) return { custom_id: outcome.customId, result: { type: 'errored', error: outcome.result.body } };
        return { custom_id: outcome.customId, result: { type: 'succeeded', message: outcome.result.body } };
      });
      // Results come in no particular order, as the real API says: reversed here.
      return { status: 200, body: `${lines.reverse().map((line) => JSON.stringify(line)).join('\n')}\n`, headers: { 'content-type': 'application/binary' } };
    },
  };
  return { routes: [create, retrieve, results], batches: engine.batches };
}
