import type { ChatCompletion } from 'openai/resources/chat/completions';
import { ProviderError } from '../core/errors.js';
import type { ChatCompletionsWire } from './chat-completions.js';
import { sdkTimeout } from './shared.js';
import type { BatchCarrier, BatchEntry, BatchResult, BatchSettings, BatchStatus } from './spec.js';

// The OpenAI Batch API as a carrier of planned requests: an input JSONL file uploaded with
// purpose `batch`, a batch over `/v1/chat/completions` (bodies keep native `n`), polled, and its
// output and error files read back by `custom_id`.

/** OpenAI's limits of one batch: 50,000 requests and a 200 MB input file. */
export const openaiBatchLimits = { requests: 50_000, bytes: 200 * 1024 * 1024 } as const;

/** One line of a batch input file for `entry`: what `vllm run-batch` and the Batch API read. */
export function batchInputLine(wire: Pick<ChatCompletionsWire, 'body'>, entry: BatchEntry): string {
  return JSON.stringify({ custom_id: entry.customId, method: 'POST', url: '/v1/chat/completions', body: wire.body(entry.request, entry.n) });
}

/** `batchInputLine` remembered per entry: a batch's size is counted from its lines before they are written. */
export function inputLines(wire: Pick<ChatCompletionsWire, 'body'>): (entry: BatchEntry) => string {
  const lines = new WeakMap<BatchEntry, string>();
  return (entry) => {
    let line = lines.get(entry);
    if (line === undefined) {
      line = batchInputLine(wire, entry);
      lines.set(entry, line);
    }
    return line;
  };
}

/** One line of a batch output or error file, as the Batch API and `vllm run-batch` write it. */
interface OutputLine {
  readonly custom_id?: unknown;
  readonly response?: { readonly status_code?: unknown; readonly body?: unknown } | null;
  readonly error?: { readonly code?: unknown; readonly message?: unknown } | null;
}

/**
 * Reads the lines of a batch output (or error) file into results, for the entries given; lines
 * of other entries, and blank lines, are skipped. A line that is not JSON is a `ProviderError`.
 */
export async function* readOutputLines(
  wire: Pick<ChatCompletionsWire, 'name' | 'read'>,
  text: string,
  entries: ReadonlyMap<string, BatchEntry>,
  source: string,
  batchPrices = true,
): AsyncGenerator<BatchResult> {
  const lines = text.split('\n');
  for (const [number, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    let line: OutputLine;
    try {
      line = JSON.parse(raw) as OutputLine;
    } catch (error) {
      throw new ProviderError(`${source}:${number + 1} is not a batch output line (not JSON); was the file cut short?`, {
        provider: wire.name,
        isRetryable: false,
        cause: error,
      });
    }
    const customId = typeof line.custom_id === 'string' ? line.custom_id : undefined;
    const entry = customId === undefined ? undefined : entries.get(customId);
    if (customId === undefined || entry === undefined) continue;
    yield await readLine(wire, line, customId, entry, batchPrices);
  }
}

async function readLine(wire: Pick<ChatCompletionsWire, 'read'>, line: OutputLine, customId: string, entry: BatchEntry, batchPrices: boolean): Promise<BatchResult> {
  const code = typeof line.error?.code === 'string' ? line.error.code : undefined;
  if (line.error !== undefined && line.error !== null) {
    const message = typeof line.error.message === 'string' ? line.error.message : (code ?? 'no reason given');
    const reason = code === 'batch_expired' ? 'expired' : code === 'batch_cancelled' ? 'cancelled' : 'errored';
    return { customId, ok: false, reason, message: code === undefined ? message : `${message} (${code})` };
  }
  const status = line.response?.status_code;
  const body = line.response?.body as { readonly error?: { readonly message?: unknown } } | undefined;
  if (status !== 200 || typeof body !== 'object' || body === null) {
    const message = typeof body?.error?.message === 'string' ? body.error.message : 'no response body';
    return { customId, ok: false, reason: 'errored', message: `HTTP ${String(status)}: ${message}` };
  }
  try {
    return { customId, ok: true, response: await wire.read(body as ChatCompletion, entry.request, entry.n, batchPrices) };
  } catch (error) {
    return { customId, ok: false, reason: 'errored', message: error instanceof Error ? error.message : String(error) };
  }
}

const waiting = new Set(['validating', 'in_progress', 'finalizing', 'cancelling']);

/** The OpenAI Batch API carrier of a Chat Completions provider. */
export function openaiBatch(wire: ChatCompletionsWire, settings: BatchSettings): BatchCarrier {
  const lineOf = inputLines(wire);
  // Every call goes through the provider's transport: retried on 429, 5xx and connection errors.
  const call = async <T>(signal: AbortSignal, attempt: (client: Awaited<ReturnType<ChatCompletionsWire['client']>>, options: object) => PromiseLike<T>): Promise<T> => {
    const client = await wire.client();
    return wire.transport.send(
      (attemptSignal) => Promise.resolve(attempt(client, { signal: attemptSignal, maxRetries: 0, timeout: sdkTimeout(wire.transport) })),
      { provider: wire.name, signal, secrets: wire.secrets },
    );
  };
  return {
    settings,
    batchPrices: true,
    limits: openaiBatchLimits,
    size: (entry) => Buffer.byteLength(lineOf(entry)) + 1,
    async upload(entries, signal) {
      const text = `${entries.map(lineOf).join('\n')}\n`;
      const file = await call(signal, (client, options) =>
        client.files.create({ file: new File([text], 'pauper-batch.jsonl', { type: 'application/jsonl' }), purpose: 'batch' }, options),
      );
      return file.id;
    },
    async create(_entries, fileId, signal) {
      if (fileId === undefined) throw new ProviderError('An OpenAI batch needs its input file uploaded first.', { provider: wire.name, isRetryable: false });
      const batch = await call(signal, (client, options) =>
        client.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' }, options),
      );
      return batch.id;
    },
    async poll(batchId, signal): Promise<BatchStatus> {
      const batch = await call(signal, (client, options) => client.batches.retrieve(batchId, options));
      const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 };
      const outputs = [batch.output_file_id, batch.error_file_id].filter((id): id is string => typeof id === 'string' && id !== '');
      const state = waiting.has(batch.status) ? 'waiting' : batch.status === 'failed' ? 'failed' : 'ended';
      const errors = (batch.errors?.data ?? []).map((error) => `${error.message ?? error.code ?? 'error'}${error.line === undefined || error.line === null ? '' : ` (line ${error.line})`}`);
      return {
        batchId,
        status: batch.status,
        state,
        counts: { total: counts.total, succeeded: counts.completed, failed: counts.failed },
        ...(errors.length === 0 ? {} : { message: errors.join('; ') }),
        outputs,
      };
    },
    async *results(status, entries, signal) {
      for (const fileId of status.outputs ?? []) {
        const text = await call(signal, async (client, options) => (await client.files.content(fileId, options)).text());
        yield* readOutputLines(wire, text, entries, `${wire.name} batch ${status.batchId} file ${fileId}`);
      }
    },
  };
}
