import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiled } from '../children.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('../fixtures/scale-child.ts', import.meta.url));

// An iteration past ~120,000 samples once overflowed the stack summing usage with a spread call,
// after every request was paid, and resuming its journal crashed the same way. Under a stack a
// tenth of the default, 20,000 samples are enough to catch any such spread (0.1.0 fails here);
// `npm run bench` runs the full 200,000-sample iteration and its resume.
describe('an iteration far larger than the stack', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pauper-scale-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('completes, and its journal resumes without a request', { timeout: 60_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--stack-size=100', compiled(child), join(directory, 'scale.jsonl'), '40', '500'], { cwd: root });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ samples: 20_000, scored: 20_000, calls: 0, restored: 20_000 });
  });
});
