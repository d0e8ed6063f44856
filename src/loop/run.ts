import type { IterationResult, RunResult } from '../core/results.js';
import { PauperError } from '../core/errors.js';

/**
 * A running (or not yet started) loop. Await it for the `RunResult`, or
 * iterate it with `for await` to get each `IterationResult` as it completes;
 * both may be used at once, and every `for await` sees every iteration.
 * Work starts on the first `await` or iteration; breaking out of a
 * `for await` before the run ends stops it.
 */
export class Run<Task, Output = string, Info = undefined>
  implements PromiseLike<RunResult<Task, Output, Info>>, AsyncIterable<IterationResult<Task, Output, Info>>
{
  readonly #loop: AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>>;
  readonly #stop: (reason: unknown) => void;
  readonly #iterations: IterationResult<Task, Output, Info>[] = [];
  #outcome: { readonly result: RunResult<Task, Output, Info> } | { readonly error: unknown } | undefined;
  #pumping: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #changed = Promise.resolve();

  /** @internal Use `iterate()`. */
  constructor(
    loop: AsyncGenerator<IterationResult<Task, Output, Info>, RunResult<Task, Output, Info>>,
    stop: (reason: unknown) => void,
  ) {
    this.#loop = loop;
    this.#stop = stop;
    this.#arm();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<IterationResult<Task, Output, Info>, void> {
    void this.#pump();
    let next = 0;
    let completed = false;
    try {
      while (true) {
        const changed = this.#changed;
        while (next < this.#iterations.length) yield this.#iterations[next++] as IterationResult<Task, Output, Info>;
        const outcome = this.#outcome;
        if (outcome !== undefined && next >= this.#iterations.length) {
          completed = true;
          if ('error' in outcome) throw outcome.error;
          return;
        }
        await changed;
      }
    } finally {
      if (!completed && this.#outcome === undefined) {
        this.#stop(new PauperError('The run was stopped by breaking out of its `for await` loop; it has no final result.'));
      }
    }
  }

  then<Fulfilled = RunResult<Task, Output, Info>, Rejected = never>(
    onFulfilled?: ((result: RunResult<Task, Output, Info>) => Fulfilled | PromiseLike<Fulfilled>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Fulfilled | Rejected> {
    const settled = this.#pump().then(() => {
      const outcome = this.#outcome;
      if (outcome === undefined || 'error' in outcome) throw outcome?.error;
      return outcome.result;
    });
    return settled.then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`: starts the run if it has not started. */
  catch<Rejected = never>(
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<RunResult<Task, Output, Info> | Rejected> {
    return this.then(undefined, onRejected);
  }

  /** Like `Promise.prototype.finally`: starts the run if it has not started. */
  finally(onFinally?: (() => void) | null): Promise<RunResult<Task, Output, Info>> {
    return this.then().finally(onFinally);
  }

  /** Drives the loop once, whoever asks first; never rejects (the outcome holds the error). */
  #pump(): Promise<void> {
    this.#pumping ??= (async () => {
      try {
        while (true) {
          const step = await this.#loop.next();
          if (step.done === true) {
            this.#outcome = { result: step.value };
            return;
          }
          this.#iterations.push(step.value);
          this.#notify();
        }
      } catch (error) {
        this.#outcome = { error };
      } finally {
        this.#notify();
      }
    })();
    return this.#pumping;
  }

  #arm(): void {
    this.#changed = new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#arm();
    wake?.();
  }
}
