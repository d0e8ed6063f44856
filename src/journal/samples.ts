import type { Split } from '../core/trajectory.js';
import { JournalError } from './errors.js';
import { eachLine, lineBatches } from './lines.js';
import { parseRecord, wholeSample } from './parse.js';
import type { JournalSample } from './records.js';

/** Which samples `readSamples` yields. */
export interface ReadSamplesOptions {
  /** Only this iteration's. @default every iteration */
  readonly iteration?: number;
  /** Only this split's: `'train'` or `'eval'`. @default both */
  readonly split?: Split;
}

/**
 * The samples a journal holds, one at a time, without reading the journal into memory: the
 * latest record of each sample (a resumed run may journal a sample again), in the order they
 * were written, whole (text and turns). What a run with `trajectories: 'journal'` leaves there.
 * The file is read twice: once for where each sample's latest record is, once for the records,
 * a chunk at a time as they are taken. A bad line is a `JournalError` naming it; a partial last
 * line (a run still being written, or a crash) is skipped.
 * @example
 * for await (const sample of readSamples('runs/big.jsonl', { iteration: 0 })) if (sample.ok) histogram.add(sample.reward);
 */
export async function* readSamples(path: string, options: ReadSamplesOptions = {}): AsyncGenerator<JournalSample, void, undefined> {
  const wanted = (id: string): boolean => {
    const [split, iteration] = id.split('/', 2);
    return (options.split === undefined || split === options.split) && (options.iteration === undefined || Number(iteration) === options.iteration);
  };
  // The line of each wanted sample's latest record.
  const latest = new Map<string, number>();
  await eachLine(path, (text, line) => {
    if (!text.includes('"sample"')) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return; // the second pass names the bad line
    }
    const { type, id } = (value ?? {}) as { type?: unknown; id?: unknown };
    if (type === 'sample' && typeof id === 'string' && wanted(id)) latest.set(id, line);
  });
  if (latest.size === 0) return;
  // Completion texts not yet claimed by their sample record (version 2 samples leave their text there).
  const texts = new Map<string, { readonly text: string }>();
  const batches = lineBatches(path);
  for (let next = await batches.next(); next.done !== true; next = await batches.next()) {
    const ready: JournalSample[] = [];
    for (const [text, line] of next.value) {
      if (text.trim() === '') continue;
      const record = parseRecord(path, line, text);
      if (line === 1 && record.type !== 'run-start') throw new JournalError(path, line, 'the first record must be `run-start`.');
      if (record.type === 'completion' && wanted(record.id)) texts.set(record.id, { text: record.text });
      if (record.type !== 'sample' || latest.get(record.id) !== line) continue;
      ready.push(wholeSample(path, line, record, texts));
      texts.delete(record.id);
    }
    yield* ready;
  }
}
