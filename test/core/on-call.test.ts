import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeOnCall, onCallSeconds, parseOnCallSchedule } from '../../src/core/on-call.js';
import type { EngineConfig } from '../../src/core/context.js';
import type { Actor } from '../../src/core/ports.js';
import { at } from '../../src/core/time-text.js';
import type { StoreDialect } from '../../src/store/kysely-store.js';
import { databases, openTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';
import { settledAudit } from '../helpers/audit.js';
import { FakeOnCall } from '../fakes/fake-on-call.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const PD = 'pagerduty:PSCHED1';
const OG = 'opsgenie:Exchange Ops';
// The fake clock starts at 2026-11-27T09:00:00Z.
const NOW = '2026-11-27T09:00:00.000Z';
const IN_2H = '2026-11-27T11:00:00.000Z';

describe('on-call schedules as written', () => {
  it('reads PagerDuty schedules and escalation policies and Opsgenie names and ids', () => {
    expect(parseOnCallSchedule('pagerduty:PSCHED1')).toEqual({ provider: 'pagerduty', kind: 'schedule', id: 'PSCHED1' });
    expect(parseOnCallSchedule('pagerduty:escalation-policy/PEP42')).toEqual({ provider: 'pagerduty', kind: 'escalation-policy', id: 'PEP42' });
    expect(parseOnCallSchedule('opsgenie:Exchange Ops')).toEqual({ provider: 'opsgenie', kind: 'name', id: 'Exchange Ops' });
    expect(parseOnCallSchedule('opsgenie:D5A2A8C4-0000-4000-8000-00000000000A')).toEqual({ provider: 'opsgenie', kind: 'id', id: 'd5a2a8c4-0000-4000-8000-00000000000a' });
    expect(normalizeOnCall([' pagerduty:PSCHED1', 'pagerduty:PSCHED1', OG])).toEqual([PD, OG]);
  });

  it('refuses anything else, saying the forms', () => {
    expect(() => parseOnCallSchedule('PSCHED1')).toThrow(/names no provider: write pagerduty:<schedule id>/);
    expect(() => parseOnCallSchedule('victorops:X')).toThrow(/unknown provider "victorops"/);
    expect(() => parseOnCallSchedule('pagerduty:psched1')).toThrow(/not a PagerDuty id/);
    expect(() => parseOnCallSchedule('pagerduty:P1/../users')).toThrow(/not a PagerDuty id/);
    expect(() => parseOnCallSchedule('opsgenie:../../v2/alerts')).toThrow(/not an Opsgenie schedule name/);
    expect(() => parseOnCallSchedule(`opsgenie:${'a'.repeat(101)}`)).toThrow(/not an Opsgenie schedule name/);
    expect(() => normalizeOnCall(Array.from({ length: 11 }, (_, i) => `pagerduty:PS${i}X`))).toThrow(/at most 10/);
    expect(() => normalizeOnCall('pagerduty:PSCHED1')).toThrow(/must be a list/);
  });

  it('caps an on-call grant at the shift end plus the grace, and refuses one under a minute', () => {
    expect(onCallSeconds(4 * 3600, IN_2H, NOW, 900)).toBe(2 * 3600 + 900);
    expect(onCallSeconds(3600, IN_2H, NOW, 900)).toBe(3600);
    expect(onCallSeconds(3600, null, NOW, 900)).toBe(3600);
    expect(onCallSeconds(3600, '2026-11-27T09:00:30.000Z', NOW, 0)).toBeNull();
  });
});

describe.each(await databases())('on-call approval on %s', (kind: StoreDialect) => {
  let database: TestDatabase;
  let t: TestEngine;
  let onCall: FakeOnCall;
  let people: Awaited<ReturnType<typeof seedTypicalSetup>>;
  let ursula: Actor;

  async function setup(config: Partial<EngineConfig> = {}) {
    database = await openTestDatabase(kind);
    onCall = new FakeOnCall();
    t = await createTestEngine({ db: database.db, dialect: kind, onCall, config });
    people = await seedTypicalSetup(t);
    // Slack verified her address: that is what providers are matched against.
    ursula = await t.identify('slack:UURSULA', { displayName: 'Ursula', verifiedEmail: 'Ursula@Example.com' });
    await t.elevate.updatePolicy(t.operator, SEARCH, { onCall: [PD, OG] });
  }

  afterEach(async () => database.close());

  async function approverCard(requestId: string) {
    await t.deliverAll();
    return t.chat.postsTo('slack:UCAROL').find((p) => p.card.title.includes(requestId))!.card;
  }

  describe('with the default grace', () => {
    // An identity provider is configured, so step-up could be chosen.
    beforeEach(async () => setup({ stepUp: { available: true, maxAgeSeconds: 300, acrValues: [] } }));

    it('approves a requester on call at once, until the shift end plus 15 min, and records why', async () => {
      onCall.set(PD, { shifts: [{ email: 'someone@example.com', shiftEnd: IN_2H }, { email: 'ursula@example.com', shiftEnd: IN_2H }] });
      const { request, grant } = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '4h', reason: 'INC-9 outage' });
      expect(request).toMatchObject({ status: 'approved', durationSeconds: 2 * 3600 + 900 });
      expect(request.onCall).toMatchObject({ outcome: 'on call', schedule: PD, shiftEnd: IN_2H });
      expect(grant).toMatchObject({ status: 'active', endsAt: '2026-11-27T11:15:00.000Z' });
      expect(onCall.asked).toEqual([{ schedule: PD, at: NOW }, { schedule: OG, at: NOW }]);

      const audit = await settledAudit(t, { limit: 100 });
      const approved = audit.find((r) => r.action === 'request.autoApproved')!;
      expect(approved.details).toMatchObject({ grantId: grant!.id, onCall: { schedule: PD, shiftEnd: IN_2H } });
      expect(String((approved.details.onCall as { answer: string }).answer)).toContain(`${PD}: 2 on call; ${OG}: 0 on call`);
      expect(audit.find((r) => r.action === 'request.created')!.details).toMatchObject({ askedSeconds: 4 * 3600 });

      const card = await approverCard(request.id);
      expect(card.status?.text).toContain(`Approved automatically (on call on ${PD} until ${at(IN_2H)})`);
      expect(card.facts).toContainEqual({ label: 'On call', value: expect.stringContaining(`on call on ${PD} until ${at(IN_2H)}`) });

      // The grant ends with the grace, by the clock.
      t.clock.set('2026-11-27T11:15:00.000Z');
      await t.elevate.runDueJobs();
      expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
    });

    it('gives what was asked when the shift lasts longer, and takes the latest shift across schedules', async () => {
      onCall.set(PD, { shifts: [{ email: 'ursula@example.com', shiftEnd: IN_2H }] });
      onCall.set(OG, { shifts: [{ email: 'ursula@example.com', shiftEnd: '2026-11-28T09:00:00.000Z' }] });
      const { request, grant } = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '3h', reason: 'INC-9' });
      expect(request.onCall).toMatchObject({ outcome: 'on call', schedule: OG });
      expect(grant!.endsAt).toBe('2026-11-27T12:00:00.000Z');
    });

    it('sends others to the approvers, saying they are not on call', async () => {
      onCall.set(PD, { shifts: [{ email: 'someone@example.com', shiftEnd: IN_2H }] });
      const { request, grant } = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '1h', reason: 'INC-9' });
      expect(grant).toBeNull();
      expect(request).toMatchObject({ status: 'pending', durationSeconds: 3600, onCall: { outcome: 'not on call' } });
      expect((await approverCard(request.id)).facts).toContainEqual({ label: 'On call', value: `not on call on ${PD}, ${OG}; manual approval` });
    });

    it('falls back to manual approval when a provider fails, and the card says so', async () => {
      onCall.set(PD, { error: 'unreachable' });
      const { request, grant } = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '1h', reason: 'INC-9' });
      expect(grant).toBeNull();
      expect(request).toMatchObject({ status: 'pending', onCall: { outcome: 'failed' } });
      expect((await approverCard(request.id)).facts).toContainEqual({ label: 'On call', value: 'on-call check failed: PagerDuty unreachable; manual approval' });
      // A person still decides it as usual.
      const decided = await t.elevate.approve(people.carol, { requestId: request.id });
      expect(decided.grant!.endsAt).toBe('2026-11-27T10:00:00.000Z');
    });

    it('a failure on one schedule does not stop a match on another', async () => {
      onCall.set(PD, { error: 'did not answer within 3 s' });
      onCall.set(OG, { shifts: [{ email: 'ursula@example.com', shiftEnd: IN_2H }] });
      const { request } = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '1h', reason: 'INC-9' });
      expect(request).toMatchObject({ status: 'approved', onCall: { outcome: 'on call', schedule: OG } });
    });

    it('never matches an address the platform did not verify', async () => {
      const mallory = await t.identify('slack:UMALLORY', { displayName: 'ursula@example.com', verifiedEmail: null });
      onCall.set(PD, { shifts: [{ email: 'ursula@example.com', shiftEnd: IN_2H }] });
      const { request } = await t.elevate.requestAccess(mallory, { target: SEARCH, duration: '1h', reason: 'INC-9' });
      expect(request).toMatchObject({ status: 'pending', onCall: { outcome: 'not on call' } });
      expect(request.onCall!.answer).toMatch(/no verified email address/);
      expect(onCall.asked).toEqual([]);
    });

    it('ignores shifts that already ended, and scheduled windows wait for people', async () => {
      onCall.set(PD, { shifts: [{ email: 'ursula@example.com', shiftEnd: '2026-11-27T08:59:00.000Z' }] });
      const ended = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '1h', reason: 'INC-9' });
      expect(ended.request.status).toBe('pending');
      await t.elevate.cancelRequest(ursula, ended.request.id);
      onCall.set(PD, { shifts: [{ email: 'ursula@example.com', shiftEnd: IN_2H }] });
      const window = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '1h', reason: 'CHG-1', start: '2026-11-27T22:00:00Z' });
      expect(window.request).toMatchObject({ status: 'pending', onCall: { outcome: 'not on call' } });
    });

    it('is refused on automatic policies and shows in the policy', async () => {
      await expect(t.elevate.updatePolicy(t.operator, 'Exchange\\View-Only Recipients', { onCall: [PD] })).rejects.toThrow(/use them with --approval manual/);
      await expect(t.elevate.updatePolicy(t.operator, SEARCH, { onCall: ['pagerduty:nope'] })).rejects.toThrow(/not a PagerDuty id/);
      await expect(t.elevate.updatePolicy(t.operator, SEARCH, { approvalStepUp: true })).rejects.toThrow(/bypass step-up approval/);
      await expect(t.elevate.createPolicy(t.operator, { target: { type: 'task', scope: 'Elevate', name: 'Elevate\\Configuration' }, approval: 'manual', onCall: [PD] }))
        .rejects.toThrow('Elevate\\Configuration never takes on-call approval');
      expect((await t.elevate.getPolicy(SEARCH)).onCall).toEqual([PD, OG]);
      await t.elevate.updatePolicy(t.operator, SEARCH, { onCall: [] });
      expect((await t.elevate.getPolicy(SEARCH)).onCall).toEqual([]);
    });
  });

  it('honours the configured grace (ELEVATE_ON_CALL_GRACE)', async () => {
    await setup({ onCallGraceSeconds: 0 });
    onCall.set(PD, { shifts: [{ email: 'ursula@example.com', shiftEnd: IN_2H }] });
    const { grant } = await t.elevate.requestAccess(ursula, { target: SEARCH, duration: '8h', reason: 'INC-9' });
    expect(grant!.endsAt).toBe(IN_2H);
  });
});
