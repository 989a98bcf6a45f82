import type { OnCallAnswer, OnCallShift } from '../core/ports.js';
import { toInstant, toMillis, type Instant } from '../core/time.js';
import { getJson, type Fetch } from './http.js';

/**
 * PagerDuty's REST API v2, "List all of the on-calls": `GET /oncalls` filtered by
 * `schedule_ids[]` or `escalation_policy_ids[]`, for the entries overlapping `since`..`until`,
 * with `include[]=users` so each entry's user carries its `email`; `end` null means the user
 * does not go off call. Classic pagination: `offset`/`limit`, answered with `more`.
 * Authorization: `Token token=<api key>`.
 * https://developer.pagerduty.com/api-reference/3a6b910f11050-list-all-of-the-on-calls
 * https://developer.pagerduty.com/docs/pagination
 * https://developer.pagerduty.com/docs/authentication
 */
export interface PagerDutyOptions {
  token: string;
  /** https://api.pagerduty.com, no trailing slash. */
  apiUrl: string;
  timeoutMs: number;
  fetch: Fetch;
}

// PagerDuty's largest page (classic pagination allows limit up to 100).
const PAGE_SIZE = 100;
// 10 pages of 100 on-call entries: far more than one schedule has at one moment; bounds the calls.
const MAX_PAGES = 10;

interface OnCallEntry {
  user?: { email?: unknown };
  start?: unknown;
  end?: unknown;
}

/** Who is on call at `at` on a schedule or escalation policy (`kind`), by email. */
export async function pagerDutyOnCall(options: PagerDutyOptions, kind: 'schedule' | 'escalation-policy', id: string, at: Instant): Promise<OnCallAnswer> {
  const shifts: OnCallShift[] = [];
  const now = toMillis(at);
  let offset = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = new URLSearchParams();
    query.append(kind === 'schedule' ? 'schedule_ids[]' : 'escalation_policy_ids[]', id);
    query.append('include[]', 'users');
    query.append('since', at);
    // A one-second range: the entries in force at `at` (each entry keeps its own start and end).
    query.append('until', toInstant(now + 1000));
    query.append('limit', String(PAGE_SIZE));
    query.append('offset', String(offset));
    const answer = await getJson({
      url: `${options.apiUrl}/oncalls?${query}`,
      headers: { authorization: `Token token=${options.token}`, accept: 'application/vnd.pagerduty+json;version=2' },
      timeoutMs: options.timeoutMs, fetch: options.fetch, credential: 'PAGERDUTY_TOKEN',
    });
    if ('error' in answer) return answer;
    const body = answer.body as { oncalls?: unknown; more?: unknown };
    if (!Array.isArray(body?.oncalls)) return { error: 'gave an answer without oncalls' };
    for (const entry of body.oncalls as OnCallEntry[]) {
      const email = typeof entry?.user?.email === 'string' ? entry.user.email.trim().toLowerCase() : '';
      const start = typeof entry?.start === 'string' ? toMillis(entry.start) : null;
      const end = typeof entry?.end === 'string' ? toMillis(entry.end) : null;
      if (!email || Number.isNaN(start) || Number.isNaN(end)) continue;
      if ((start !== null && start > now) || (end !== null && end <= now)) continue;
      shifts.push({ email, shiftEnd: end === null ? null : toInstant(end) });
    }
    // The next page starts after what this one held (a page may hold fewer than asked for).
    offset += body.oncalls.length;
    if (body.more !== true || body.oncalls.length === 0) return { shifts };
  }
  // More pages than any schedule should have: what was read is still true.
  return { shifts };
}

/** A cheap authenticated call for `elevate doctor`: `GET /abilities` (what the account may do). */
export function pagerDutyProbe(options: PagerDutyOptions) {
  return getJson({
    url: `${options.apiUrl}/abilities`, headers: { authorization: `Token token=${options.token}`, accept: 'application/vnd.pagerduty+json;version=2' },
    timeoutMs: options.timeoutMs, fetch: options.fetch, credential: 'PAGERDUTY_TOKEN',
  });
}
