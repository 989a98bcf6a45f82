import type { IncomingMessage } from 'node:http';
import { FakeJsonApi, type Answer } from './fake-json-api.js';

/**
 * A PagerDuty REST API v2 on 127.0.0.1, answering as documented:
 * - `GET /oncalls` ("List all of the on-calls",
 *   https://developer.pagerduty.com/api-reference/3a6b910f11050-list-all-of-the-on-calls):
 *   filters `schedule_ids[]`, `escalation_policy_ids[]`, entries overlapping `since`..`until`,
 *   `include[]=users` expands `user` to a user object with `email` (else a `user_reference`);
 *   `start`/`end` null for permanent on-calls.
 * - classic pagination (https://developer.pagerduty.com/docs/pagination): `offset`, `limit`
 *   (default 25, at most 100; this fake may hold pages smaller, see `maxLimit`), answered with
 *   `limit`, `offset`, `more`, `total: null`.
 * - `GET /abilities`; authentication `Authorization: Token token=<key>`
 *   (https://developer.pagerduty.com/docs/authentication), else 401 with `error.code` 2006.
 * `failNext`: see FakeJsonApi.
 */
export interface FakeOnCallEntry {
  email: string;
  name?: string;
  scheduleId: string | null;
  escalationPolicyId: string;
  level?: number;
  start: string | null;
  end: string | null;
}

export class FakePagerDuty extends FakeJsonApi {
  readonly entries: FakeOnCallEntry[] = [];
  maxLimit = 100;

  constructor(readonly token: string) {
    super();
  }

  protected errorBody(): unknown {
    return { error: { message: 'Internal Server Error', code: 2001 } };
  }

  protected answer(req: IncomingMessage, url: URL, send: Answer): void {
    if (req.headers.authorization !== `Token token=${this.token}`) return send(401, { error: { message: 'Unauthorized', code: 2006 } });
    if (req.method === 'GET' && url.pathname === '/abilities') return send(200, { abilities: ['teams', 'read_only_users'] });
    if (req.method !== 'GET' || url.pathname !== '/oncalls') return send(404, { error: { message: 'Not Found', code: 2100 } });
    const q = url.searchParams;
    const schedules = q.getAll('schedule_ids[]');
    const policies = q.getAll('escalation_policy_ids[]');
    const since = Date.parse(q.get('since') ?? '');
    const until = Date.parse(q.get('until') ?? '');
    const users = q.getAll('include[]').includes('users');
    const matching = this.entries.filter((e) => (schedules.length === 0 || (e.scheduleId !== null && schedules.includes(e.scheduleId)))
      && (policies.length === 0 || policies.includes(e.escalationPolicyId))
      && (e.end === null || Number.isNaN(since) || Date.parse(e.end) > since)
      && (e.start === null || Number.isNaN(until) || Date.parse(e.start) < until));
    const limit = Math.min(Number(q.get('limit') ?? 25), 100, this.maxLimit);
    const offset = Number(q.get('offset') ?? 0);
    const page = matching.slice(offset, offset + limit);
    send(200, {
      oncalls: page.map((e, i) => {
        const userId = `PU${String(offset + i).padStart(5, '0')}`;
        return {
          user: users
            ? { id: userId, type: 'user', summary: e.name ?? e.email, name: e.name ?? e.email, email: e.email, self: `https://api.pagerduty.com/users/${userId}` }
            : { id: userId, type: 'user_reference', summary: e.name ?? e.email, self: `https://api.pagerduty.com/users/${userId}` },
          schedule: e.scheduleId === null ? null : { id: e.scheduleId, type: 'schedule_reference', summary: 'Primary' },
          escalation_policy: { id: e.escalationPolicyId, type: 'escalation_policy_reference', summary: 'Exchange' },
          escalation_level: e.level ?? 1,
          start: e.start,
          end: e.end,
        };
      }),
      limit, offset, more: offset + page.length < matching.length, total: null,
    });
  }
}
