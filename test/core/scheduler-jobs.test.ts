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

  it('reminds approvers every interval with the card and its buttons, the last one says so, then the escalation group joins', async () => {
    await t.elevate.createGroup(t.operator, 'managers');
    await t.elevate.addGroupMember(t.operator, 'managers', 'slack:UBOSS');
    await t.elevate.updatePolicy(t.operator, SEARCH, { escalationGroup: 'managers' });
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    t.clock.advance(3599);
    expect((await t.elevate.runDueJobs()).reminders).toBe(0);
    t.clock.advance(1);
    expect((await t.elevate.runDueJobs()).reminders).toBe(1);
    expect((await t.elevate.runDueJobs()).reminders).toBe(0); // once per interval
    await t.deliverAll();
    const reminders = () => t.chat.postsTo('slack:UCAROL').filter((s) => s.card.title.startsWith('Reminder:'));
    expect(reminders()).toHaveLength(1);
    const first = reminders()[0]!.card;
    expect(first.title).toBe(`Reminder: Access request ${request.id}`);
    expect(first.actions.map((a) => a.verb)).toEqual(['request.approve', 'request.approveWithComment', 'request.deny']);
    expect(first.status!.text).toMatch(/^Waiting for approval for 1 h\. It expires undecided at .* \(in 23 h\)$/);
    expect(t.chat.postsTo('slack:UBOSS')).toEqual([]);

    // Every interval again; after ELEVATE_ESCALATE_AFTER (2) reminders the managers get each later one.
    for (let hour = 2; hour <= 23; hour += 1) {
      t.clock.advance(3600);
      expect((await t.elevate.runDueJobs()).reminders).toBe(1);
    }
    await t.deliverAll();
    expect(reminders()).toHaveLength(23);
    expect(reminders().at(-1)!.card.status!.text).toMatch(/Last reminder: it expires undecided at .* \(in 1 h\)$/);
    expect(reminders().at(-2)!.card.status!.text).not.toContain('Last reminder');
    const escalations = t.chat.postsTo('slack:UBOSS');
    expect(escalations).toHaveLength(21);
    expect(escalations[0]!.card.title).toBe(`Escalation: Access request ${request.id} is still undecided`);
    expect(escalations[0]!.card.actions.filter((a) => a.verb !== 'link.open')).toEqual([]);
    expect((await t.store.listAudit({ action: 'request.reminded', limit: 50 }))).toHaveLength(23);

    // Decided: every reminder copy is brought up to date, no buttons left.
    await t.elevate.approve(people.carol, { requestId: request.id });
    await t.deliverAll();
    for (const copy of [...reminders(), ...t.chat.postsTo('slack:UBOSS')]) {
      const latest = t.chat.messages.get(copy.messageId)!.card;
      expect(latest.status!.text).toMatch(/^Approved by/);
      expect(latest.actions.filter((a) => a.verb !== 'link.open')).toEqual([]);
    }
  });

  it('a reminder copy follows approvals while still pending (N of M), keeping its buttons', async () => {
    await t.elevate.updatePolicy(t.operator, SEARCH, { approvalsRequired: 2 });
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-3' });
    t.clock.advance(3600);
    await t.elevate.runDueJobs();
    await t.deliverAll();
    const reminder = t.chat.postsTo('slack:UDAVE').find((s) => s.card.title === `Reminder: Access request ${request.id}`)!;
    await t.elevate.approve(people.carol, { requestId: request.id });
    await t.deliverAll();
    const latest = t.chat.messages.get(reminder.messageId)!.card;
    expect(latest.facts.find((f) => f.label === 'Approvals')!.value).toMatch(/^1 of 2 \(.+\) — waiting for 1 more/);
    expect(latest.actions.map((a) => a.verb)).toContain('request.approve');
    expect(latest.status!.text).toMatch(/^Waiting for approval for 1 h\. It expires undecided at/);
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
