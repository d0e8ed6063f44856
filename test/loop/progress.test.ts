import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compiled } from '../children.js';
import type { IterateOptions, ProgressOptions, ProgressStream } from 'pauper';
import { ConfigError, evaluate, fromFunction, iterate, zeroUsage } from 'pauper';
import type { ProgressEnvironment } from '../../src/loop/progress.js';
import { createProgress, resolveProgress } from '../../src/loop/progress.js';
import type { RunEvent } from '../../src/run/events.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('../fixtures/progress-run.ts', import.meta.url));

/** A stream that keeps what is written to it. */
function capture(terminal: { isTTY?: boolean; columns?: number } = {}): ProgressStream & { readonly text: () => string; readonly writes: string[] } {
  const writes: string[] = [];
  return { ...terminal, writes, write: (chunk: string) => writes.push(chunk), text: () => writes.join('') };
}

/** Two training tasks and one held-out, three samples each; sample 2 of every task fails its reward. */
function options(progress: boolean | ProgressOptions): IterateOptions<string> {
  const usage = { ...zeroUsage, requests: 1, inputTokens: 100, outputTokens: 20 };
  return {
    provider: fromFunction(async () => ({ text: 'ok', usage }), { costPerCall: 0.001 }),
    tasks: ['a', 'b'],
    evalTasks: ['c'],
    samples: 3,
    iterations: 2,
    reward: (_sample, { index }) => {
      if (index === 2) throw new Error('no score for the third sample');
      return index === 0 ? 1 : 0.5;
    },
    progress,
  };
}

/** The events of a real run, to replay against a clock the test moves. */
async function recordedEvents(): Promise<RunEvent<unknown, unknown, unknown>[]> {
  const events: RunEvent<unknown, unknown, unknown>[] = [];
  await iterate({ ...options(false), iterations: 1, onEvent: (event) => events.push(event) });
  return events;
}

const iterationLine = /^iter (\d)\/2 9\/9 samples 3 failed mean 0\.75 best 1 (1\.08|2\.16|3\.24)k tok \$0\.0(09|18|27)0 \d+s ETA (\d+s|\d+m\d\ds|--)$/;

describe('progress on a stream that is not a terminal', () => {
  it('writes one line per iteration and one at the end of the run, without control codes', async () => {
    const stream = capture();
    await iterate(options({ stream }));
    const lines = stream.text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((line) => iterationLine.exec(line)?.[1])).toEqual(['0', '1', '2']);
    expect(lines[3]).toMatch(/^done 3 iterations 27 samples 9 failed best 1 3\.24k tok \$0\.0270 \d+s$/);
    expect(stream.writes).toHaveLength(4);
    expect(stream.text()).not.toMatch(/[\r\x1b]/);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('shows `cost unknown` when a price is unknown', async () => {
    const stream = capture();
    await iterate({ ...options({ stream }), provider: fromFunction(async () => 'ok'), iterations: 0 });
    expect(stream.text()).toMatch(/^iter 0\/0 9\/9 samples .* tok cost unknown \d+s ETA \S+$/m);
    expect(stream.text()).toMatch(/^done .* cost unknown \d+s$/m);
  });

  it('says why a run stopped early in its last line', async () => {
    const stream = capture();
    await iterate({ ...options({ stream }), targetReward: 0.5 });
    expect(stream.text().split('\n').at(-2)).toMatch(/^stopped \(targetReward\) 1 iteration 9 samples /);
  });

  it('progress: false writes nothing, even where it would be on by default', async () => {
    const { stderr } = await run(process.execPath, [compiled(child), 'false'], { cwd: root, env: { PATH: process.env.PATH ?? '', CI: 'true' } });
    expect(stderr).toBe('');
  });

  it('is on by default in CI with standard error piped: a line per iteration', async () => {
    const { stderr } = await run(process.execPath, [compiled(child), 'default'], { cwd: root, env: { PATH: process.env.PATH ?? '', CI: 'true' } });
    expect(stderr).toMatch(/^iter 0\/2 6\/6 samples 0 failed mean 1 best 1 720 tok \$0\.0060 \d+s ETA \S+\niter 1\/2 .*\niter 2\/2 .*\ndone 3 iterations 18 samples /);
  });

  it('is off by default under vitest, even in CI', async () => {
    const { stderr } = await run(process.execPath, [compiled(child), 'default'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', CI: 'true', VITEST: 'true' },
    });
    expect(stderr).toBe('');
  });

  it('is off by default with standard error piped outside CI', async () => {
    const { stderr } = await run(process.execPath, [compiled(child), 'default'], { cwd: root, env: { PATH: process.env.PATH ?? '' } });
    expect(stderr).toBe('');
  });
});

describe('progress on a terminal', () => {
  /** The fixture run under a real pseudo-terminal (util-linux `script`): what the terminal received. */
  async function onTerminal(...args: string[]): Promise<string> {
    const command = [process.execPath, compiled(child), ...args].join(' ');
    const { stdout } = await run('script', ['-qfec', command, '/dev/null'], { cwd: root, env: { PATH: process.env.PATH ?? '', TERM: 'xterm' } });
    return stdout;
  }

  it('redraws a status line in place, then leaves a line per iteration and one at the end', async () => {
    const output = await onTerminal('default');
    // Each iteration's first sample draws its status line from the start of the line, erasing what was there.
    for (const iteration of [0, 1, 2]) expect(output).toMatch(new RegExp(`\riter ${iteration}/2 1/6 samples 0 failed mean 1 best 1 [^\n]*ETA \\S+\x1b\\[K`));
    // What stays on screen of each line: what follows its last erase.
    const permanent = output.split(/\r?\n/).map((line) => line.split('\x1b[K').at(-1) ?? '');
    expect(permanent.filter((line) => line !== '').map((line) => line.replace(/ \d+s( ETA \S+)?$/, ''))).toEqual([
      'iter 0/2 6/6 samples 0 failed mean 1 best 1 720 tok $0.0060',
      'iter 1/2 6/6 samples 0 failed mean 1 best 1 1.44k tok $0.0120',
      'iter 2/2 6/6 samples 0 failed mean 1 best 1 2.16k tok $0.0180',
      'done 3 iterations 18 samples 0 failed best 1 2.16k tok $0.0180',
    ]);
  });

  it('a run that fails leaves its status line and starts what follows on a new line', async () => {
    const output = await onTerminal('default', 'fail');
    expect(output).toMatch(/\riter 0\/2 \d\/6 samples [^\n]*\x1b\[K\r?\nthe run failed\r?\n$/);
  });

  it('redraws at most once per interval however many samples arrive', async () => {
    const events = await recordedEvents();
    expect(events.filter((event) => event.type === 'sample')).toHaveLength(18);
    /** How often a reporter redraws when each event comes 1 ms after the one before. */
    const redraws = (interval: number): number => {
      const stream = capture({ isTTY: true });
      let clock = 0;
      const progress = createProgress({ stream, redraw: true, interval }, () => clock);
      for (const event of events) {
        clock += 1;
        progress.onEvent(event);
      }
      return stream.writes.filter((write) => !write.endsWith('\n')).length;
    };
    // Per iteration: its first sample draws, then one every 3 ms over the 8 that follow.
    expect(redraws(3)).toBe(2 * 3);
    expect(redraws(0)).toBe(2 * 9);
    expect(redraws(100)).toBe(2);
  });

  it('draws nothing when an iteration starts, so that a for await consumer printing the last one is not run into', async () => {
    const events = await recordedEvents();
    const stream = capture({ isTTY: true });
    const progress = createProgress({ stream, redraw: true, interval: 0 }, () => 0);
    const second = events.findIndex((event) => event.type === 'iteration-start' && event.iteration === 1);
    for (const event of events.slice(0, second + 1)) progress.onEvent(event);
    expect(stream.writes.at(-1)).toMatch(/^\r\x1b\[Kiter 0\/1 9\/9 samples .*\n$/);
  });

  it('says when a fine-tuning job starts and what model it made, not every poll', async () => {
    const events = await recordedEvents();
    const stream = capture({ isTTY: false });
    const progress = createProgress({ stream, redraw: false, interval: 0 }, () => 0);
    progress.onEvent(events[0]!);
    progress.onEvent({ type: 'fine-tune', iteration: 0, phase: 'job', fileId: 'file-1', jobId: 'ftjob-1', status: 'queued' });
    for (let poll = 0; poll < 5; poll++) progress.onEvent({ type: 'fine-tune', iteration: 0, phase: 'status', fileId: 'file-1', jobId: 'ftjob-1', status: 'running' });
    progress.onEvent({ type: 'fine-tune', iteration: 0, phase: 'succeeded', fileId: 'file-1', jobId: 'ftjob-1', status: 'succeeded', model: 'ft:gpt-4.1-mini:org::x' });
    expect(stream.writes).toEqual([
      'fine-tuning on the kept set of iteration 0: job ftjob-1 (queued)\n',
      'fine-tuned after iteration 0: the next iterations sample ft:gpt-4.1-mini:org::x\n',
    ]);
  });

  it('ETA is -- until a sample is requested, then the pace times what is left of the run', async () => {
    const events = await recordedEvents();
    const stream = capture({ isTTY: true });
    let clock = 0;
    const progress = createProgress({ stream, redraw: true, interval: 0 }, () => clock);
    const samples = events.filter((event) => event.type === 'sample');
    progress.onEvent(events[0]!); // run-start: 2 iterations of 9 samples
    progress.onEvent(events[1]!); // iteration-start at 0 s
    progress.onEvent(samples[0]!); // at once: no pace yet
    expect(stream.writes.at(-1)).toMatch(/ETA --\x1b\[K$/);
    clock = 3000;
    for (const event of samples.slice(1, 3)) progress.onEvent(event);
    // 3 samples in 3 s: 6 left of this iteration and 9 of the next at 1 a second.
    expect(stream.writes.at(-1)).toMatch(/^\riter 0\/1 3\/9 samples .* 3s ETA 15s\x1b\[K$/);
  });

  it('cuts the status line to the terminal width so that it can be redrawn', async () => {
    const stream = capture({ isTTY: true, columns: 30 });
    const events = await recordedEvents();
    const progress = createProgress({ stream, redraw: true, interval: 0 }, () => 0);
    for (const event of events.slice(0, 3)) progress.onEvent(event);
    expect(stream.writes.at(-1)).toMatch(/^\riter 0\/1 1\/9 samples \d failed\x1b\[K$/);
  });
});

describe('the progress option', () => {
  const terminal = { isTTY: true, write: () => true };
  const pipe = { write: () => true };
  const cases: [string, ProgressEnvironment, 'off' | 'lines' | 'redraw'][] = [
    ['a terminal', { env: {}, stderr: terminal }, 'redraw'],
    ['a pipe', { env: {}, stderr: pipe }, 'off'],
    ['a pipe in CI', { env: { CI: 'true' }, stderr: pipe }, 'lines'],
    ['a terminal in CI', { env: { CI: '1' }, stderr: terminal }, 'lines'],
    ['a pipe with CI=false', { env: { CI: 'false' }, stderr: pipe }, 'off'],
    ['a dumb terminal', { env: { TERM: 'dumb' }, stderr: terminal }, 'lines'],
    ['a terminal under vitest', { env: { VITEST: 'true' }, stderr: terminal }, 'off'],
    ['a terminal under jest', { env: { JEST_WORKER_ID: '1' }, stderr: terminal }, 'off'],
    ['a terminal under node --test', { env: { NODE_TEST_CONTEXT: 'child-v8' }, stderr: terminal }, 'off'],
    ['a pipe in CI with NODE_ENV=test', { env: { CI: 'true', NODE_ENV: 'test' }, stderr: pipe }, 'off'],
  ];
  for (const [where, environment, expected] of cases) {
    it(`unset, on ${where} it is ${expected}`, () => {
      const settings = resolveProgress(undefined, environment);
      expect(settings === undefined ? 'off' : settings.redraw ? 'redraw' : 'lines').toBe(expected);
    });
  }

  it('true turns it on under a test runner; false turns it off on a terminal', () => {
    expect(resolveProgress(true, { env: { VITEST: 'true' }, stderr: pipe })).toEqual({ stream: pipe, redraw: false, interval: 100 });
    expect(resolveProgress(false, { env: {}, stderr: terminal })).toBeUndefined();
  });

  it('an object gives the stream and the interval', () => {
    expect(resolveProgress({ stream: terminal, interval: 250 }, { env: {}, stderr: pipe })).toEqual({ stream: terminal, redraw: true, interval: 250 });
  });

  const invalid: [string, unknown, string][] = [
    ['a string', 'yes', 'progress'],
    ['a number', 1, 'progress'],
    ['null', null, 'progress'],
    ['an unknown field', { strem: pipe }, 'progress.strem'],
    ['a stream without write()', { stream: {} }, 'progress.stream'],
    ['a negative interval', { interval: -1 }, 'progress.interval'],
    ['an interval that is not a number', { interval: '100' }, 'progress.interval'],
  ];
  for (const [what, value, option] of invalid) {
    it(`${what} is a ConfigError naming \`${option}\``, async () => {
      const error: unknown = await iterate({ ...options(false), progress: value as boolean }).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
    });
  }

  it('evaluate() refuses progress, saying iterate() takes it', async () => {
    const shared = { provider: fromFunction(async () => 'ok'), tasks: ['a'], reward: () => 1, progress: true };
    await expect(evaluate(shared)).rejects.toThrow('Invalid option `progress`: expected no `progress` in evaluate(): it is an option of iterate()');
  });
});
