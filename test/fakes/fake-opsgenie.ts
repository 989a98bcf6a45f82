import type { IncomingMessage } from 'node:http';
import { FakeJsonApi, type Answer } from './fake-json-api.js';

/**
 * An Opsgenie REST API on 127.0.0.1, answering as documented:
 * - "Get On Calls" (https://docs.opsgenie.com/docs/who-is-on-call-api):
 *   `GET /v2/schedules/{identifier}/on-calls?scheduleIdentifierType=id|name&flat=&date=`;
 *   `data._parent` names the schedule; with `flat=true`, `data.onCallRecipients` lists the user
 *   names (email addresses) on call at `date`, else `data.onCallParticipants`.
 * - "Get Schedule Timeline" (https://docs.opsgenie.com/docs/schedule-api):
 *   `GET /v2/schedules/{identifier}/timeline?identifierType=&date=&interval=&intervalUnit=`;
 *   `data.startDate`, `data.endDate`, `data.finalTimeline.rotations[].periods[]` with
 *   `startDate`, `endDate`, `type`, `recipient { id, type: user, name }`.
 * - `GET /v2/schedules` (list). Every answer carries `took` and `requestId`; errors a `message`.
 * Authentication `Authorization: GenieKey <key>`, else 401. `failNext`: see FakeJsonApi.
 */
export interface FakeSchedule {
  id: string;
  name: string;
  /** The final timeline: who is on call when. */
  periods: Array<{ email: string; start: string; end: string }>;
}

const UNITS: Record<string, number> = { days: 86400_000, weeks: 7 * 86400_000, months: 31 * 86400_000 };

export class FakeOpsgenie extends FakeJsonApi {
  readonly schedules: FakeSchedule[] = [];

  constructor(readonly apiKey: string) {
    super();
  }

  protected errorBody(): unknown {
    return { message: 'Internal error' };
  }

  protected override envelope(body: unknown): unknown {
    return { ...(body as Record<string, unknown>), took: 0.01, requestId: 'fake-request' };
  }

  protected answer(req: IncomingMessage, url: URL, send: Answer): void {
    if (req.headers.authorization !== `GenieKey ${this.apiKey}`) return send(401, { message: 'Could not authenticate' });
    const q = url.searchParams;
    if (req.method === 'GET' && url.pathname === '/v2/schedules') {
      return send(200, { data: this.schedules.slice(0, Number(q.get('limit') ?? 100)).map((s) => ({ id: s.id, name: s.name, enabled: true })) });
    }
    const match = /^\/v2\/schedules\/([^/]+)\/(on-calls|timeline)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) return send(404, { message: 'Not found' });
    const identifier = decodeURIComponent(match[1]!);
    const byName = (match[2] === 'on-calls' ? q.get('scheduleIdentifierType') : q.get('identifierType')) === 'name';
    const schedule = this.schedules.find((s) => (byName ? s.name === identifier : s.id === identifier));
    if (!schedule) return send(404, { message: `Schedule with identifier [${identifier}] does not exist` });
    const parent = { id: schedule.id, name: schedule.name, enabled: true };
    const date = q.get('date') ? Date.parse(q.get('date')!) : Date.now();
    if (match[2] === 'on-calls') {
      const on = [...new Set(schedule.periods.filter((p) => Date.parse(p.start) <= date && Date.parse(p.end) > date).map((p) => p.email))];
      return send(200, { data: q.get('flat') === 'true'
        ? { _parent: parent, onCallRecipients: on }
        : { _parent: parent, onCallParticipants: on.map((email) => ({ id: `u-${email}`, name: email, type: 'user' })) } });
    }
    const end = date + Number(q.get('interval') ?? 1) * (UNITS[q.get('intervalUnit') ?? 'weeks'] ?? UNITS.weeks!);
    const periods = schedule.periods.filter((p) => Date.parse(p.end) > date && Date.parse(p.start) < end).map((p) => ({
      startDate: p.start, endDate: p.end, type: 'default', recipient: { id: `u-${p.email}`, type: 'user', name: p.email },
    }));
    send(200, { data: {
      _parent: parent, startDate: new Date(date).toISOString(), endDate: new Date(end).toISOString(),
      finalTimeline: { rotations: [{ id: 'r-1', name: 'Primary', order: 1, periods }] },
    } });
  }
}
