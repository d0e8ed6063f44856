import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BatchPendingError, ConfigError } from '../core/errors.js';
import { contentHash } from '../core/fingerprint.js';
import { batchDefaults } from './batch-options.js';
import type { ChatCompletionsWire } from './chat-completions.js';
import { inputLines, openaiBatchLimits, readOutputLines } from './openai-batch.js';
import type { BatchCarrier } from './spec.js';

// Batch files for a self-hosted cluster: an iteration's planned requests written as an OpenAI
// batch input JSONL (what `vllm run-batch -i` reads); the run stops with `BatchPendingError`
// until the output JSONL (what `vllm run-batch -o` writes) is beside it, and a resumed run reads it.

/** The `batch` option of `openaiCompatible`: batch files in a directory, run by you (`vllm run-batch`). */
export interface BatchFilesOptions {
  /** Where the input files are written and their outputs are read from (created if missing). */
  readonly directory: string;
  /**
   * What becomes of an entry whose output line is an error, or that has none: `'live'` requests it
   * from `baseURL`; `'record'` records failed samples with the reason.
   * @default 'record'
   */
  readonly failedEntries?: 'live' | 'record';
}

/** The output file the run reads for an input file: `<name>.input.jsonl` → `<name>.output.jsonl`. */
export function batchOutputPath(inputPath: string): string {
  return inputPath.replace(/\.input\.jsonl$/, '.output.jsonl');
}

/** `BatchFilesOptions` validated. */
export function resolveBatchFiles(option: unknown): Required<BatchFilesOptions> | undefined {
  if (option === undefined) return undefined;
  const expected = "{ directory, failedEntries? }: a directory for batch files (failedEntries 'live' or 'record')";
  if (typeof option !== 'object' || option === null || Array.isArray(option)) throw new ConfigError('batch', option, expected);
  const { directory, failedEntries = 'record', ...rest } = option as BatchFilesOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ConfigError(`batch.${unknown}`, (rest as Record<string, unknown>)[unknown], `no such option: ${expected}`);
  if (typeof directory !== 'string' || directory === '') throw new ConfigError('batch.directory', directory, 'a directory path');
  if (failedEntries !== 'live' && failedEntries !== 'record') throw new ConfigError('batch.failedEntries', failedEntries, "'live' or 'record'");
  return { directory: resolve(directory), failedEntries };
}

/** The carrier of batch files: the input file is the batch; its output file, once there, is its result. */
export function batchFiles(wire: ChatCompletionsWire, options: Required<BatchFilesOptions>): BatchCarrier {
  const lineOf = inputLines(wire);
  return {
    // Nothing to poll: the output file is there or it is not.
    settings: { pollInterval: batchDefaults.pollInterval, maxPollInterval: batchDefaults.maxPollInterval, failedEntries: options.failedEntries },
    batchPrices: false,
    limits: openaiBatchLimits,
    size: (entry) => Buffer.byteLength(lineOf(entry)) + 1,
    async upload(entries) {
      const text = `${entries.map(lineOf).join('\n')}\n`;
      const path = join(options.directory, `pauper-${contentHash(entries.map((entry) => entry.customId)).slice(0, 12)}.input.jsonl`);
      await mkdir(options.directory, { recursive: true });
      await writeFile(path, text);
      return path;
    },
    async create(_entries, fileId) {
      if (fileId === undefined) throw new ConfigError('batch', undefined, 'an input file written first');
      return batchOutputPath(fileId);
    },
    async poll(batchId) {
      const input = batchId.replace(/\.output\.jsonl$/, '.input.jsonl');
      try {
        await access(batchId);
      } catch {
        throw new BatchPendingError(
          `The iteration's requests are in ${input}. Run them on your cluster, e.g. ` +
            `\`vllm run-batch -i ${input} -o ${batchId} --model ${wire.model}\`, then run again with \`resume: true\` to continue.`,
          input,
          batchId,
        );
      }
      return { batchId, status: 'completed', state: 'ended', counts: { total: 0, succeeded: 0, failed: 0 }, outputs: [batchId] };
    },
    async *results(status, entries) {
      yield* readOutputLines(wire, await readFile(status.batchId, 'utf8'), entries, status.batchId, false);
    },
  };
}
