import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formStart } from '../../adapters/teams/card-submissions.js';
import { databases } from '../helpers/databases.js';
import { startTeamsHarness, USERS, type TeamsHarness } from '../helpers/teams-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: TeamsHarness;

/** Every string in a value, with the card markdown escapes (\\x) taken out, one per line. */
function texts(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\\(.)/g, '$1').replace(/\u00a0/g, ' ');
  if (Array.isArray(value)) return value.map(texts).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(texts).join('\n');
  return '';
}

describe('formStart: the form\'s date and time in the reader\'s time zone', () => {
  it('reads the IANA zone of the activity (with daylight saving), else the offset of its local timestamp, else UTC', () => {
    expect(formStart('2026-12-02', '22:00', { zone: 'Europe/Paris' })).toBe('2026-12-02T21:00:00.000Z');
    expect(formStart('2026-07-02', '22:00', { zone: 'Europe/Paris' })).toBe('2026-07-02T20:00:00.000Z');
    expect(formStart('2026-12-02', '22:00', { zone: 'America/Los_Angeles' })).toBe('2026-12-03T06:00:00.000Z');
    expect(formStart('2026-12-02', '22:00', { localTimestamp: '2026-12-01T10:00:00.000-08:00' })).toBe('2026-12-03T06:00:00.000Z');
    expect(formStart('2026-12-02', null, {})).toBe('2026-12-02T00:00:00.000Z');
    expect(formStart(null, '22:00', { zone: 'Europe/Paris' })).toBeNull();
    expect(formStart('tomorrow', '22:00', {})).toBe('tomorrow 22:00');
  });
});

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startTeamsHarness({ database });
  });
  afterEach(async () => h.close());

  it('a scheduled window from the form, in the requester\'s time zone, approved early with one click, active from its start', async () => {
    await h.elevate.createGroup(h.operator, 'approvers');
    for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
    await h.elevate.createPolicy(h.operator, {
      target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', maxDurationSeconds: 8 * 3600,
    });
    await h.say(USERS.ursula!, 'request');
    const form = JSON.stringify(h.connector.activitiesIn(h.personal(USERS.ursula!)).at(-1)!.activity);
    expect(form).toContain('"type":"Input.Date","id":"startDate"');
    expect(form).toContain('"type":"Input.Time","id":"startTime"');
    const policyId = (await h.elevate.listPolicies())[0]!.id;

    // Tomorrow at 22:00 in Paris, whatever today is.
    const tomorrow = new Date(Date.parse(h.clock.now()) + 86400_000).toISOString().slice(0, 10);
    const start = formStart(tomorrow, '22:00', { zone: 'Europe/Paris' })!;
    const refused = await h.invoke(USERS.ursula!, 'form.request', { target: policyId, duration: '2h', reason: 'CHG-7', startDate: '2020-01-01', startTime: '10:00' }, { localTimezone: 'Europe/Paris' });
    expect(texts(refused.body)).toContain('is in the past');
    const accepted = await h.invoke(USERS.ursula!, 'form.request', { target: policyId, duration: '2h', reason: 'CHG-7 maintenance', startDate: tomorrow, startTime: '22:00' }, { localTimezone: 'Europe/Paris' });
    expect(texts(accepted.body)).toMatch(/was sent to its approvers/);
    const [request] = await h.elevate.listRequests(h.operator, {});
    expect(request).toMatchObject({ status: 'pending', startsAt: start });
    await h.deliver();

    const click = await h.invoke(USERS.carol!, 'request.approve', { value: request!.id });
    // Drawn in the reader's time zone by Teams (Adaptive Card DATE/TIME functions).
    expect(texts(click.body)).toContain(`Access scheduled from {{DATE(${start.replace(/\.\d{3}Z$/, 'Z')}, SHORT)}}`);
    await h.deliver();
    expect(texts(h.connector.activitiesIn(h.personal(USERS.ursula!)).map((a) => a.activity))).toContain(`Access to ${SEARCH} scheduled`);
    expect(h.elevate.checkAuthorization(`teams:${USERS.ursula!.aad}`, SEARCH).allowed).toBe(false);

    h.clock.set(start);
    expect((await h.elevate.runDueJobs()).grantsStarted).toBe(1);
    expect(h.elevate.checkAuthorization(`teams:${USERS.ursula!.aad}`, SEARCH).allowed).toBe(true);
    await h.deliver();
    expect(texts(h.connector.activitiesIn(h.personal(USERS.ursula!)).map((a) => a.activity))).toContain(`Access to ${SEARCH} started`);
  });
});
