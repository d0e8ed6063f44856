import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { killLeftovers, tracked } from './children.js';

it('kills the tracked children still running, and forgets the ones that exited', async () => {
  const done = tracked(spawn(process.execPath, ['-e', '']));
  await once(done, 'exit');
  const hanging = tracked(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']));
  const exited = once(hanging, 'exit');
  killLeftovers();
  const [code, signal] = await exited;
  expect([code, signal]).toEqual([null, 'SIGKILL']);
  expect(done.signalCode).toBeNull();
});
