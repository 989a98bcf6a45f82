/**
 * Times in what the core says to people. Cards and replies carry instants as time marks
 * (`at(instant)`), not as text: each platform's serializer draws a mark in the reader's own time
 * zone (Slack `<!date^…>`, Teams `{{DATE(…)}} {{TIME(…)}}`), and every other place shows it with
 * `plainTimes` ("2026-12-01 20:53 UTC"). Relative phrasing ("in 3 h 59 min") is computed when the
 * message is made, so it is used only in one-off messages read soon after (reminders, notices,
 * answers), never on cards that are kept and edited.
 */
import type { Instant } from './time.js';
import { toMillis } from './time.js';

// Start and end of a time mark: C0 controls no person types (reasons and tickets refuse them, and
// every serializer strips controls from the text around marks), so a mark is always ours.
const START = '\u0001';
const END = '\u0002';
// eslint-disable-next-line no-control-regex -- the mark's delimiters are control characters on purpose
export const TIME_MARK = /\u0001(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)\u0002/g;

/** The instant as a time mark, drawn in each reader's time zone; an instant that is not ISO-8601 UTC is left as it is. */
export function at(instant: Instant): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/.test(instant) ? `${START}${instant}${END}` : instant;
}

/** `2026-12-01 20:53 UTC`: a time mark as plain text, for places that cannot draw local times. */
export function plainTime(instant: Instant): string {
  return `${instant.slice(0, 10)} ${instant.slice(11, 16)} UTC`;
}

/** The text with its time marks written as plain UTC times. */
export function plainTimes(text: string): string {
  return text.replace(TIME_MARK, (_, instant: string) => plainTime(instant));
}

/** `2026-12-01T20:53:46Z`: the instant in strict RFC 3339 without fractions (Adaptive Cards' DATE/TIME need it). */
export function wholeSeconds(instant: Instant): string {
  return `${instant.slice(0, 19)}Z`;
}

/** `3 h 59 min`, `45 min`, `2 d 3 h`, `less than a minute`: a span as people say it (the two largest units). */
export function spanText(seconds: number): string {
  const minutes = Math.floor(Math.abs(seconds) / 60);
  if (minutes < 1) return 'less than a minute';
  const parts: string[] = [];
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (mins && !days) parts.push(`${mins} min`);
  return parts.slice(0, 2).join(' ');
}

/** `in 3 h 59 min` or `5 min ago`, from `now` to `instant`. */
export function relativeTime(now: Instant, instant: Instant): string {
  const seconds = (toMillis(instant) - toMillis(now)) / 1000;
  const span = spanText(seconds);
  if (span === 'less than a minute') return seconds >= 0 ? 'in less than a minute' : 'just now';
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
}

/** `at <time> (in 3 h 59 min)`: a time mark with how far it is from now, for one-off messages. */
export function atWithRelative(now: Instant, instant: Instant): string {
  return `${at(instant)} (${relativeTime(now, instant)})`;
}
