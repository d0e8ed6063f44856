import type { MeanInterval } from './stats.js';

/** The widest line `pauper summary` and `compare` print: tables are built to fit it. */
export const maxWidth = 100;

/** A column of a text table: its header, and which side its cells line up on (numbers right, words left). */
export interface Column {
  readonly header: string;
  readonly align: 'left' | 'right';
}

/** A column of numbers, lined up on the right. */
export const right = (header: string): Column => ({ header, align: 'right' });

/** A column of words or intervals, lined up on the left. */
export const left = (header: string): Column => ({ header, align: 'left' });

/** Rows under their headers, each column as wide as its widest cell, two spaces apart, no trailing spaces. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const width = widths[index] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)];
}

/**
 * Decimals that show rewards of this size to about three significant digits: 0.412, 12.35, 123.5.
 * One choice per table, so a column's decimal points line up.
 */
export function decimalsFor(values: readonly (number | null | undefined)[]): number {
  const largest = Math.max(0, ...values.map((value) => Math.abs(value ?? 0)));
  if (largest < 10) return 3;
  if (largest < 100) return 2;
  return largest < 1000 ? 1 : 0;
}

/** A number with fixed decimals, `-` for none. */
export function fixed(value: number | null | undefined, decimals: number): string {
  return value === null || value === undefined ? '-' : value.toFixed(decimals);
}

/** A number with its sign always shown (`+0.120`), as differences read. */
export function signed(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  return text.startsWith('-') ? text : `+${text}`;
}

/** An interval as `[low, high]`, `-` for none. */
export function interval(
  band: MeanInterval | null | undefined,
  decimals: number,
  format: (value: number, decimals: number) => string = fixed,
): string {
  if (band === null || band === undefined) return '-';
  return `[${format(band.low, decimals)}, ${format(band.high, decimals)}]`;
}

/** Dollars: whole above $100, cents above $1, four decimals above a cent, two significant digits under; `unknown` when a price was missing. */
export function dollars(value: number | null): string {
  if (value === null) return 'unknown';
  if (value >= 100) return `$${value.toFixed(0)}`;
  if (value >= 0.01 || value === 0) return `$${value.toFixed(value >= 1 ? 2 : 4)}`;
  return `$${value.toPrecision(2)}`;
}

/** A token count in a few characters: 950, 12.3k, 4.56M. */
export function tokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(1)}k`;
  return `${(count / 1_000_000).toFixed(2)}M`;
}

/** Words joined into lines of at most `maxWidth` characters, continuation lines indented by `indent`. */
export function wrap(words: readonly string[], indent = '  '): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const next = current === '' ? word : `${current} ${word}`;
    if (next.length > maxWidth && current.trim() !== '') {
      lines.push(current);
      current = `${indent}${word}`;
    } else current = next;
  }
  if (current !== '') lines.push(current);
  return lines;
}
