import { countTokens, type HandlerResult, type Route } from './common.js';
import type { OpenAIFiles } from './openai-files.js';

/** A job's status on the wire. */
export type JobStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A fine-tuning job the test server holds. */
export interface StoredJob {
  readonly id: string;
  readonly model: string;
  readonly training_file: string;
  /** The create request's body as received. */
  readonly body: Readonly<Record<string, unknown>>;
  status: JobStatus;
  /** Retrieves left before it ends (one status step each). */
  remaining: number;
  fine_tuned_model: string | null;
  trained_tokens: number | null;
  error: { code: string; message: string; param: string | null } | null;
}

/** Options of `createOpenAIFineTuning`. */
export interface FineTuningServerOptions {
  /** The files store the training files are uploaded to (`createOpenAIFiles()`). */
  readonly files: OpenAIFiles;
  /** Retrieves a job answers with `validating_files`, `queued`, then `running` before it ends. @default 3 */
  readonly steps?: number;
  /** How each job ends: `succeeded`, `failed` (with `error`) or `cancelled`. @default 'succeeded' */
  readonly outcome?: 'succeeded' | 'failed' | 'cancelled' | ((job: StoredJob) => 'succeeded' | 'failed' | 'cancelled');
  /** Fewest examples a training file may hold, as OpenAI requires; fewer fails the job at validation. @default 10 */
  readonly minExamples?: number;
  /** Epochs trained when `n_epochs` is `'auto'` or absent. @default 3 */
  readonly autoEpochs?: number;
  /** The first this many creates make their job, then answer 500 as if the answer were lost. @default 0 */
  readonly loseCreateAnswers?: number;
}

/** The fine-tuning job endpoints of a test server, and the jobs it holds. */
export interface OpenAIFineTuning {
  /** Routes for `fineTuning.jobs.create`, `retrieve`, `list` and `cancel`. */
  readonly routes: readonly Route[];
  /** Every job, by id, in creation order. */
  readonly jobs: ReadonlyMap<string, StoredJob>;
  /** Lets every running job end at its next retrieve (a test that held them with many `steps`). */
  release(): void;
}

const order: readonly JobStatus[] = ['validating_files', 'queued', 'running'];
const invalid = (status: number, message: string, param: string | null = null): HandlerResult => ({
  status,
  body: { error: { message, type: 'invalid_request_error', param, code: null } },
});

/**
 * OpenAI supervised fine-tuning jobs over a files store: create checks the training file,
 * each retrieve moves a job one status step on, and it ends as `outcome` says. A job's model is
 * `ft:<model>:pauper-test:<suffix>:<id>`; `trained_tokens` counts the file's tokens (the servers'
 * 4 characters a token) × its epochs. Pass `routes` beside the files' to `startOpenAIServer({ routes })`.
 */
export function createOpenAIFineTuning(options: FineTuningServerOptions): OpenAIFineTuning {
  const jobs = new Map<string, StoredJob>();
  const steps = options.steps ?? 3;
  const minExamples = options.minExamples ?? 10;
  const wire = (job: StoredJob) => ({
    object: 'fine_tuning.job',
    id: job.id,
    model: job.model,
    created_at: 1_700_000_000,
    finished_at: job.status === 'succeeded' ? 1_700_000_100 : null,
    fine_tuned_model: job.fine_tuned_model,
    organization_id: 'org-pauper-test',
    result_files: [],
    status: job.status,
    validation_file: null,
    training_file: job.training_file,
    hyperparameters: { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto' },
    trained_tokens: job.trained_tokens,
    error: job.error,
    seed: job.body.seed ?? 0,
    metadata: job.body.metadata ?? null,
    method: job.body.method ?? null,
  });
  const jobId = (path: string): string => path.split('/')[4] ?? '';
  const end = (job: StoredJob): void => {
    const outcome = typeof options.outcome === 'function' ? options.outcome(job) : (options.outcome ?? 'succeeded');
    const file = options.files.files.get(job.training_file);
    const lines = (file?.content ?? '').split('\n').filter((line) => line.trim() !== '');
    if (lines.length < minExamples) {
      job.status = 'failed';
      job.error = { code: 'invalid_n_examples', message: `Training file has ${lines.length} example(s), but must have at least ${minExamples} examples`, param: 'training_file' };
      return;
    }
    job.status = outcome;
    if (outcome === 'failed') {
      job.error = { code: 'server_error', message: 'The job failed due to an internal error.', param: null };
      return;
    }
    if (outcome === 'cancelled') return;
    const hyper = (job.body.method as { supervised?: { hyperparameters?: { n_epochs?: unknown } } } | undefined)?.supervised?.hyperparameters;
    const epochs = typeof hyper?.n_epochs === 'number' ? hyper.n_epochs : (options.autoEpochs ?? 3);
    job.trained_tokens = countTokens(file?.content ?? '') * epochs;
    const suffix = typeof job.body.suffix === 'string' ? job.body.suffix : '';
    job.fine_tuned_model = `ft:${job.model}:pauper-test:${suffix}:${job.id.slice(-6)}`;
  };

  const create: Route = {
    matches: (method, path) => method === 'POST' && path === '/v1/fine_tuning/jobs',
    handle: (request) => {
      const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
      if (typeof body.model !== 'string' || typeof body.training_file !== 'string') return invalid(400, '`model` and `training_file` are required.');
      const file = options.files.files.get(body.training_file);
      if (file === undefined) return invalid(400, `invalid training_file: ${body.training_file}`, 'training_file');
      if (file.purpose !== 'fine-tune') return invalid(400, `File ${file.id} has purpose ${file.purpose}, expected fine-tune.`, 'training_file');
      const id = `ftjob-${String(jobs.size + 1).padStart(6, '0')}`;
      const job: StoredJob = {
        id,
        model: body.model,
        training_file: body.training_file,
        body,
        status: 'validating_files',
        remaining: steps,
        fine_tuned_model: null,
        trained_tokens: null,
        error: null,
      };
      jobs.set(id, job);
      if (steps === 0) end(job);
      if (jobs.size <= (options.loseCreateAnswers ?? 0)) return { status: 500, body: { error: { message: 'The server had an error.', type: 'server_error', param: null, code: null } } };
      return { status: 200, body: wire(job) };
    },
  };
  const retrieve: Route = {
    matches: (method, path) => method === 'GET' && /^\/v1\/fine_tuning\/jobs\/[^/]+$/.test(path),
    handle: (request) => {
      const job = jobs.get(jobId(request.path));
      if (job === undefined) return invalid(404, `Could not find fine-tune: ${jobId(request.path)}`);
      if (!['succeeded', 'failed', 'cancelled'].includes(job.status)) {
        job.remaining -= 1;
        if (job.remaining <= 0) end(job);
        else job.status = order[Math.min(order.length - 1, steps - job.remaining)] ?? 'running';
      }
      return { status: 200, body: wire(job) };
    },
  };
  const list: Route = {
    matches: (method, path) => method === 'GET' && path === '/v1/fine_tuning/jobs',
    handle: (request) => {
      const limit = Number(request.query.get('limit') ?? 20);
      const data = [...jobs.values()].reverse().slice(0, limit).map(wire);
      return { status: 200, body: { object: 'list', data, has_more: false } };
    },
  };
  const cancel: Route = {
    matches: (method, path) => method === 'POST' && /^\/v1\/fine_tuning\/jobs\/[^/]+\/cancel$/.test(path),
    handle: (request) => {
      const job = jobs.get(jobId(request.path));
      if (job === undefined) return invalid(404, `Could not find fine-tune: ${jobId(request.path)}`);
      job.status = 'cancelled';
      return { status: 200, body: wire(job) };
    },
  };
  return {
    routes: [create, list, cancel, retrieve],
    jobs,
    release() {
      for (const job of jobs.values()) job.remaining = Math.min(job.remaining, 1);
    },
  };
}
