import type { IterationResult, RunResult } from '../core/results.js';
import type { Example, Trajectory } from '../core/trajectory.js';
import type { Warning } from '../core/warnings.js';

/** What a run reports through `onEvent`, in order. */
export type RunEvent<Task, Output = string, Info = unknown> =
  | {
      readonly type: 'run-start';
      readonly seed: number;
      readonly iterations: number;
      readonly tasks: number;
      readonly evalTasks: number;
      readonly samples: number;
    }
  | { readonly type: 'iteration-start'; readonly iteration: number; readonly examples: readonly Example<Task, Output, Info>[] }
  | {
      readonly type: 'sample';
      readonly trajectory: Trajectory<Task, Output, Info>;
      /** `true` when a resumed run took the sample from its journal instead of requesting it. */
      readonly restored?: boolean;
    }
  | ({ readonly type: 'warning' } & Warning)
  | {
      /** A batch of the iteration's requests, polled while the run waits for it (batch mode). */
      readonly type: 'batch';
      readonly provider: string;
      readonly batchId: string;
      /** The provider's word for where it stands: `validating`, `in_progress`, `ended`, ... */
      readonly status: string;
      readonly counts: { readonly total: number; readonly succeeded: number; readonly failed: number };
    }
  | { readonly type: 'iteration-end'; readonly iteration: number; readonly result: IterationResult<Task, Output, Info> }
  | {
      /** A fine-tuning job after `iteration`: each step (file uploaded, job created, each status polled, done). */
      readonly type: 'fine-tune';
      readonly iteration: number;
      readonly phase: 'file' | 'job' | 'status' | 'succeeded';
      readonly fileId: string;
      readonly jobId?: string;
      /** The job's status as last polled. */
      readonly status?: string;
      /** The fine-tuned model, once the job succeeded. */
      readonly model?: string;
    }
  | { readonly type: 'run-end'; readonly result: RunResult<Task, Output, Info> };

/** Receives run events. Must not throw; it is called synchronously. */
export type EventListener<Task, Output = string, Info = unknown> = (event: RunEvent<Task, Output, Info>) => void;
