import type { EngineConfig } from './context.js';
import { formatDuration, parseDuration } from './duration.js';
import { InvalidInputError } from './errors.js';
import type { AccessRequest } from './model.js';
import { addSeconds, toInstant, toMillis, type Instant } from './time.js';

/** Starts further ahead than this are refused unless ELEVATE_MAX_SCHEDULE_AHEAD says otherwise: 30 days. */
export const DEFAULT_MAX_SCHEDULE_AHEAD_SECONDS = 30 * 86400;
// Longer text is no time anyone wrote.
const MAX_START_TEXT = 64;
// A date and time with its zone: `2026-12-02T22:00Z`, `2026-12-02T22:00:00+01:00` (seconds and
// fractions optional). Without a zone the instant would depend on the server's clock settings.
const ABSOLUTE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
// Relative to now: `+2h`, `in 1h30m`.
const RELATIVE = /^(?:\+|in\s+)(.+)$/i;

export function maxScheduleAheadSeconds(config: EngineConfig): number {
  return config.maxScheduleAheadSeconds ?? DEFAULT_MAX_SCHEDULE_AHEAD_SECONDS;
}

/**
 * A window's start as asked for: an ISO-8601 date and time with its zone (`2026-12-02T22:00+01:00`,
 * `…Z`), a relative `+2h` / `in 2h`, or a number of Unix seconds (what Slack's date-time picker
 * sends). Whole seconds; never in the past, never further ahead than `maxAheadSeconds`.
 */
export function parseStart(input: string | number, now: Instant, maxAheadSeconds: number): Instant {
  let ms: number;
  if (typeof input === 'number') {
    ms = Number.isSafeInteger(input) && input > 0 ? input * 1000 : NaN;
  } else {
    const text = input.length > MAX_START_TEXT ? '' : input.trim();
    const relative = RELATIVE.exec(text);
    if (relative) ms = toMillis(now) + parseDuration(relative[1]!, 'start') * 1000;
    else if (ABSOLUTE.test(text)) ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    else if (/^\d{9,11}$/.test(text)) ms = Number(text) * 1000;
    else ms = NaN;
  }
  if (!Number.isFinite(ms)) {
    throw new InvalidInputError(
      `start "${String(input).slice(0, 40)}" is not a time: write a date and time with its zone (2026-12-02T22:00+01:00 or …Z) or a time from now (+2h)`,
      { field: 'start' },
    );
  }
  const start = toInstant(Math.floor(ms / 1000) * 1000);
  if (toMillis(start) < toMillis(now) - 1000) {
    throw new InvalidInputError(`start ${start} is in the past: leave the start out to ask for access now`, { field: 'start' });
  }
  if (toMillis(start) > toMillis(addSeconds(now, maxAheadSeconds))) {
    throw new InvalidInputError(
      `start ${start} is more than ${formatDuration(maxAheadSeconds)} ahead (ELEVATE_MAX_SCHEDULE_AHEAD): ask again nearer the time`,
      { field: 'start', max: maxAheadSeconds },
    );
  }
  return start;
}

/** A scheduled request's window, start to planned end; null for a request without a start. */
export function windowOf(request: Pick<AccessRequest, 'startsAt' | 'durationSeconds'>): { startsAt: Instant; endsAt: Instant } | null {
  return request.startsAt ? { startsAt: request.startsAt, endsAt: addSeconds(request.startsAt, request.durationSeconds) } : null;
}

/** Whether a scheduled request's window has not started at `now`. */
export function beforeWindow(request: Pick<AccessRequest, 'startsAt'>, now: Instant): boolean {
  return request.startsAt !== null && toMillis(now) < toMillis(request.startsAt);
}
