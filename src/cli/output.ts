import { formatDuration } from '../core/duration.js';

/** Fixed-width columns for people; `--json` prints the data as it is for scripts. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '—' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  if (cells.length === 0) return `${line(headers)}\n(none)`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function keyValues(pairs: Array<[string, string | number | boolean | null | undefined]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${value === null || value === undefined ? '—' : String(value)}`).join('\n');
}

export { csv } from '../csv.js';

export const duration = (seconds: number | null) => (seconds === null ? null : formatDuration(seconds));
