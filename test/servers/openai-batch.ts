import type { HandlerResult, Route, RouteServer } from './common.js';
import { createBatchEngine, type BatchEngineOptions, type EngineBatch, type EntryOutcome } from './batch-engine.js';
import type { OpenAIFiles } from './openai-files.js';

/** The OpenAI Batch API of a test server: `batches.create`, `batches.retrieve`, over a files store. */
export interface OpenAIBatches {
  /** Routes for `POST /v1/batches` and `GET /v1/batches/:id`; pass them with the files store's to `startOpenAIServer({ routes })`. */
  readonly routes: readonly Route[];
  /** Every batch created, by id. */
  readonly batches: ReadonlyMap<string, EngineBatch>;
}

const stages = ['validating', 'in_progress', 'finalizing'] as const;

/** Batch endpoints over `files`: input read from an uploaded file, output and error files written into it when a batch ends. */
export function createOpenAIBatches(files: OpenAIFiles, options: BatchEngineOptions = {}): OpenAIBatches {
  const engine = createBatchEngine('batch_', options);
  const outputs = new Map<string, { output: string | undefined; errors: string | undefined }>();
  const error = (status: number, message: string): HandlerResult => ({ status, body: { error: { message, type: 'invalid_request_error', param: null, code: null } } });

  const describe = async (batch: EngineBatch, server: RouteServer): Promise<Record<string, unknown>> => {
    const progress = engine.progress(batch);
    const total = batch.entries.length;
    const common = { id: batch.id, object: 'batch', endpoint: '/v1/chat/completions', input_file_id: inputs.get(batch.id), completion_window: '24h', created_at: 1_700_000_000 + batch.number };
    if (batch.failure !== undefined) {
      return { ...common, status: 'failed', errors: { object: 'list', data: [{ code: 'invalid_request', message: batch.failure, line: 1, param: null }] }, request_counts: { total: 0, completed: 0, failed: 0 } };
    }
    if (progress < 1) {
      const stage = stages[Math.min(stages.length - 1, Math.floor(progress * stages.length))];
      const completed = stage === 'in_progress' ? Math.floor(total * progress) : stage === 'finalizing' ? total : 0;
      return { ...common, status: stage, request_counts: { total, completed, failed: 0 } };
    }
    const outcomes = await engine.run(batch, (body) => server.complete(body));
    let files_ = outputs.get(batch.id);
    if (files_ === undefined) {
      files_ = writeFiles(batch, outcomes);
      outputs.set(batch.id, files_);
    }
    const failed = outcomes.filter((outcome) => !('result' in outcome) || outcome.result.status !== 200).length;
    const expired = outcomes.some((outcome) => outcome.fault === 'expired');
    const cancelled = outcomes.some((outcome) => outcome.fault === 'cancelled');
    return {
      ...common,
      status: cancelled ? 'cancelled' : expired ? 'expired' : 'completed',
      request_counts: { total, completed: total - failed, failed },
      ...(files_.output === undefined ? {} : { output_file_id: files_.output }),
      ...(files_.errors === undefined ? {} : { error_file_id: files_.errors }),
    };
  };

  const writeFiles = (batch: EngineBatch, outcomes: readonly EntryOutcome[]) => {
    const output: string[] = [];
    const errors: string[] = [];
    outcomes.forEach((outcome, position) => {
      const id = `batch_req_${batch.number}_${position}`;
      if (outcome.fault === 'expired' || outcome.fault === 'cancelled') {
        const code = outcome.fault === 'expired' ? 'batch_expired' : 'batch_cancelled';
        errors.push(JSON.stringify({ id, custom_id: outcome.customId, response: null, error: { code, message: `This request was not executed (${outcome.fault}).` } }));
      } else if (!('result' in outcome)) {
        errors.push(JSON.stringify({ id, custom_id: outcome.customId, response: { status_code: 500, request_id: id, body: { error: { message: 'Scripted entry failure.', type: 'server_error' } } }, error: null }));
      } else {
        const line = JSON.stringify({ id, custom_id: outcome.customId, response: { status_code: outcome.result.status, request_id: id, body: outcome.result.body }, error: null });
        (outcome.result.status === 200 ? output : errors).push(line);
      }
    });
    const write = (lines: string[], name: string) => (lines.length === 0 ? undefined : files.add(`${lines.join('\n')}\n`, 'batch_output', name).id);
    return { output: write(output, `${batch.id}_output.jsonl`), errors: write(errors, `${batch.id}_error.jsonl`) };
  };

  const inputs = new Map<string, string>();
  const create: Route = {
    matches: (method, path) => method === 'POST' && path === '/v1/batches',
    handle: (request) => {
      const body = request.body as { input_file_id?: unknown; endpoint?: unknown; completion_window?: unknown };
      if (body.endpoint !== '/v1/chat/completions' || body.completion_window !== '24h') return error(400, '`endpoint` and `completion_window: 24h` are required.');
      const file = typeof body.input_file_id === 'string' ? files.files.get(body.input_file_id) : undefined;
      if (file === undefined || file.purpose !== 'batch') return error(400, `No batch input file ${String(body.input_file_id)}.`);
      const entries = [];
      for (const [index, line] of file.content.split('\n').entries()) {
        if (line.trim() === '') continue;
        const parsed = JSON.parse(line) as { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
        if (typeof parsed.custom_id !== 'string' || parsed.method !== 'POST' || parsed.url !== '/v1/chat/completions') return error(400, `Line ${index + 1} is not a batch request.`);
        entries.push({ customId: parsed.custom_id, body: parsed.body as Record<string, unknown> });
      }
      if (new Set(entries.map((entry) => entry.customId)).size !== entries.length) return error(400, 'Duplicate custom_id in the input file.');
      const batch = engine.create(entries);
      inputs.set(batch.id, file.id);
      return { status: 200, body: { id: batch.id, object: 'batch', endpoint: '/v1/chat/completions', input_file_id: file.id, completion_window: '24h', status: 'validating', created_at: 1_700_000_000 + batch.number, request_counts: { total: entries.length, completed: 0, failed: 0 } } };
    },
  };
  const retrieve: Route = {
    matches: (method, path) => method === 'GET' && /^\/v1\/batches\/[^/]+$/.test(path),
    handle: async (request, server) => {
      const batch = engine.batches.get(request.path.split('/')[3] ?? '');
      return batch === undefined ? error(404, 'No such batch.') : { status: 200, body: await describe(batch, server) };
    },
  };
  return { routes: [create, retrieve], batches: engine.batches };
}
