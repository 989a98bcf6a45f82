import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/ports.js';
import type { StoreDialect } from '../../src/store/kysely-store.js';
import { databases, openTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';
import { settledAudit } from '../helpers/audit.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const VIEW = 'Exchange\\View-Only Recipients';
const HOUR = 3600;
const ALERT = /^BREAK-GLASS: /;

describe.each(await databases())('break-glass on %s', (kind: StoreDialect) => {
  let database: TestDatabase;
  let t: TestEngine;
  let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

  beforeEach(async () => {
    database = await openTestDatabase(kind);
    t = await createTestEngine({ db: database.db, dialect: kind });
    people = await seedTypicalSetup(t);
    await t.elevate.createGroup(t.operator, 'oncall');
    await t.elevate.addGroupMember(t.operator, 'oncall', 'slack:UURSULA');
    await t.elevate.updatePolicy(t.operator, SEARCH, { breakGlassGroup: 'oncall' });
  });
  afterEach(async () => database.close());

  const use = (actor: Actor, extra: Record<string, unknown> = {}) =>
    t.elevate.breakGlass(actor, { target: SEARCH, reason: 'INC-42 mailbox outage, nobody awake', confirmed: true, ...extra });
  const grantsNow = async () => t.elevate.listGrants(t.operator, {});
  const actions = async (action: string) => (await settledAudit(t, { action, limit: 100 }));

  it('policy fields: defaults, a group that must exist, a maximum within the cap, a bounded daily limit, never on the configuration target', async () => {
    const policy = await t.elevate.getPolicy(SEARCH);
    expect(policy).toMatchObject({ breakGlassGroupName: 'oncall', breakGlassMaxDurationSeconds: null, breakGlassPerDay: 2 });
    expect((await t.elevate.getPolicy(VIEW))).toMatchObject({ breakGlassGroupId: null, breakGlassGroupName: null });
    await expect(t.elevate.updatePolicy(t.operator, SEARCH, { breakGlassGroup: 'nobody' })).rejects.toThrow('group "nobody" does not exist');
    await expect(t.elevate.updatePolicy(t.operator, SEARCH, { breakGlassMaxDurationSeconds: 31 * 86400 })).rejects.toThrow('break-glass max duration must be between 1m and 30d');
    await expect(t.elevate.updatePolicy(t.operator, SEARCH, { breakGlassPerDay: 0 })).rejects.toThrow('break-glass per day must be a whole number from 1 to 20');
    await expect(t.elevate.createPolicy(t.operator, { target: { type: 'task', scope: 'Elevate', name: 'Elevate\\Configuration' }, approval: 'manual', breakGlassGroup: 'oncall' }))
      .rejects.toThrow('Elevate\\Configuration never allows break-glass');
    await t.elevate.updatePolicy(t.operator, SEARCH, { breakGlassMaxDurationSeconds: 2 * HOUR, breakGlassPerDay: 3 });
    expect(await t.elevate.getPolicy(SEARCH)).toMatchObject({ breakGlassMaxDurationSeconds: 2 * HOUR, breakGlassPerDay: 3 });
  });

  it('refusals say why and change nothing: not in the group, no break-glass on the policy, no reason, not confirmed, too long, the configuration target', async () => {
    await expect(use(people.mallory)).rejects.toThrow(`only members of oncall may break glass on ${SEARCH}`);
    await expect(use(people.ursula, { target: VIEW })).rejects.toThrow(`${VIEW} does not allow break-glass`);
    await expect(use(people.ursula, { reason: '  ' })).rejects.toThrow(`a reason is required to request ${SEARCH}`);
    await expect(use(people.ursula, { confirmed: false })).rejects.toThrow('confirm break-glass first: it alerts the 3 approver(s) of approvers, the 1 admin(s) and the audit feed (slack) at once');
    await expect(use(people.ursula, { duration: '2h' })).rejects.toThrow(`break-glass on ${SEARCH} lasts at most 1h, not 2h`);
    await expect(use(people.ursula, { target: 'Elevate\\Configuration' })).rejects.toThrow('break-glass is never allowed on Elevate\\Configuration');
    expect(await grantsNow()).toEqual([]);
    expect(await t.elevate.listBreakGlassUses(t.operator)).toEqual([]);
    expect((await actions('breakGlass.use.refused')).length).toBe(6);
    expect(await actions('breakGlass.used')).toEqual([]);
  });

  it('access starts at once, capped by the break-glass maximum, marked everywhere; approvers, admins and the feed get the loud card', async () => {
    const preview = await t.elevate.previewBreakGlass(people.ursula, SEARCH);
    expect(preview).toMatchObject({ target: SEARCH, maxSeconds: HOUR, usesLeft: 2, perDay: 2, reviewSeconds: 24 * HOUR });
    const { request, grant, use: used } = await use(people.ursula);
    expect(request).toMatchObject({ status: 'approved', breakGlass: true, decidedBy: null });
    expect(grant).toMatchObject({ status: 'active', breakGlass: true, startsAt: t.clock.now(), endsAt: '2026-11-27T10:00:00.000Z' });
    expect(used).toMatchObject({ status: 'pending', reviewDueAt: '2026-11-28T09:00:00.000Z' });
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH)).toEqual({ allowed: true, grantId: grant.id, endsAt: grant.endsAt, breakGlass: true });
    expect((await grantsNow())[0]).toMatchObject({ id: grant.id, breakGlass: true });
    expect((await actions('breakGlass.used'))[0]!.details).toMatchObject({ reason: 'INC-42 mailbox outage, nobody awake', alerted: { approvers: 3, admins: 1 } });

    await t.deliverAll();
    for (const to of ['slack:UCAROL', 'slack:UDAVE', 'slack:UERIN', 'slack:UALICE', 'feed']) {
      const alert = t.chat.postsTo(to).find((s) => ALERT.test(s.card.title));
      expect(alert, to).toBeDefined();
      expect(alert!.card.facts.map((f) => f.label)).toEqual(['Who', 'What', 'Why', 'Until', 'Access', 'Grant', 'Alerted', 'Review']);
      expect(alert!.card.actions.map((a) => a.verb)).toEqual(['grant.revoke', 'breakGlass.acknowledge', 'breakGlass.flag']);
    }
    expect(t.chat.postsTo('slack:UURSULA').some((s) => ALERT.test(s.card.title))).toBe(false);
    const mine = t.chat.postsTo('slack:UURSULA').map((s) => s.card);
    expect(mine.find((c) => c.title === `Break-glass access to ${SEARCH} granted`)).toBeDefined();
    expect(mine.find((c) => c.title.startsWith('Your break-glass request'))!.facts).toContainEqual(expect.objectContaining({ label: 'Break-glass' }));

    // Revoke from the card: every copy says so and loses its Revoke button.
    await t.elevate.revokeGrant(people.carol, { grantId: grant.id, comment: 'outage over' });
    await t.deliverAll();
    const feedAlert = t.chat.sent.filter((s) => s.destination === 'feed' && ALERT.test(s.card.title)).at(-1)!;
    expect(feedAlert.op).toBe('update');
    expect(feedAlert.card.facts.find((f) => f.label === 'Access')!.value).toMatch(/^revoked by /);
    expect(feedAlert.card.actions.map((a) => a.verb)).toEqual(['breakGlass.acknowledge', 'breakGlass.flag']);
  });

  it('at most N uses per person per policy in any 24 hours; holding access already is refused', async () => {
    const first = await use(people.ursula);
    await expect(use(people.ursula)).rejects.toThrow(`you already have ${SEARCH} until`);
    await t.elevate.relinquishGrant(people.ursula, { grantId: first.grant.id });
    const second = await use(people.ursula);
    await t.elevate.relinquishGrant(people.ursula, { grantId: second.grant.id });
    await expect(use(people.ursula)).rejects.toThrow(`you broke glass on ${SEARCH} 2 time(s) in the last 24 hours, the most it allows (2 a day)`);
    await expect(t.elevate.previewBreakGlass(people.ursula, SEARCH)).rejects.toThrow('the most it allows');
    t.clock.advance(24 * HOUR - 1);
    await expect(use(people.ursula)).rejects.toThrow('the most it allows');
    t.clock.advance(1);
    expect((await use(people.ursula)).grant.status).toBe('active');
  });

  it('what the web console offers: the targets whose break-glass group has the person; the request page carries the use and its reviewer', async () => {
    expect(await t.elevate.breakGlassTargets(people.ursula)).toEqual([SEARCH]);
    expect(await t.elevate.breakGlassTargets(people.mallory)).toEqual([]);
    expect(await t.elevate.breakGlassTargets(t.operator)).toEqual([]);
    const { request, grant } = await use(people.ursula);
    expect(await t.elevate.getRequestPage(people.dave, request.id)).toMatchObject({ breakGlassUse: { grantId: grant.id, status: 'pending' }, breakGlassReviewerName: null });
    await t.elevate.reviewBreakGlass(people.dave, { grantId: grant.id, verdict: 'acknowledge' });
    const page = await t.elevate.getRequestPage(people.ursula, request.id);
    expect(page.breakGlassUse).toMatchObject({ status: 'acknowledged', reviewedBy: people.dave.kind === 'principal' ? people.dave.principalId : null });
    expect(page.breakGlassReviewerName).not.toBeNull();
  });

  it('review: approvers acknowledge or flag (with a comment) once, never their own; flagged uses reach the admins, the report and the listing', async () => {
    await t.elevate.addGroupMember(t.operator, 'oncall', 'slack:UCAROL');
    const { grant } = await use(people.ursula);
    const review = (actor: Actor, verdict: 'acknowledge' | 'flag', comment?: string) => t.elevate.reviewBreakGlass(actor, { grantId: grant.id, verdict, comment });
    await expect(review(people.ursula, 'acknowledge')).rejects.toThrow('you cannot review your own break-glass use');
    await expect(review(people.mallory, 'acknowledge')).rejects.toThrow(`only approvers of ${SEARCH} or admins review its break-glass uses`);
    await expect(review(people.dave, 'flag')).rejects.toThrow('flagging needs a comment');
    await expect(t.elevate.reviewBreakGlass(people.dave, { grantId: 'G-NOPE', verdict: 'acknowledge' })).rejects.toThrow('grant G-NOPE is not a break-glass use');
    const flagged = await review(people.dave, 'flag', 'no incident INC-42 exists');
    expect(flagged).toMatchObject({ status: 'flagged', reviewComment: 'no incident INC-42 exists' });
    await expect(review(people.erin, 'acknowledge')).rejects.toThrow(/was already flagged by .* at /);
    expect((await actions('breakGlass.flagged'))[0]!.details).toMatchObject({ comment: 'no incident INC-42 exists' });

    await t.deliverAll();
    expect(t.chat.postsTo('slack:UALICE').some((s) => s.card.title === `Break-glass flagged: ${SEARCH}`)).toBe(true);
    const latest = [...t.chat.messages.values()].filter((m) => m.destination === 'slack:UCAROL' && ALERT.test(m.card.title));
    expect(latest[0]!.card.actions.map((a) => a.verb)).toEqual(['grant.revoke']);
    expect(latest[0]!.card.facts.find((f) => f.label === 'Review')!.value).toMatch(/^Flagged by .*: “no incident INC-42 exists”$/);

    expect((await t.elevate.listBreakGlassUses(people.auditor, { status: 'flagged' })).map((u) => u.grantId)).toEqual([grant.id]);
    expect(await t.elevate.listBreakGlassUses(people.mallory)).toEqual([]);
    expect((await t.elevate.listBreakGlassUses(people.ursula)).length).toBe(1);
    const report = await t.elevate.usageReport(people.auditor, { from: '2026-11-27T00:00:00.000Z', to: '2026-11-28T00:00:00.000Z' });
    expect(report.breakGlass).toMatchObject({ uses: 1, pending: 0, acknowledged: 0, flagged: [{ grantId: grant.id, target: SEARCH, comment: 'no incident INC-42 exists' }] });
    expect(report.policies.find((p) => p.target === SEARCH)).toMatchObject({ breakGlass: 1, autoApproved: 0, approved: 0 });
  });

  it('reminds the approvers until reviewed and tells the admins once the review is overdue (scheduler, fake clock)', async () => {
    const { grant } = await use(people.ursula);
    const reminders = () => t.chat.postsTo('slack:UCAROL').filter((s) => s.card.title.startsWith('Reminder: review break-glass'));
    const escalations = () => t.chat.postsTo('slack:UALICE').filter((s) => s.card.title.startsWith('Overdue review: break-glass'));
    t.clock.advance(HOUR - 1);
    expect((await t.elevate.runDueJobs()).breakGlassReviews).toBe(0);
    t.clock.advance(1);
    expect((await t.elevate.runDueJobs()).breakGlassReviews).toBe(1);
    await t.deliverAll();
    expect(reminders().length).toBe(1);
    expect(reminders()[0]!.card.actions.map((a) => a.verb)).toEqual(['breakGlass.acknowledge', 'breakGlass.flag']);
    expect(escalations()).toEqual([]);
    for (let hour = 2; hour <= 24; hour += 1) {
      t.clock.advance(HOUR);
      await t.elevate.runDueJobs();
    }
    await t.deliverAll();
    expect(reminders().length).toBe(24);
    expect(escalations().length).toBe(1);
    expect((await actions('breakGlass.escalated')).length).toBe(1);
    // Acknowledged at last: no more reminders, and every copy shows the review.
    await t.elevate.reviewBreakGlass(people.erin, { grantId: grant.id, verdict: 'acknowledge' });
    t.clock.advance(2 * HOUR);
    expect((await t.elevate.runDueJobs()).breakGlassReviews).toBe(0);
    await t.deliverAll();
    const escalation = [...t.chat.messages.values()].find((m) => m.destination === 'slack:UALICE' && m.card.title.startsWith('Overdue review'))!;
    expect(escalation.card.facts.find((f) => f.label === 'Review')!.value).toMatch(/^Acknowledged by /);
  });
});
