import { afterEach, describe, expect, it } from 'vitest';
import { at, plainTimes } from '../../src/core/time-text.js';
import { parseStart } from '../../src/core/windows.js';
import { RecordingHooks } from '../fakes/recording-hooks.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const VIEW = 'Exchange\\View-Only Recipients';
const ORG = 'Exchange\\Organization Management';
// The fake clock starts at 2026-11-27T09:00:00Z; tonight's maintenance window is at 22:00.
const TONIGHT = '2026-11-27T22:00:00.000Z';

let t: TestEngine;
let hooks: RecordingHooks;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

async function setup(config: Parameters<typeof createTestEngine>[0] = {}) {
  hooks = new RecordingHooks();
  t = await createTestEngine({ hooks, ...config, config: { hooks: ['exchange-rbac'], ...config.config } });
  people = await seedTypicalSetup(t);
  await t.elevate.createPolicy(t.operator, {
    target: { type: 'roleGroup', scope: 'Exchange', name: ORG }, approval: 'manual', approverGroup: 'approvers', hook: 'exchange-rbac',
  });
}

/** Moves the clock to `at` and runs the scheduler there. */
async function runAt(at: string) {
  t.clock.set(at);
  return t.elevate.runDueJobs();
}

async function auditActions(): Promise<string[]> {
  return (await t.store.listAudit({ limit: 10_000 })).map((r) => r.action);
}

describe('parseStart', () => {
  const now = '2026-11-27T09:00:00.000Z';
  const ahead = 30 * 86400;
  it('reads a date and time with its zone, a time from now and Unix seconds', () => {
    expect(parseStart('2026-11-27T23:00+01:00', now, ahead)).toBe(TONIGHT);
    expect(parseStart('2026-11-27 22:00:00Z', now, ahead)).toBe(TONIGHT);
    expect(parseStart('2026-11-27T17:00:00-0500', now, ahead)).toBe(TONIGHT);
    expect(parseStart('+13h', now, ahead)).toBe(TONIGHT);
    expect(parseStart('in 13h', now, ahead)).toBe(TONIGHT);
    expect(parseStart(Date.parse(TONIGHT) / 1000, now, ahead)).toBe(TONIGHT);
  });
  it('refuses times without a zone, in the past, too far ahead, and junk', () => {
    expect(() => parseStart('2026-11-27T22:00', now, ahead)).toThrow(/with its zone/);
    expect(() => parseStart('2026-11-27T08:00Z', now, ahead)).toThrow(/in the past/);
    expect(() => parseStart('+31d', now, ahead)).toThrow(/more than 30d ahead \(ELEVATE_MAX_SCHEDULE_AHEAD\)/);
    expect(() => parseStart('tonight', now, ahead)).toThrow(/is not a time/);
    expect(() => parseStart('x'.repeat(10_000), now, ahead)).toThrow(/is not a time/);
    expect(() => parseStart(-5, now, ahead)).toThrow(/is not a time/);
  });
});

describe('scheduled windows', () => {
  afterEach(async () => t.close());

  it('approved early: scheduled until the start, active from it for the duration, hooks at the real start', async () => {
    await setup();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: ORG, duration: '4h', reason: 'CHG-7 maintenance', start: TONIGHT });
    expect(request).toMatchObject({ status: 'pending', startsAt: TONIGHT, deadlineAt: '2026-11-28T02:00:00.000Z' });
    t.clock.advance(3600); // approved at 10:00, during office hours
    const { grant } = await t.elevate.approve(people.carol, { requestId: request.id });
    expect(grant).toMatchObject({ status: 'scheduled', startsAt: TONIGHT, endsAt: '2026-11-28T02:00:00.000Z' });
    await t.deliverAll();
    expect(hooks.calls).toEqual([]);
    expect((await t.elevate.effectiveHolders(t.operator, { target: ORG })).flatMap((e) => e.holders)).toEqual([]);
    // The check never allows before the start, whenever it is asked.
    expect(t.elevate.checkAuthorization('slack:UURSULA', ORG).allowed).toBe(false);
    expect(t.elevate.checkAuthorization('slack:UURSULA', ORG, '2026-11-27T23:00:00.000Z').allowed).toBe(false);
    const scheduledCard = t.chat.postsTo('slack:UURSULA').find((s) => s.card.title === `Access to ${ORG} scheduled`)!;
    expect(scheduledCard.card.facts).toContainEqual({ label: 'Window', value: `${at(TONIGHT)} → ${at('2026-11-28T02:00:00.000Z')}` });

    expect((await runAt('2026-11-27T21:59:59.000Z')).grantsStarted).toBe(0);
    expect(t.elevate.checkAuthorization('slack:UURSULA', ORG).allowed).toBe(false);
    expect((await runAt(TONIGHT)).grantsStarted).toBe(1);
    expect(t.elevate.checkAuthorization('slack:UURSULA', ORG)).toMatchObject({ allowed: true, grantId: grant!.id, endsAt: '2026-11-28T02:00:00.000Z' });
    await t.deliverAll();
    expect(hooks.calls.map((c) => [c.event.event, c.event.occurredAt])).toEqual([['grant.start', TONIGHT]]);
    expect(t.chat.postsTo('slack:UURSULA').some((s) => s.card.title === `Access to ${ORG} started`)).toBe(true);
    expect((await runAt('2026-11-28T02:00:00.000Z')).grantsExpired).toBe(1);
    expect(t.elevate.checkAuthorization('slack:UURSULA', ORG).allowed).toBe(false);
    expect(await auditActions()).toEqual(expect.arrayContaining(['grant.created', 'grant.started', 'grant.expired']));
  });

  it('approved after its start: access from the approval until the planned end, not the full duration', async () => {
    await setup();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '4h', reason: 'INC-1', start: TONIGHT });
    t.clock.set('2026-11-27T23:30:00.000Z');
    const { grant } = await t.elevate.approve(people.carol, { requestId: request.id });
    expect(grant).toMatchObject({ status: 'active', startsAt: '2026-11-27T23:30:00.000Z', endsAt: '2026-11-28T02:00:00.000Z' });
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(true);
  });

  it('a request still undecided at its planned end expires; a decision then is too late', async () => {
    await setup();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '1h', reason: 'INC-1', start: TONIGHT });
    expect((await runAt('2026-11-27T22:59:00.000Z')).requestsExpired).toBe(0);
    t.clock.set('2026-11-27T23:00:00.000Z');
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(/expired/);
  });

  it('auto policies schedule at once; the scheduler catches up after downtime', async () => {
    await setup();
    const { grant } = await t.elevate.requestAccess(people.ursula, { target: VIEW, reason: 'INC-9', duration: '2h', start: TONIGHT });
    expect(grant).toMatchObject({ status: 'scheduled', startsAt: TONIGHT, endsAt: '2026-11-28T00:00:00.000Z' });
    const late = await runAt('2026-11-27T23:00:00.000Z'); // the scheduler was down at 22:00
    expect(late).toMatchObject({ grantsStarted: 1, grantsExpired: 0 });
    expect(t.elevate.checkAuthorization('slack:UURSULA', VIEW).allowed).toBe(true);
  });

  it('a window that ended during downtime closes without running hooks', async () => {
    await setup();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: ORG, duration: '1h', reason: 'CHG-7', start: TONIGHT });
    await t.elevate.approve(people.carol, { requestId: request.id });
    expect((await runAt('2026-11-28T06:00:00.000Z')).grantsStarted).toBe(1);
    const [grant] = await t.elevate.listGrants(t.operator, { status: 'expired' });
    expect(grant).toMatchObject({ endComment: 'its window ended before it could start' });
    await t.deliverAll();
    expect(hooks.calls).toEqual([]);
    expect(t.elevate.checkAuthorization('slack:UURSULA', ORG, '2026-11-27T22:30:00.000Z').allowed).toBe(false);
  });

  it('the requester may cancel before the start (pending or approved), not after; nobody else may', async () => {
    await setup();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: ORG, duration: '1h', reason: 'CHG-7', start: TONIGHT });
    const { grant } = await t.elevate.approve(people.carol, { requestId: request.id });
    await expect(t.elevate.cancelRequest(people.mallory, request.id)).rejects.toThrow(/only the requester or an admin/);
    const kept = await t.elevate.cancelRequest(people.ursula, request.id);
    expect(kept.status).toBe('approved');
    const [ended] = await t.elevate.listGrants(t.operator, { status: 'relinquished' });
    expect(ended).toMatchObject({ id: grant!.id, endComment: 'cancelled before its start' });
    expect((await runAt(TONIGHT)).grantsStarted).toBe(0);
    await t.deliverAll();
    expect(hooks.calls).toEqual([]);
    expect(await auditActions()).toContain('request.windowCancelled');
    // Neither scheduled nor cancelled before its start, a window's grant makes nobody a holder of the role.
    expect((await t.elevate.effectiveHolders(t.operator, { target: ORG })).flatMap((e) => e.holders)).toEqual([]);

    const second = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '1h', reason: 'INC-2', start: '2026-11-28T10:00:00Z' });
    expect((await t.elevate.cancelRequest(people.ursula, second.request.id)).status).toBe('cancelled');

    const third = await t.elevate.requestAccess(people.ursula, { target: VIEW, reason: 'INC-9', duration: '1h', start: '2026-11-28T11:00:00Z' });
    await runAt('2026-11-28T11:00:00.000Z');
    await expect(t.elevate.cancelRequest(people.ursula, third.request.id)).rejects.toThrow(/already approved/);
  });

  it('refuses starts too far ahead (ELEVATE_MAX_SCHEDULE_AHEAD), in the past, and on extensions; changes nothing', async () => {
    await setup({ config: { maxScheduleAheadSeconds: 7 * 86400 } });
    await expect(t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1', start: '+8d' }))
      .rejects.toMatchObject({ code: 'invalid_input', details: { field: 'start' } });
    await expect(t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1', start: '2026-11-26T10:00Z' })).rejects.toThrow(/in the past/);
    expect(await t.elevate.listRequests(t.operator, {})).toEqual([]);
    const { grant } = await t.elevate.requestAccess(people.ursula, { target: VIEW, reason: 'INC-9', duration: '1h' });
    await expect(t.elevate.extendGrant(people.ursula, { grantId: grant!.id, duration: '1h', reason: 'INC-9', start: '+2h' } as never)).rejects.toThrow(/cannot name a start/);
  });

  it('a window starting while the holder already has the target extends that grant instead', async () => {
    await setup();
    const { grant: scheduled } = await t.elevate.requestAccess(people.ursula, { target: VIEW, reason: 'INC-9', duration: '2h', start: TONIGHT });
    t.clock.set('2026-11-27T21:00:00.000Z');
    const { grant: now } = await t.elevate.requestAccess(people.ursula, { target: VIEW, reason: 'INC-9', duration: '2h' });
    expect(now).toMatchObject({ status: 'active', endsAt: '2026-11-27T23:00:00.000Z' });
    expect((await runAt(TONIGHT)).grantsStarted).toBe(1);
    const [active] = await t.elevate.listGrants(t.operator, { status: 'active' });
    expect(active).toMatchObject({ id: now!.id, endsAt: '2026-11-28T00:00:00.000Z' });
    const [closed] = await t.elevate.listGrants(t.operator, { status: 'expired' });
    expect(closed).toMatchObject({ id: scheduled!.id, endComment: `merged into grant ${now!.id}, already active` });
  });

  it('cards show the window; the requester copy offers to cancel it', async () => {
    await setup();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '4h', reason: 'INC-1', start: TONIGHT });
    await t.deliverAll();
    const approverCard = [...t.chat.messages.values()].find((m) => m.destination === 'slack:UCAROL' && m.card.title === `Access request ${request.id}`)!;
    expect(approverCard.card.facts).toContainEqual({ label: 'Window', value: `${at(TONIGHT)} → ${at('2026-11-28T02:00:00.000Z')}` });
    await t.elevate.approve(people.carol, { requestId: request.id });
    await t.deliverAll();
    const mine = [...t.chat.messages.values()].find((m) => m.destination === 'slack:UURSULA' && m.card.title.startsWith('Your access request'))!;
    expect(plainTimes(mine.card.status!.text)).toContain('Access scheduled from 2026-11-27 22:00 UTC until 2026-11-28 02:00 UTC (grant G-0001)');
    expect(mine.card.actions.map((a) => a.label)).toContain('Cancel window');
  });
});
