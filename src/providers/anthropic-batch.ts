import type { Anthropic } from '@anthropic-ai/sdk';
import type { Message as WireResponse, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages/messages';
import type { Secrets } from './transport/credentials.js';
import type { Transport } from './transport/transport.js';
import { sdkTimeout } from './shared.js';
import type { BatchCarrier, BatchEntry, BatchSettings, BatchStatus, SampleRequest, SampleResponse } from './spec.js';

// Anthropic Message Batches as a carrier of planned requests: one request per sample (no
// native `n`), each keeping the cache breakpoint on the example prefix, collected by `custom_id`.

/** Anthropic's limits of one batch: 100,000 requests and 256 MB. */
export const anthropicBatchLimits = { requests: 100_000, bytes: 256 * 1024 * 1024 } as const;

/** What the carrier needs of the Messages wire. */
export interface MessagesBatchWire {
  readonly name: string;
  readonly client: () => Promise<Anthropic>;
  readonly transport: Transport;
  readonly secrets: Secrets;
  /** The body `sample` would send for `request` (cache breakpoint included). */
  body(request: SampleRequest): MessageCreateParamsNonStreaming;
  /** A message read as `sample` reads it, priced at batch prices. */
  read(message: WireResponse, request: SampleRequest): Promise<SampleResponse>;
}

/** The Message Batches carrier of the `anthropic` provider. */
export function anthropicBatch(wire: MessagesBatchWire, settings: BatchSettings): BatchCarrier {
  const call = async <T>(signal: AbortSignal, attempt: (client: Anthropic, options: object) => PromiseLike<T>): Promise<T> => {
    const client = await wire.client();
    return wire.transport.send(
      (attemptSignal) => Promise.resolve(attempt(client, { signal: attemptSignal, maxRetries: 0, timeout: sdkTimeout(wire.transport) })),
      { provider: wire.name, signal, secrets: wire.secrets },
    );
  };
  const requestOf = (entry: BatchEntry) => ({ custom_id: entry.customId, params: wire.body(entry.request) });
  return {
    settings,
    batchPrices: true,
    limits: anthropicBatchLimits,
    size: (entry) => Buffer.byteLength(JSON.stringify(requestOf(entry))) + 1,
    async create(entries, _fileId, signal) {
      const requests = entries.map(requestOf);
      const batch = await call(signal, (client, options) => client.messages.batches.create({ requests }, options));
      return batch.id;
    },
    async poll(batchId, signal): Promise<BatchStatus> {
      const batch = await call(signal, (client, options) => client.messages.batches.retrieve(batchId, {}, options));
      const counts = batch.request_counts;
      const failed = counts.errored + counts.expired + counts.canceled;
      return {
        batchId,
        status: batch.processing_status,
        state: batch.processing_status === 'ended' ? 'ended' : 'waiting',
        counts: { total: counts.processing + counts.succeeded + failed, succeeded: counts.succeeded, failed },
      };
    },
    async *results(status, entries, signal) {
      const stream = await call(signal, (client, options) => client.messages.batches.results(status.batchId, {}, options));
      for await (const line of stream) {
        const entry = entries.get(line.custom_id);
        if (entry === undefined) continue;
        const { result } = line;
        if (result.type === 'succeeded') {
          try {
            yield { customId: line.custom_id, ok: true, response: await wire.read(result.message, entry.request) };
          } catch (error) {
            yield { customId: line.custom_id, ok: false, reason: 'errored', message: error instanceof Error ? error.message : String(error) };
          }
        } else if (result.type === 'errored') {
          const { error } = result.error;
          yield { customId: line.custom_id, ok: false, reason: 'errored', message: `${error.type}: ${error.message}` };
        } else {
          yield { customId: line.custom_id, ok: false, reason: result.type === 'expired' ? 'expired' : 'cancelled', message: `not processed (${result.type})` };
        }
      }
    },
  };
}
