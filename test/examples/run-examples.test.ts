import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer } from '../servers/openai-server.js';
import type { TestServer } from '../servers/common.js';
import { compiled } from '../children.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an example as a user would, with no API key or other variable inherited from this process: with
 * `tsx`, as `npm run demo` and the README do, or `node` on its compiled copy (test/compile.ts), the same
 * code started in a quarter of the CPU time.
 */
async function runExample(
  file: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
  runner: 'tsx' | 'compiled' = 'compiled',
): Promise<Outcome> {
  try {
    const command = runner === 'tsx' ? ['--import', 'tsx', file] : [compiled(file)];
    const { stdout, stderr } = await run(process.execPath, [...command, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function expectSections(output: string, sections: readonly (string | RegExp)[]): void {
  for (const section of sections) expect(output).toMatch(section);
}

const demoSections = [
  'No API key: an n-gram stand-in, not an LLM; it learns only from prompt examples',
  'iter  train mean  held-out mean  train best  examples kept  failed',
  /\n {3}6 {6,}-?\d\.\d\d/,
  'Reward by iteration: mean, 10th and 90th percentile (interpolated)',
  /Best training trajectory, reward -?\d\.\d\d: first reached in iteration \d\n\(maze \d, sample \d+\); among equal rewards the earliest is shown\./,
  'Legend: @ start, E end',
  /Moves: [UDLR?]+ \(\d+ moves?\)/,
  /Start: row \d, column \d\. End: row \d, column \d|Start and end: row \d, column \d \(it came back, so no E\)/,
  /Reward: \d of 3 coins × 1 − \d+ bumps? × 0\.25 = -?\d\.\d\d/,
  'A real model reads the maze',
];

describe('examples run offline with a clean environment', () => {
  it.each(['one-shot', 'turn-by-turn'])('npm run demo -- --mode %s', async (mode) => {
    // One-shot runs through tsx, the command `npm run demo` runs; the rest of the file, on the compiled copy.
    const { code, stdout, stderr } = await runExample('examples/gold-coin-maze/demo.ts', ['--mode', mode], {}, mode === 'one-shot' ? 'tsx' : 'compiled');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expectSections(stdout, [
      `the gold-coin maze, ${mode === 'one-shot' ? 'one shot' : 'turn by turn'}`,
      ...demoSections,
      `\nReport: runs/maze-${mode}.html (open it in a browser)\n`,
    ]);
    expect(readFileSync(join(root, `runs/maze-${mode}.html`), 'utf8')).toMatch(/^<!doctype html>/);
    for (const line of stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('demo --help lists the options and the environment variables', async () => {
    const { code, stdout } = await runExample('examples/gold-coin-maze/demo.ts', ['--help']);
    expect(code).toBe(0);
    expectSections(stdout, ['--mode one-shot|turn-by-turn', 'OPENAI_BASE_URL, PAUPER_MODEL', 'ANTHROPIC_API_KEY']);
    for (const line of stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('demo exits 1 with a clear message when OPENAI_BASE_URL comes without PAUPER_MODEL', async () => {
    const { code, stdout, stderr } = await runExample('examples/gold-coin-maze/demo.ts', [], {
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/set PAUPER_MODEL to the model it serves/);
  });

  it('structured-output.ts records parse failures and scores held-out requests', async () => {
    const { code, stdout, stderr } = await runExample('examples/structured-output.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expectSections(stdout, [
      'Model: a scripted stand-in',
      'not an LLM',
      'iter  train correct  held-out correct  failed (train + held-out)',
      /\n {3}0 .* (\d+) of 42\n/,
      /samples failed; each is kept with its reason/,
      '-> parse: Output is not valid JSON',
      '-> parse: Output does not match the schema',
      'Held-out answers at the last iteration',
      /-> \{"person":"Goran","day":"monday","hour":0\}  wrong\n {5}expected \{"person":"Goran","day":"monday","hour":12\}/,
    ]);
  });

  it("the maze's library modules, run directly, say what they are and what to run instead of printing nothing", async () => {
    for (const module of ['loop', 'maze', 'config', 'provider-from-env']) {
      const { code, stdout, stderr } = await runExample(`examples/gold-coin-maze/${module}.ts`);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^${module}\\.ts .+\\nIt only exports code\\. To see it work: npm run demo`));
    }
  });

  it('compose.ts runs its own loop from the building blocks', async () => {
    const { code, stdout, stderr } = await runExample('examples/compose.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expectSections(stdout, [
      'not an LLM',
      'Zero-shot answers to maze 1:',
      'round  sample mean  best  elite mean  examples shown',
      /Stopped after round \d+|\n {4}9 /,
      /Held-out mean: -?\d\.\d\d zero-shot, -?\d\.\d\d with the elite/,
      'The elite: maze, answer, reward, coins per move',
      /inlineBlock\(\{ maxExampleTokens: 250 \}\) \d+ tokens/,
    ]);
  });
});

describe('the demo against an OpenAI-compatible server on 127.0.0.1', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startOpenAIServer({ responder: ({ choiceIndex }) => ['RRDD', 'Answer: LLUU', 'no idea'][choiceIndex % 3] ?? '' });
  });
  afterAll(() => server.close());

  it('samples through the real SDK and prints the same report', async () => {
    const { code, stdout, stderr } = await runExample('examples/gold-coin-maze/demo.ts', ['--iterations', '1', '--samples', '3'], {
      OPENAI_BASE_URL: server.url,
      PAUPER_MODEL: 'test-model',
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expectSections(stdout, [
      `Model: test-model on the OpenAI-compatible server at ${server.url}`,
      '2 training mazes, 4 held-out, 3 samples each, 1 iteration,',
      'At most 36 requests; Ctrl-C stops the run.',
      'Best training trajectory',
      /\d+ requests, \d+ tokens, cost unknown/,
      'Report: runs/maze-one-shot.html (open it in a browser)',
      '(Cost unknown: no price for this model; give the provider `prices` for it.)',
    ]);
    expect(stdout).not.toContain('not an LLM');
    // Native `n`: one request per maze per iteration, training and held-out.
    expect(server.requestCount).toBe(2 * (2 + 4));
  });

  it('stops with one clear line, not a stack trace, when every request fails', async () => {
    const guarded = await startOpenAIServer({ apiKey: 'the-right-key' });
    try {
      const { code, stderr } = await runExample('examples/gold-coin-maze/demo.ts', [], {
        OPENAI_BASE_URL: guarded.url,
        PAUPER_MODEL: 'test-model',
        OPENAI_API_KEY: 'a-wrong-key',
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^\nThe run stopped: \d+ samples failed, more than maxErrors \(25\)\. First failure: request: .*401/);
      expect(stderr).not.toContain('a-wrong-key');
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      await guarded.close();
    }
  });
});
