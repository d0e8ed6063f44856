import { describe, expect, it } from 'vitest';
import { journaledBatches } from '../../src/journal/batches.js';
import type { Journal } from '../../src/journal/read.js';
import type { JournalRecord } from '../../src/journal/records.js';

const base = { v: 2 as const, time: '2026-01-01T00:00:00.000Z' };
const journal = (records: JournalRecord[]): Journal => ({ records } as unknown as Journal);

describe('journaled batches', () => {
  it('an uploaded file without its batch is found by entry, so a resume creates the batch from it', () => {
    const batches = journaledBatches(journal([{ ...base, type: 'batch-file', provider: 'openai', fileId: 'file-1', entries: ['a', 'b'] }]));
    expect(batches.get('a')).toEqual({ provider: 'openai', batchId: undefined, fileId: 'file-1' });
  });

  it('a created batch takes its entries from its file, or holds them itself', () => {
    const batches = journaledBatches(
      journal([
        { ...base, type: 'batch-file', provider: 'openai', fileId: 'file-1', entries: ['a', 'b'] },
        { ...base, type: 'batch', provider: 'openai', batchId: 'batch_1', fileId: 'file-1' },
        { ...base, type: 'batch', provider: 'anthropic', batchId: 'msgbatch_1', fileId: null, entries: ['c'] },
      ]),
    );
    expect(batches.get('b')).toEqual({ provider: 'openai', batchId: 'batch_1', fileId: 'file-1' });
    expect(batches.get('c')).toEqual({ provider: 'anthropic', batchId: 'msgbatch_1', fileId: undefined });
  });

  it('leaves out the entries of a batch that failed whole, so a resume submits them again; an ended one stays', () => {
    const batches = journaledBatches(
      journal([
        { ...base, type: 'batch', provider: 'anthropic', batchId: 'x', fileId: null, entries: ['a'] },
        { ...base, type: 'batch', provider: 'anthropic', batchId: 'y', fileId: null, entries: ['b'] },
        { ...base, type: 'batch-end', batchId: 'x', status: 'failed', state: 'failed' },
        { ...base, type: 'batch-end', batchId: 'y', status: 'ended', state: 'ended' },
      ]),
    );
    expect(batches.has('a')).toBe(false);
    expect(batches.get('b')?.batchId).toBe('y');
  });
});
