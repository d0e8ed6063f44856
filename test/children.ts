import type { ChildProcess } from 'node:child_process';

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
