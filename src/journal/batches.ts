import type { Journal } from './read.js';
import { journalVersion } from './records.js';
import type { JournalBatch, JournalBatchEnd, JournalBatchFile } from './records.js';

// What a journal holds of a run's batches: the ids journaled as soon as they existed, so a
// resumed run polls the batch it submitted instead of submitting it again.

/** Where a journaled batch entry went: the batch that holds it, or only the file uploaded for it (a crash came before the batch was created). */
export interface JournaledEntry {
  readonly provider: string;
  readonly batchId: string | undefined;
  readonly fileId: string | undefined;
}

/** A journal's batches, by the `custom_id` of each entry; batches that failed whole are left out (a resume submits their entries again). */
export type JournaledBatches = ReadonlyMap<string, JournaledEntry>;

/** What collecting writes of a batch: a batch record without its version and time. */
export type BatchEvent =
  | Omit<JournalBatchFile, 'v' | 'time'>
  | Omit<JournalBatch, 'v' | 'time'>
  | Omit<JournalBatchEnd, 'v' | 'time'>;

/** The batch record of `event`, stamped now. */
export function batchRecord(event: BatchEvent): JournalBatchFile | JournalBatch | JournalBatchEnd {
  return { v: journalVersion, time: new Date().toISOString(), ...event } as JournalBatchFile | JournalBatch | JournalBatchEnd;
}

/** Every batch entry the journal holds, by `custom_id`: the latest batch or file that carries it. */
export function journaledBatches(journal: Journal | undefined): JournaledBatches {
  const entries = new Map<string, JournaledEntry>();
  if (journal === undefined) return entries;
  const files = new Map<string, readonly string[]>();
  const batches = new Map<string, readonly string[]>();
  const failed = new Set<string>();
  for (const record of journal.records) {
    if (record.type === 'batch-file') {
      files.set(record.fileId, record.entries);
      for (const id of record.entries) entries.set(id, { provider: record.provider, batchId: undefined, fileId: record.fileId });
    } else if (record.type === 'batch') {
      const held = record.entries ?? (record.fileId === null ? [] : (files.get(record.fileId) ?? []));
      batches.set(record.batchId, held);
      for (const id of held) entries.set(id, { provider: record.provider, batchId: record.batchId, fileId: record.fileId ?? undefined });
    } else if (record.type === 'batch-end' && record.state === 'failed') {
      failed.add(record.batchId);
    }
  }
  for (const batchId of failed) {
    for (const id of batches.get(batchId) ?? []) if (entries.get(id)?.batchId === batchId) entries.delete(id);
  }
  return entries;
}
