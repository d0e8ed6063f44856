import type { OpenAI } from 'openai';
import type { FineTuningJob as WireJob } from 'openai/resources/fine-tuning/jobs/jobs';
import { ConfigError } from '../core/errors.js';
import { importOpenAI } from './sdk-modules.js';
import { malformedResponse, sdkTimeout } from './shared.js';
import type { FineTuning, FineTuningJob, FineTuningJobRequest } from './spec.js';
import type { Secrets } from './transport/credentials.js';
import type { Transport } from './transport/transport.js';

// OpenAI supervised fine-tuning: files.create (purpose `fine-tune`), fineTuning.jobs.create / retrieve / list.

/** What the OpenAI fine-tuning API needs of its provider. */
export interface OpenAIFineTuningConfig {
  readonly name: string;
  readonly client: () => Promise<OpenAI>;
  readonly transport: Transport;
  readonly secrets: Secrets;
}

/** OpenAI rejects a training file with fewer examples than this. */
export const openaiMinExamples = 10;

const statuses: ReadonlySet<string> = new Set(['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled']);

/** The fine-tuning API of an `openai` provider, on its client and transport. */
export function openaiFineTuning(config: OpenAIFineTuningConfig): FineTuning {
  const { name, transport } = config;
  const send = <T>(work: (client: OpenAI, options: { signal: AbortSignal; maxRetries: 0; timeout: number }) => PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> =>
    config.client().then((client) => {
      checkClient(client);
      return transport.send<T>((attemptSignal) => Promise.resolve(work(client, { signal: attemptSignal, maxRetries: 0, timeout: sdkTimeout(transport) })), {
        provider: name,
        ...(signal === undefined ? {} : { signal }),
        secrets: config.secrets,
      });
    });
  const find = async (trainingFile: string, metadata: Readonly<Record<string, string>>, signal?: AbortSignal) => {
    const page = await send((client, options) => client.fineTuning.jobs.list({ limit: 100 }, options), signal);
    const match = page.data.find(
      (job) => job.training_file === trainingFile && Object.entries(metadata).every(([key, value]) => job.metadata?.[key] === value),
    );
    return match === undefined ? undefined : toJob(name, match);
  };
  return {
    minExamples: openaiMinExamples,
    async upload(jsonl, filename, signal) {
      const { toFile } = await importOpenAI();
      const file = await send(
        async (client, options) => client.files.create({ file: await toFile(Buffer.from(jsonl, 'utf8'), filename), purpose: 'fine-tune' }, options),
        signal,
      );
      if (typeof file?.id !== 'string') throw malformedResponse(name, 'an uploaded file without an `id`');
      return file.id;
    },
    async create(request: FineTuningJobRequest, signal) {
      let attempts = 0;
      const created = await send(async (client, options) => {
        // A create whose answer was lost may have made the job: a retry adopts it rather than make a second one.
        if (attempts++ > 0) {
          const found = await find(request.trainingFile, request.metadata, options.signal);
          if (found !== undefined) return found;
        }
        const job = await client.fineTuning.jobs.create(
          {
            model: request.model,
            training_file: request.trainingFile,
            method: { type: 'supervised', supervised: { hyperparameters: { ...request.hyperparameters } } },
            seed: request.seed,
            metadata: { ...request.metadata },
            ...(request.suffix === undefined ? {} : { suffix: request.suffix }),
          },
          options,
        );
        return toJob(name, job);
      }, signal);
      return created;
    },
    async retrieve(jobId, signal) {
      return toJob(name, await send((client, options) => client.fineTuning.jobs.retrieve(jobId, options), signal));
    },
    find,
  };
}

/** A user's client without the fine-tuning endpoints cannot fine-tune: say so before anything is sent. */
function checkClient(client: OpenAI): void {
  const shaped = client as Partial<OpenAI>;
  if (typeof shaped.files?.create !== 'function' || typeof shaped.fineTuning?.jobs?.create !== 'function') {
    throw new ConfigError('client', 'a client without files.create or fineTuning.jobs', 'an OpenAI client (new OpenAI(...)) to fine-tune with');
  }
}

/** A job from the wire, checked; a malformed one is a `ProviderError`. */
function toJob(name: string, job: WireJob | FineTuningJob): FineTuningJob {
  if ('fineTunedModel' in job) return job;
  if (typeof job?.id !== 'string' || !statuses.has(job.status)) throw malformedResponse(name, 'a fine-tuning job without an `id` or a known `status`');
  return {
    id: job.id,
    status: job.status,
    fineTunedModel: typeof job.fine_tuned_model === 'string' ? job.fine_tuned_model : undefined,
    trainedTokens: typeof job.trained_tokens === 'number' ? job.trained_tokens : undefined,
    error: job.error === null || job.error === undefined ? undefined : `${job.error.message ?? 'failed'}${job.error.code ? ` (${job.error.code})` : ''}`,
  };
}
