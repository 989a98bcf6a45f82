import { InvalidInputError } from './errors.js';
import type { OnCallDirectory } from './ports.js';
import { at as atText } from './time-text.js';
import { toMillis, type Instant } from './time.js';

/**
 * On-call approval (issue 15): a policy names on-call schedules; a requester the provider says is
 * on call now on one of them is approved at once, for no longer than the shift plus a grace.
 * Everything here is pure except `checkOnCall`, which asks the `OnCallDirectory` port and must run
 * outside any transaction (DESIGN rule 8: no I/O inside a retried callback).
 *
 * Schedules are written `pagerduty:<schedule id>`, `pagerduty:escalation-policy/<id>` (PagerDuty's
 * ids of both kinds look alike, so the kind is spelled out) and `opsgenie:<schedule name or id>`.
 */
export const ON_CALL_PROVIDERS = ['pagerduty', 'opsgenie'] as const;
export type OnCallProvider = (typeof ON_CALL_PROVIDERS)[number];

/** A policy names at most this many schedules: each is a provider call per request (cached 60 s). */
export const MAX_ON_CALL_SCHEDULES = 10;
/** ELEVATE_ON_CALL_GRACE's default: time to hand over after a shift ends. */
export const DEFAULT_ON_CALL_GRACE_SECONDS = 15 * 60;
/** A shift ending sooner than this (grace included) approves nothing: the grant would be too short to use. */
const MIN_ON_CALL_SECONDS = 60;

// PagerDuty object ids: upper-case letters and digits (e.g. PABC123).
const PAGERDUTY_ID = /^[A-Z0-9]{2,32}$/;
// Opsgenie schedule ids are UUIDs; names are at most 100 characters (Opsgenie Schedule API).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPSGENIE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} _.()-]{0,99}$/u;

/** A schedule reference, parsed. */
export type OnCallSchedule =
  | { provider: 'pagerduty'; kind: 'schedule' | 'escalation-policy'; id: string }
  | { provider: 'opsgenie'; kind: 'id' | 'name'; id: string };

const FORMS = 'pagerduty:<schedule id>, pagerduty:escalation-policy/<id> or opsgenie:<schedule name or id>';

/** Parses `pagerduty:PABC123`…; InvalidInputError (field `onCall`) saying the accepted forms. */
export function parseOnCallSchedule(text: string): OnCallSchedule {
  const bad = (why: string) => new InvalidInputError(`on-call schedule "${text.slice(0, 120)}" ${why}: write ${FORMS}`, { field: 'onCall' });
  const colon = text.indexOf(':');
  if (colon < 0) throw bad('names no provider');
  const provider = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (provider === 'pagerduty') {
    const ep = rest.startsWith('escalation-policy/');
    const id = ep ? rest.slice('escalation-policy/'.length) : rest;
    if (!PAGERDUTY_ID.test(id)) throw bad('is not a PagerDuty id (upper-case letters and digits, like PABC123)');
    return { provider, kind: ep ? 'escalation-policy' : 'schedule', id };
  }
  if (provider === 'opsgenie') {
    if (UUID.test(rest)) return { provider, kind: 'id', id: rest.toLowerCase() };
    if (!OPSGENIE_NAME.test(rest)) throw bad('is not an Opsgenie schedule name (letters, digits, spaces, _ . ( ) -, at most 100) or id');
    return { provider, kind: 'name', id: rest };
  }
  throw bad(`names an unknown provider "${provider.slice(0, 30)}"`);
}

/** The canonical text of a schedule reference. */
export function formatOnCallSchedule(schedule: OnCallSchedule): string {
  return schedule.provider === 'pagerduty' && schedule.kind === 'escalation-policy'
    ? `pagerduty:escalation-policy/${schedule.id}` : `${schedule.provider}:${schedule.id}`;
}

/** A policy's schedules, checked, trimmed, in canonical form and without repeats. */
export function normalizeOnCall(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input) || input.some((item) => typeof item !== 'string')) {
    throw new InvalidInputError(`on-call schedules must be a list of ${FORMS}`, { field: 'onCall' });
  }
  const schedules = [...new Set((input as string[]).map((text) => formatOnCallSchedule(parseOnCallSchedule(text.trim()))))];
  if (schedules.length > MAX_ON_CALL_SCHEDULES) {
    throw new InvalidInputError(`a policy names at most ${MAX_ON_CALL_SCHEDULES} on-call schedules`, { field: 'onCall' });
  }
  return schedules;
}

/** The provider's name as people know it. */
export function providerName(schedule: string): string {
  return schedule.startsWith('pagerduty:') ? 'PagerDuty' : schedule.startsWith('opsgenie:') ? 'Opsgenie' : schedule;
}

/**
 * What the on-call check found for a request, recorded on it (and in the audit record):
 * `on call` names the schedule and the shift's end (null: the provider says the shift never
 * ends); `failed` means a provider could not answer, so the request went to manual approval.
 * `answer` is the providers' answers in short ("pagerduty:P1: 2 on call"), or why the requester
 * was not matched; plain text (no time marks: it is stored and audited as it is).
 */
export type OnCallNote =
  | { outcome: 'on call'; schedule: string; shiftEnd: Instant | null; answer: string }
  | { outcome: 'not on call'; answer: string }
  | { outcome: 'failed'; answer: string };

/**
 * Asks each of the policy's schedules who is on call at `at` and matches the requester's verified
 * addresses (lower case). A match on any schedule wins (the latest-ending shift); otherwise any
 * provider failure makes the outcome `failed`: the request then waits for people, never for
 * nobody. Never throws.
 */
export async function checkOnCall(directory: OnCallDirectory | undefined, schedules: string[], emails: string[], at: Instant): Promise<OnCallNote> {
  if (emails.length === 0) {
    return { outcome: 'not on call', answer: `no verified email address to match against ${schedules.join(', ')}; manual approval` };
  }
  const answers = await Promise.all(schedules.map(async (schedule) => {
    if (!directory) return { schedule, error: `${providerName(schedule)} is not configured` };
    try {
      return { schedule, ...(await directory.whoIsOnCall(schedule, at)) };
    } catch (error) {
      return { schedule, error: error instanceof Error ? error.message : String(error) };
    }
  }));
  const wanted = new Set(emails.map((email) => email.toLowerCase()));
  const now = toMillis(at);
  let best: { schedule: string; shiftEnd: Instant | null } | null = null;
  const parts: string[] = [];
  for (const answer of answers) {
    if ('error' in answer) {
      parts.push(`${answer.schedule}: ${answer.error}`);
      continue;
    }
    const current = answer.shifts.filter((shift) => shift.shiftEnd === null || toMillis(shift.shiftEnd) > now);
    parts.push(`${answer.schedule}: ${current.length} on call`);
    for (const shift of current.filter((s) => wanted.has(s.email.toLowerCase()))) {
      if (best === null || best.shiftEnd !== null && (shift.shiftEnd === null || toMillis(shift.shiftEnd) > toMillis(best.shiftEnd))) {
        best = { schedule: answer.schedule, shiftEnd: shift.shiftEnd };
      }
    }
  }
  if (best) return { outcome: 'on call', ...best, answer: parts.join('; ') };
  const failures = answers.filter((answer) => 'error' in answer);
  if (failures.length > 0) {
    const what = failures.map((f) => `${providerName(f.schedule)} ${'error' in f ? f.error : ''}`.trim());
    return { outcome: 'failed', answer: `on-call check failed: ${what.join('; ')}; manual approval` };
  }
  return { outcome: 'not on call', answer: `not on call on ${schedules.join(', ')}; manual approval` };
}

/** The note as cards show it: "on call on pagerduty:P1 until <time> (pagerduty:P1: 2 on call)". */
export function describeOnCall(note: OnCallNote): string {
  if (note.outcome !== 'on call') return note.answer;
  return `on call on ${note.schedule} ${note.shiftEnd === null ? 'with no end' : `until ${atText(note.shiftEnd)}`} (${note.answer})`;
}

/**
 * How long an on-call requester may have access: what they asked for, no longer than the shift's
 * end plus the grace; null when that leaves less than a minute (the request then waits for people).
 */
export function onCallSeconds(requested: number, shiftEnd: Instant | null, now: Instant, graceSeconds: number): number | null {
  if (shiftEnd === null) return requested;
  const left = Math.floor((toMillis(shiftEnd) - toMillis(now)) / 1000) + graceSeconds;
  if (left < MIN_ON_CALL_SECONDS) return null;
  return Math.min(requested, left);
}
