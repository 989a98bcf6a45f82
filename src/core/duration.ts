import { InvalidInputError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION_PATTERN = /^(?:\d{1,12}[smhdw]){1,8}$/;
// Ten years: no setting or grant means anything longer, and the time after it is always a valid date.
const MAX_DURATION_SECONDS = 10 * 365 * 86400;
// Longer text is not a duration anyone wrote.
const MAX_DURATION_TEXT = 100;

/**
 * Parses durations written like `30m`, `2h`, `1d`, `1h30m` (units s, m, h, d, w) into seconds.
 * A bare number is refused on purpose: "4" could mean minutes or hours.
 */
export function parseDuration(text: string, field = 'duration'): number {
  const compact = text.length > MAX_DURATION_TEXT ? '' : text.trim().toLowerCase().replace(/\s+/g, '');
  if (!DURATION_PATTERN.test(compact)) {
    throw new InvalidInputError(
      `${field} "${text.slice(0, 40)}${text.length > 40 ? '…' : ''}" is not a duration: write it like 30m, 2h, 1d or 1h30m`,
      { field },
    );
  }
  let seconds = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+)([smhdw])/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  }
  if (seconds <= 0) throw new InvalidInputError(`${field} "${text}" must be longer than zero`, { field });
  // Far beyond any grant (those are capped by ELEVATE_MAX_GRANT_DURATION), and still a valid date when added to now.
  if (!Number.isSafeInteger(seconds) || seconds > MAX_DURATION_SECONDS) {
    throw new InvalidInputError(`${field} "${text.slice(0, 40)}" is too long: at most ${MAX_DURATION_SECONDS / (365 * 86400)} years`, { field });
  }
  return seconds;
}

/** Formats seconds as the largest units first, e.g. 5400 -> "1h30m". */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0m';
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      parts.push(`${amount}${unit}`);
      rest -= amount * size;
    }
  }
  return parts.join('');
}
