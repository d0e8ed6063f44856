import { loadRun } from '../report/runs.js';
import type { RunSummary } from '../report/runs.js';

/**
 * The run of a journal named on the command line. A read error that names no file (reading a
 * directory gives `EISDIR` without one) is given its path, so the one line printed names it.
 */
export async function loadJournalArgument(path: string): Promise<RunSummary> {
  try {
    return await loadRun(path);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && (error as { path?: unknown }).path === undefined) Object.assign(error as object, { path });
    throw error;
  }
}
