import { ConfigError } from '../core/errors.js';
import type { RunResult } from '../core/results.js';
import type { Trajectory } from '../core/trajectory.js';
import type { RunEvent } from '../run/events.js';

/**
 * Where progress lines go: anything with `write`, such as `process.stderr` or a file stream.
 * A structural type, so a user's own sink (a logger, a test buffer) fits without Node's typings.
 */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** `true` for a terminal: the status line is redrawn in place. */
  readonly isTTY?: boolean;
  /** A terminal's width: the redrawn status line is cut to fit it, since a wrapped line cannot be redrawn. */
  readonly columns?: number;
}

/** Where and how often `iterate()` reports progress (the `progress` option as an object). */
export interface ProgressOptions {
  /** Where the lines go. @default process.stderr */
  readonly stream?: ProgressStream;
  /** Least milliseconds between two redraws of the status line on a terminal. @default 100 */
  readonly interval?: number;
}

/** The `progress` option resolved: where to write, and whether to redraw a status line in place. */
export interface ProgressSettings {
  readonly stream: ProgressStream;
  readonly redraw: boolean;
  readonly interval: number;
}

/** What decides the default: the environment variables and the standard error stream. */
export interface ProgressEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stderr: ProgressStream;
}

const progressDefaults = { interval: 100 } as const;
const expected = 'true, false, or { stream, interval }';

/**
 * The `progress` option validated, `undefined` when off. Unset, it is on when standard error is a
 * terminal or `CI` is set, and off under a test runner, whose output it would clutter.
 */
export function resolveProgress(
  option: unknown,
  environment: ProgressEnvironment = { env: process.env, stderr: process.stderr },
): ProgressSettings | undefined {
  if (option === undefined) return onByDefault(environment) ? settings(environment.stderr, progressDefaults.interval, environment.env) : undefined;
  if (option === false) return undefined;
  if (option === true) return settings(environment.stderr, progressDefaults.interval, environment.env);
  if (typeof option !== 'object' || option === null || Array.isArray(option)) throw new ConfigError('progress', option, expected);
  const { stream = environment.stderr, interval = progressDefaults.interval, ...rest } = option as ProgressOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ConfigError(`progress.${unknown}`, (rest as Record<string, unknown>)[unknown], `no such option: ${expected}`);
  if (typeof stream !== 'object' || stream === null || typeof stream.write !== 'function') {
    throw new ConfigError('progress.stream', stream, 'a writable stream such as process.stderr (an object with write())');
  }
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0) {
    throw new ConfigError('progress.interval', interval, 'a number of milliseconds, 0 or more');
  }
  return settings(stream, interval, environment.env);
}

function onByDefault({ env, stderr }: ProgressEnvironment): boolean {
  const testRunner = env.VITEST !== undefined || env.JEST_WORKER_ID !== undefined || env.NODE_TEST_CONTEXT !== undefined || env.NODE_ENV === 'test';
  return !testRunner && (stderr.isTTY === true || inCi(env));
}

/**
 * Redrawn in place only on a terminal that can take it, as sindresorhus/is-interactive decides:
 * not `TERM=dumb`, and not in CI, whose logs keep every redraw as a line of its own.
 */
function settings(stream: ProgressStream, interval: number, env: ProgressEnvironment['env']): ProgressSettings {
  return { stream, interval, redraw: stream.isTTY === true && env.TERM !== 'dumb' && !inCi(env) };
}

function inCi(env: ProgressEnvironment['env']): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI !== 'false';
}

/** Reports a run's progress from its events; `close` ends a status line the run left on screen. */
export interface ProgressReporter {
  readonly onEvent: (event: RunEvent<unknown, unknown, unknown>) => void;
  /** Moves past a status line left on screen (a run that failed or was stopped), so what follows starts on a line of its own. */
  readonly close: () => void;
}

/** What the status line shows, counted from the run's events alone. */
interface Tally {
  /** Iterations in all, the baseline included, and samples per iteration (training and held-out). */
  readonly shape: { readonly iterations: number; readonly perIteration: number };
  runStarted: number;
  iteration: number;
  iterationStarted: number;
  done: number;
  failed: number;
  /** Samples requested this iteration, not restored from a journal: the run's pace. */
  sampled: number;
  /** Scored training samples this iteration: the figures the loop learns from, as in `result.train`. */
  scored: number;
  rewardSum: number;
  best: number | undefined;
  /** The run's tokens and cost so far; `null` once a price was unknown. */
  tokens: number;
  costUsd: number | null;
}

/**
 * A reporter writing to `settings.stream`. With `redraw`, one status line drawn at an iteration's
 * first sample and redrawn in place at most every `interval` ms, then a permanent line per
 * iteration; without, only the lines.
 *
 * The redraw is two control codes (`\r`, then `ESC[K` to erase what a longer line left), sent
 * with the text in one write: Node's `readline.cursorTo`/`clearLine` would send the same codes in
 * three writes, and libraries such as log-update or ora manage multi-line or spinner output this
 * one line does not need.
 */
export function createProgress(settings: ProgressSettings, now: () => number = () => performance.now()): ProgressReporter {
  const { stream } = settings;
  let tally: Tally | undefined;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let onScreen = false;
  const batchStatuses = new Map<string, string>();
  const draw = (line: string): void => {
    // A terminal of unknown size (a pseudo-terminal nobody sized) reports 0 columns.
    const width = stream.columns ?? 0;
    stream.write(`\r${width > 0 ? line.slice(0, width - 1) : line}\x1b[K`);
    onScreen = true;
    lastDraw = now();
  };
  const permanent = (line: string): void => {
    stream.write(`${onScreen ? '\r\x1b[K' : ''}${line}\n`);
    onScreen = false;
  };
  const onEvent = (event: RunEvent<unknown, unknown, unknown>): void => {
    if (event.type === 'run-start') tally = startRun(event, now());
    if (event.type === 'run-end') permanent(finalLine(event.result));
    if (tally === undefined) return;
    switch (event.type) {
      case 'iteration-start':
        // Not drawn until a sample arrives: a `for await` consumer prints the last iteration after
        // the loop has started this one, and a line drawn now would run into what it prints.
        startIteration(tally, event.iteration, now());
        lastDraw = Number.NEGATIVE_INFINITY;
        return;
      case 'sample':
        count(tally, event.trajectory, event.restored === true);
        if (settings.redraw && now() - lastDraw >= settings.interval) draw(statusLine(tally, now()));
        return;
      case 'iteration-end':
        permanent(statusLine(tally, now(), true));
        return;
      case 'fine-tune':
        // A job takes minutes to hours: say when it starts and what it made, not every poll.
        if (event.phase === 'job') permanent(`fine-tuning on the kept set of iteration ${event.iteration}: job ${event.jobId ?? '?'} (${event.status ?? 'created'})`);
        if (event.phase === 'succeeded') permanent(`fine-tuned after iteration ${event.iteration}: the next iterations sample ${event.model ?? '?'}`);
        return;
      case 'batch': {
        // While an iteration waits for its batch no sample arrives: the batch's counts are the progress.
        const line = batchLine(tally, event, now());
        if (settings.redraw) draw(line);
        else if (batchStatuses.get(event.batchId) !== event.status) permanent(line);
        batchStatuses.set(event.batchId, event.status);
        return;
      }
    }
  };
  const close = (): void => {
    if (onScreen) stream.write('\n');
    onScreen = false;
  };
  return { onEvent, close };
}

function startRun(event: Extract<RunEvent<unknown, unknown, unknown>, { type: 'run-start' }>, at: number): Tally {
  return {
    shape: { iterations: event.iterations + 1, perIteration: event.samples * (event.tasks + event.evalTasks) },
    runStarted: at,
    iteration: 0,
    iterationStarted: at,
    done: 0,
    failed: 0,
    sampled: 0,
    scored: 0,
    rewardSum: 0,
    best: undefined,
    tokens: 0,
    costUsd: 0,
  };
}

function startIteration(tally: Tally, iteration: number, at: number): void {
  Object.assign(tally, { iteration, iterationStarted: at, done: 0, failed: 0, sampled: 0, scored: 0, rewardSum: 0, best: undefined });
}

function count(tally: Tally, trajectory: Trajectory<unknown, unknown, unknown>, restored: boolean): void {
  tally.done++;
  if (!restored) tally.sampled++;
  tally.tokens += trajectory.usage.inputTokens + trajectory.usage.outputTokens;
  tally.costUsd = tally.costUsd === null || trajectory.costUsd === null ? null : tally.costUsd + trajectory.costUsd;
  if (!trajectory.ok) {
    tally.failed++;
  } else if (trajectory.split === 'train') {
    tally.scored++;
    tally.rewardSum += trajectory.reward;
    if (tally.best === undefined || trajectory.reward > tally.best) tally.best = trajectory.reward;
  }
}

/** `iter 2/4 37/64 samples 2 failed mean 0.412 best 0.9 12.3k tok $0.0123 3s ETA 9s`: one iteration so far. */
function statusLine(tally: Tally, at: number, ended = false): string {
  const { shape } = tally;
  const mean = tally.scored === 0 ? undefined : tally.rewardSum / tally.scored;
  return [
    `iter ${tally.iteration}/${shape.iterations - 1}`,
    `${tally.done}/${shape.perIteration} samples`,
    `${tally.failed} failed`,
    `mean ${reward(mean)}`,
    `best ${reward(tally.best)}`,
    `${compact(tally.tokens)} tok`,
    cost(tally.costUsd),
    duration(at - tally.runStarted),
    `ETA ${eta(tally, at, ended)}`,
  ].join(' ');
}

/**
 * Time left at this iteration's pace (samples requested per second so far) for what is left of it
 * and of the iterations after it; `--` until a sample was requested. The early stops (`budget`,
 * `targetReward`, `patience`) can only make it shorter.
 */
function eta(tally: Tally, at: number, ended: boolean): string {
  const elapsed = at - tally.iterationStarted;
  if (tally.sampled === 0 || elapsed <= 0) return '--';
  const { iterations, perIteration } = tally.shape;
  const left = (ended ? 0 : perIteration - tally.done) + perIteration * (iterations - 1 - tally.iteration);
  return duration((Math.max(0, left) * elapsed) / tally.sampled);
}

/** `iter 1/3 batch batch_abc in_progress 1200/10000 done 3 failed 1m20s`: a batch the iteration waits for. */
function batchLine(tally: Tally, event: Extract<RunEvent<unknown, unknown, unknown>, { type: 'batch' }>, at: number): string {
  const { counts } = event;
  return [
    `iter ${tally.iteration}/${tally.shape.iterations - 1}`,
    `batch ${event.batchId} ${event.status}`,
    `${counts.succeeded}/${counts.total} done`,
    `${counts.failed} failed`,
    duration(at - tally.runStarted),
  ].join(' ');
}

/** `done 5 iterations 320 samples 7 failed best 0.95 61.2k tok $0.0456 12s`, or `stopped (patience) ...`. */
function finalLine(result: RunResult<unknown, unknown, unknown>): string {
  // From the statistics, not `result.trajectories`: a run may have left those in its journal.
  let samples = 0;
  let failed = 0;
  for (const { train, eval: held } of result.iterations) {
    samples += train.samples + (held?.samples ?? 0);
    failed += train.failed + (held?.failed ?? 0);
  }
  const count = result.iterations.length;
  return [
    result.stopped === undefined ? 'done' : `stopped (${result.stopped.reason})`,
    `${count} ${count === 1 ? 'iteration' : 'iterations'}`,
    `${samples} samples`,
    `${failed} failed`,
    `best ${reward(result.best?.reward)}`,
    `${compact(result.usage.inputTokens + result.usage.outputTokens)} tok`,
    cost(result.costUsd),
    duration(result.wallTimeMs),
  ].join(' ');
}

/** Three significant digits, whatever the reward's scale. */
function reward(value: number | undefined): string {
  if (value === undefined) return '--';
  const size = Math.abs(value);
  if (size !== 0 && (size >= 1e5 || size < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

/** `812`, `12.3k`, `4.56M`. */
function compact(count: number): string {
  const thousands = Number((count / 1e3).toPrecision(3));
  if (count < 1000) return String(count);
  if (thousands < 1000) return `${thousands}k`;
  return `${Number((count / 1e6).toPrecision(3))}M`;
}

function cost(costUsd: number | null): string {
  return costUsd === null ? 'cost unknown' : `$${costUsd.toFixed(4)}`;
}

/** `42s`, `3m05s`, `2h07m`. */
function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
