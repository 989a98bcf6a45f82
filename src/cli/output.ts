import { formatDuration } from '../core/duration.js';

// Characters a terminal may act on instead of showing: C0 and C1 controls, DEL, and the Unicode
// bidirectional overrides and isolates (text that reads differently from what it is).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- the same, newlines excepted
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeOne(char: string): string {
  return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Text from people (reasons, names, comments) shown on a terminal: control characters and
 * direction overrides are written escaped (`\e[31m`, `\n`, `\u202e`), so nobody can colour,
 * move, hide or reorder what an admin reads.
 */
export function terminalSafe(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? UNSAFE_BUT_NEWLINE : UNSAFE, escapeOne);
}

/**
 * JSON for output: JSON.stringify escapes C0 controls itself; C1 controls, DEL and direction
 * overrides are escaped too (`\u009b`), which is still the same JSON value.
 */
export function jsonText(data: unknown, indent?: number): string {
  return JSON.stringify(data, null, indent).replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Cell = string | number | null | undefined;
const cellText = (cell: Cell) => (cell === null || cell === undefined ? '—' : terminalSafe(String(cell)));

/** Fixed-width columns for people; `--json` prints the data as it is for scripts. */
export function table(headers: string[], rows: Cell[][]): string {
  const cells = rows.map((row) => row.map(cellText));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  if (cells.length === 0) return `${line(headers)}\n(none)`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function keyValues(pairs: Array<[string, string | number | boolean | null | undefined]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${cellText(typeof value === 'boolean' ? String(value) : value)}`).join('\n');
}

export { csv } from '../csv.js';

export const duration = (seconds: number | null) => (seconds === null ? null : formatDuration(seconds));

// An instant as the store and the API write it (ISO-8601 UTC).
const INSTANT = /\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d{1,3})?Z\b/g;

/**
 * Human output's times: each ISO-8601 UTC instant in `text` written in the terminal's local time
 * with its offset (`2026-12-01 21:53:46 +01:00`, the TZ environment variable decides), or with
 * `utc` as `2026-12-01 20:53:46 UTC`. `--json` output is never passed through this: it stays ISO UTC.
 */
export function localTimes(text: string, utc = false): string {
  return text.replace(INSTANT, (whole: string, day: string, time: string) => {
    if (utc) return `${day} ${time} UTC`;
    const date = new Date(whole);
    if (Number.isNaN(date.getTime())) return whole;
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? '+' : '-';
    const two = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
    const local = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
    return `${local} ${sign}${two(offset / 60)}:${two(offset % 60)}`;
  });
}
