import type { FormField } from './adaptive-cards.js';

/** Reading what a click on one of Elevate's Adaptive Cards carried. */

/** What a click on one of our card actions carried, inputs picked out. */
export interface ActionSubmission {
  /** The neutral action's value (a request or grant id). */
  value: string;
  /** Trimmed; null when absent or empty. */
  comment: string | null;
  duration: string | null;
  reason: string | null;
}

/**
 * Reads `activity.value.action.data` of an `adaptiveCard/action` invoke sent by a card from
 * cardToAdaptiveCard: the `value` and, for ShowCard actions, the inputs of that action's own
 * form (ids `<form>.comment`, `<form>.duration`, `<form>.reason`). Returns null when `data` has
 * no string `value` (not one of our actions, or a forged payload; the core re-checks anyway).
 */
export function readActionSubmission(data: unknown): ActionSubmission | null {
  if (!isRecord(data) || typeof data.value !== 'string' || data.value === '') return null;
  const form = typeof data.form === 'string' ? data.form : null;
  const input = (name: string) => (form === null ? null : text(data[`${form}.${name}`]));
  return { value: data.value, comment: input('comment'), duration: input('duration'), reason: input('reason') };
}

/** Reads the request form's inputs from `activity.value.action.data`; absent or empty fields are null. */
export function readRequestForm(data: unknown): Record<FormField, string | null> {
  const source = isRecord(data) ? data : {};
  return {
    target: text(source.target), duration: text(source.duration), reason: text(source.reason), ticket: text(source.ticket),
    startDate: text(source.startDate), startTime: text(source.startTime), mode: text(source.mode),
  };
}

/**
 * The request form's start, as an instant: its date (YYYY-MM-DD) and time (HH:MM, default 00:00)
 * are the reader's wall-clock time in `zone`, the activity's IANA `localTimezone` (Bot Framework
 * Activity schema: learn.microsoft.com/dotnet/api/microsoft.bot.schema.activity.localtimezone), else at the offset of its `localTimestamp` (`…-08:00`), else UTC. Null when
 * no date was given; the text as typed when it is malformed (the core refuses it, naming the field).
 */
export function formStart(date: string | null, time: string | null, where: { zone?: unknown; localTimestamp?: unknown }): string | null {
  if (date === null) return null;
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})(?::\d{2})?$/.exec(time ?? '00:00');
  if (!d || !t) return `${date} ${time ?? ''}`.trim();
  const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
  const zone = typeof where.zone === 'string' ? where.zone : null;
  let offsetMinutes = 0;
  if (zone) {
    try {
      // Twice: the offset at the guess, then at the instant found (a change of offset in between, e.g. daylight saving).
      offsetMinutes = zoneOffsetMinutes(zone, wall);
      offsetMinutes = zoneOffsetMinutes(zone, wall - offsetMinutes * 60_000);
    } catch {
      offsetMinutes = 0;
    }
  } else if (typeof where.localTimestamp === 'string') {
    const m = /([+-])(\d{2}):(\d{2})$/.exec(where.localTimestamp);
    if (m) offsetMinutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  }
  return new Date(wall - offsetMinutes * 60_000).toISOString();
}

/** How far `zone`'s wall clock is ahead of UTC at `utcMs`, in minutes; RangeError for an unknown zone. */
function zoneOffsetMinutes(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return (Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - Math.floor(utcMs / 60_000) * 60_000) / 60_000;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
