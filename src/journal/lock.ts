import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { JournalError } from './errors.js';

/** A journal held by this process; `release` lets another run open it. */
export interface JournalLock {
  readonly release: () => Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * Takes `<journal>.lock` for this process: two runs appending to one journal would both pay for
 * the same samples. A lock left by a process on this host that no longer runs (a crash, kill -9)
 * is stale and taken over; any other is a `JournalError` naming its holder.
 */
export async function lockJournal(path: string, unusable: (error: unknown) => JournalError): Promise<JournalLock> {
  const lockPath = `${path}.lock`;
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw unusable(error);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(lockPath, 'wx');
      const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await file.writeFile(`${JSON.stringify(holder)}\n`);
      await file.close();
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await unlink(lockPath).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(error);
    }
    const holder = await readHolder(lockPath);
    if (holder !== undefined && !isStale(holder)) {
      throw new JournalError(
        path,
        undefined,
        `is in use by another run (pid ${holder.pid} on ${holder.host}, since ${holder.since}): two runs on one journal would pay ` +
          `for the same samples. Wait for that run to end, or delete ${lockPath} if no such run is going on.`,
      );
    }
    await unlink(lockPath).catch(() => {});
  }
  throw new JournalError(path, undefined, `could not take ${lockPath}: another run keeps taking it. Delete it if no run is going on.`);
}

/** The lock's holder, or `undefined` when the file is gone or unreadable (a crash mid-write: stale). */
async function readHolder(lockPath: string): Promise<Holder | undefined> {
  try {
    const value = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<Holder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return undefined;
    return { pid: value.pid, host: value.host, since: String(value.since) };
  } catch {
    return undefined;
  }
}

/** A holder on this host whose process is gone. A holder on another host is never taken for stale. */
function isStale(holder: Holder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
