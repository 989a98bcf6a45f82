import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
 * `failNext` makes the next calls answer a status, or never answer (`'hang'`, for timeouts).
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

export class FakePagerDuty {
  readonly entries: FakeOnCallEntry[] = [];
  readonly requests: Array<{ path: string; query: URLSearchParams; authorization: string | undefined }> = [];
  maxLimit = 100;
  private failures: Array<number | 'hang'> = [];
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private port = 0;

  constructor(readonly token: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  failNext(...failures: Array<number | 'hang'>): void {
    this.failures.push(...failures);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push({ path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const failure = this.failures.shift();
    if (failure === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (failure !== undefined) return send(failure, { error: { message: 'Internal Server Error', code: 2001 } });
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
