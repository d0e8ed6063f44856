import { spawn, type ChildProcess } from 'node:child_process';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The JavaScript copy of one of the repository's TypeScript files (absolute, or relative to the root),
 * compiled once per test run by test/compile.ts: `node` runs it as it is, without tsx's loader.
 */
export function compiled(file: string): string {
  return join(inject('compiledRoot'), (isAbsolute(file) ? relative(root, file) : file).replace(/\.ts$/, '.js'));
}

const running = new Set<ChildProcess>();

/** Keeps a child process a test started on a list until it exits (see `killLeftovers`). */
export function tracked<Child extends ChildProcess>(child: Child): Child {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * Kills every tracked child still running: a test file's `afterAll`, so a test that times out
 * waiting on its child does not leave the child running (one did, for 40 minutes, under a loaded suite).
 */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Runs a TypeScript fixture in a child process (`node` on its compiled copy, tracked) and SIGKILLs it at
 * the first line of its standard output that `kill` accepts. Resolves with the lines it wrote;
 * rejects, with its standard error, when it exits on its own.
 */
export function killedAt(
  script: string,
  args: readonly string[],
  cwd: string,
  kill: (line: string, lines: readonly string[]) => boolean,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const spawned = tracked(spawn(process.execPath, [compiled(script), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
    const lines: string[] = [];
    let buffered = '';
    let stderr = '';
    spawned.stdout.on('data', (chunk: Buffer) => {
      const parts = (buffered + chunk.toString()).split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (kill(line, lines)) spawned.kill('SIGKILL');
      }
    });
    spawned.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    spawned.on('error', reject);
    spawned.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(lines) : reject(new Error(`child was not killed: ${stderr}`))));
  });
}
