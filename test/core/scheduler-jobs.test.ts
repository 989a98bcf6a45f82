import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

beforeEach(async () => {
  t = await createTestEngine();
  people = await seedTypicalSetup(t);
});
afterEach(async () => t.close());

describe('time-driven work under a fake clock', () => {
  it('an undecided request expires at its deadline; requester and approvers are told', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    t.clock.advance(24 * 3600 - 1);
    expect((await t.elevate.runDueJobs()).requestsExpired).toBe(0);
    t.clock.advance(1);
    expect((await t.elevate.runDueJobs()).requestsExpired).toBe(1);
    expect((await t.elevate.getRequest(t.operator, request.id)).request.status).toBe('expired');
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(/already expired/);
    await t.deliverAll();
    for (const who of ['slack:UURSULA', 'slack:UCAROL', 'slack:UDAVE']) {
      expect(t.chat.postsTo(who).some((s) => s.card.title === `Request ${request.id} expired`)).toBe(true);
    }
    const approverCopy = [...t.chat.messages.values()].find((m) => m.destination === 'slack:UCAROL' && m.card.title.startsWith('Access request'))!;
    expect(approverCopy.card.actions).toEqual([]);
    expect(approverCopy.card.status?.tone).toBe('expired');
  });

  it('warns before the end, expires at the end, and catches up after downtime', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '1h', reason: 'INC-1' });
    const { grant } = await t.elevate.approve(people.carol, { requestId: request.id });
    t.clock.advance(44 * 60);
    expect((await t.elevate.runDueJobs()).expiryWarnings).toBe(0);
    t.clock.advance(60);
    expect((await t.elevate.runDueJobs()).expiryWarnings).toBe(1);
    expect((await t.elevate.runDueJobs()).expiryWarnings).toBe(0);
    await t.deliverAll();
    const warning = t.chat.postsTo('slack:UURSULA').find((s) => s.card.title.endsWith('ends soon'))!;
    expect(warning.card.actions.map((a) => a.verb)).toEqual(['grant.extend', 'grant.relinquish']);

    t.clock.advance(3 * 3600); // the server was down well past the end
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
    expect((await t.elevate.runDueJobs()).grantsExpired).toBe(1);
    expect((await t.elevate.runDueJobs()).grantsExpired).toBe(0);
    const [ended] = await t.elevate.listGrants(t.operator, { status: 'expired' });
    expect(ended).toMatchObject({ id: grant!.id, endedAt: '2026-11-27T12:45:00.000Z' });
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UURSULA').some((s) => s.card.title === `Access to ${SEARCH} expired`)).toBe(true);
  });

  it('reminds approvers once after the interval, or the escalation group when the policy names one', async () => {
    const first = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    t.clock.advance(3600);
    expect((await t.elevate.runDueJobs()).reminders).toBe(1);
    t.clock.advance(3600);
    expect((await t.elevate.runDueJobs()).reminders).toBe(0);
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UCAROL').some((s) => s.card.title === `Reminder: request ${first.request.id} is waiting for you`)).toBe(true);

    await t.elevate.createGroup(t.operator, 'managers');
    await t.elevate.addGroupMember(t.operator, 'managers', 'slack:UBOSS');
    await t.elevate.updatePolicy(t.operator, SEARCH, { escalationGroup: 'managers' });
    const second = await t.elevate.requestAccess(people.mallory, { target: SEARCH, reason: 'INC-2' });
    t.clock.advance(3600);
    await t.elevate.runDueJobs();
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UBOSS').map((s) => s.card.title)).toEqual([`Escalation: request ${second.request.id} undecided for 1h`]);
  });

  it('expires 1,200 due grants in batches, each once', async () => {
    await t.elevate.updatePolicy(t.operator, 'Exchange\\View-Only Recipients', { defaultDurationSeconds: 3600 });
    for (let i = 0; i < 1200; i++) {
      await t.elevate.requestAccess(await t.as(`slack:UUSER${i}`), { target: 'Exchange\\View-Only Recipients', reason: 'bulk' });
    }
    t.clock.advance(2 * 3600);
    const [a, b] = await Promise.all([t.elevate.runDueJobs(), t.elevate.runDueJobs()]);
    expect(a.grantsExpired + b.grantsExpired).toBeGreaterThanOrEqual(1200);
    expect((await t.store.listAudit({ action: 'grant.expired', limit: 5000 }))).toHaveLength(1200);
    expect((await t.elevate.verifyAudit(t.operator)).ok).toBe(true);
  });
});
