import type { OnCallAnswer, OnCallShift } from '../core/ports.js';
import { toInstant, toMillis, type Instant } from '../core/time.js';
import { getJson, type Fetch } from './http.js';

/**
 * Opsgenie's REST API (https://api.opsgenie.com, EU https://api.eu.opsgenie.com),
 * `Authorization: GenieKey <api key>`.
 * - Who is on call: "Get On Calls", `GET /v2/schedules/{identifier}/on-calls` with
 *   `scheduleIdentifierType=id|name`, `flat=true` (the on-call participants' user names, which in
 *   Opsgenie are their email addresses, as `data.onCallRecipients`) and `date`.
 *   https://docs.opsgenie.com/docs/who-is-on-call-api
 * - Until when: the on-call answer gives no shift end, so the schedule's timeline tells it:
 *   "Get Schedule Timeline", `GET /v2/schedules/{identifier}/timeline` with `identifierType`,
 *   `date`, `interval`/`intervalUnit`; `data.finalTimeline.rotations[].periods[]` hold
 *   `startDate`, `endDate` and `recipient` (`type: user`, `name`: the user name).
 *   https://docs.opsgenie.com/docs/schedule-api
 * A person on call whom the timeline does not show in a period at `date` (reached through a team
 * or an escalation) is given the timeline's end (one week) as shift end: never later than known.
 */
export interface OpsgenieOptions {
  apiKey: string;
  /** https://api.opsgenie.com or https://api.eu.opsgenie.com, no trailing slash. */
  apiUrl: string;
  timeoutMs: number;
  fetch: Fetch;
}

interface Period {
  startDate?: unknown;
  endDate?: unknown;
  recipient?: { type?: unknown; name?: unknown };
}

/** Who is on call at `at` on a schedule named by id or name, by email, with each shift's end. */
export async function opsgenieOnCall(options: OpsgenieOptions, kind: 'id' | 'name', identifier: string, at: Instant): Promise<OnCallAnswer> {
  const call = (path: string, query: URLSearchParams) => getJson({
    url: `${options.apiUrl}/v2/schedules/${encodeURIComponent(identifier)}/${path}?${query}`,
    headers: { authorization: `GenieKey ${options.apiKey}` },
    timeoutMs: options.timeoutMs, fetch: options.fetch, credential: 'OPSGENIE_API_KEY',
  });
  const onCalls = await call('on-calls', new URLSearchParams({ scheduleIdentifierType: kind, flat: 'true', date: at }));
  if ('error' in onCalls) return onCalls;
  const recipients = (onCalls.body as { data?: { onCallRecipients?: unknown } })?.data?.onCallRecipients;
  if (!Array.isArray(recipients)) return { error: 'gave an answer without onCallRecipients' };
  const emails = [...new Set(recipients.filter((r): r is string => typeof r === 'string' && r.includes('@')).map((r) => r.trim().toLowerCase()))];
  if (emails.length === 0) return { shifts: [] };
  const timeline = await call('timeline', new URLSearchParams({ identifierType: kind, date: at, interval: '1', intervalUnit: 'weeks' }));
  if ('error' in timeline) return timeline;
  const data = (timeline.body as { data?: { endDate?: unknown; finalTimeline?: { rotations?: unknown } } })?.data;
  const rotations = data?.finalTimeline?.rotations;
  const timelineEnd = typeof data?.endDate === 'string' ? toMillis(data.endDate) : NaN;
  if (!Array.isArray(rotations) || Number.isNaN(timelineEnd)) return { error: 'gave a timeline Elevate cannot read' };
  const periods = (rotations as Array<{ periods?: unknown }>).flatMap((r) => (Array.isArray(r?.periods) ? r.periods as Period[] : []));
  const shifts: OnCallShift[] = emails.map((email) => ({ email, shiftEnd: toInstant(shiftEnd(periods, email, toMillis(at)) ?? timelineEnd) }));
  return { shifts };
}

/**
 * The end of `email`'s period in force at `now`, followed through the periods that continue it
 * without a gap (a daily rotation of the same person is one shift); undefined when none is in force.
 */
function shiftEnd(periods: Period[], email: string, now: number): number | undefined {
  const own = periods.flatMap((p) => {
    if (p?.recipient?.type !== 'user' || typeof p.recipient.name !== 'string' || p.recipient.name.toLowerCase() !== email) return [];
    const start = typeof p.startDate === 'string' ? toMillis(p.startDate) : NaN;
    const end = typeof p.endDate === 'string' ? toMillis(p.endDate) : NaN;
    return Number.isNaN(start) || Number.isNaN(end) || end <= start ? [] : [{ start, end }];
  });
  let end = own.find((p) => p.start <= now && p.end > now)?.end;
  if (end === undefined) return undefined;
  // Each step moves the end later (periods have end > start), so this stops.
  const continuing = new Map(own.map((p) => [p.start, p.end]));
  while (continuing.has(end)) end = continuing.get(end)!;
  return end;
}

/** A cheap authenticated call for `elevate doctor`: `GET /v2/schedules?limit=1`, what on-call checks need to read. */
export function opsgenieProbe(options: OpsgenieOptions) {
  return getJson({
    url: `${options.apiUrl}/v2/schedules?limit=1`, headers: { authorization: `GenieKey ${options.apiKey}` },
    timeoutMs: options.timeoutMs, fetch: options.fetch, credential: 'OPSGENIE_API_KEY',
  });
}
