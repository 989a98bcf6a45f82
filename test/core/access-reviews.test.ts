import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reviewsPage } from '../../src/web/pages/reviews.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

beforeEach(async () => {
  t = await createTestEngine();
  people = await seedTypicalSetup(t);
  await t.elevate.createGroup(t.operator, 'helpdesk');
  for (const member of ['slack:UURSULA', 'slack:UMALLORY', 'slack:UVICTOR']) await t.elevate.addGroupMember(t.operator, 'helpdesk', member);
  await t.elevate.updatePolicy(t.operator, 'Exchange\\Search-Mailbox', { eligibleGroup: 'helpdesk' });
});
afterEach(async () => t.close());

const HOUR = 3600;
const DAY = 24 * HOUR;

describe('access reviews, driven by a fake clock', () => {
  it('reviewers keep and remove members; reminders, escalation and unanswered handling follow the clock', async () => {
    const { campaign, items } = await t.elevate.startReview(t.operator, { scope: 'policies', deadline: '10d', grace: '2d', unanswered: 'keep' });
    expect(items.map((i) => `${i.groupName} ${i.member} by ${i.reviewerGroup}`)).toEqual([
      'helpdesk slack:UMALLORY by approvers', 'helpdesk slack:UURSULA by approvers', 'helpdesk slack:UVICTOR by approvers',
    ]);
    await t.deliverAll();
    // Each approver gets the two pages of the helpdesk's review.
    const carolCards = t.chat.postsTo('slack:UCAROL').filter((s) => s.card.title.startsWith('Access review'));
    expect(carolCards.map((s) => s.card.title)).toEqual(['Access review: members of helpdesk (1 of 2)', 'Access review: members of helpdesk (2 of 2)']);
    expect(carolCards[0]!.card.actions.map((a) => a.verb)).toEqual(['review.keep', 'review.remove', 'review.keep', 'review.remove', 'review.keepAll']);

    const mallory = items.find((i) => i.member === 'slack:UMALLORY')!;
    await t.elevate.decideReview(people.carol, items[1]!.id, 'keep');
    const { item: removed, cardKey } = await t.elevate.decideReview(people.dave, mallory.id, 'remove');
    expect(cardKey).toBe(`review:${campaign.id}:${mallory.groupId}:0`);
    expect(removed).toMatchObject({ decision: 'remove', outcome: 'removed' });
    expect((await t.elevate.listGroups()).find((g) => g.name === 'helpdesk')!.members).not.toContain(people.mallory.kind === 'principal' ? people.mallory.principalId : '');
    await expect(t.elevate.decideReview(people.erin, mallory.id, 'keep')).rejects.toThrow('was already reviewed');
    await expect(t.elevate.decideReview(people.ursula, items[2]!.id, 'keep')).rejects.toThrow('only members of approvers review helpdesk');
    const [audit] = await t.store.listAudit({ action: 'group.memberRemoved', limit: 10 });
    expect(audit).toMatchObject({ subject: 'helpdesk', origin: 'cli' });
    await t.deliverAll();
    expect([...t.chat.messages.values()].filter((m) => m.destination === 'slack:UCAROL' && m.card.title === 'Access review: members of helpdesk (1 of 2)')[0]!.card.status!.text).toBe('1 of 3 member(s) to review');

    // Halfway: reminders to the reviewers with items left.
    t.clock.advance(5 * DAY);
    expect((await t.elevate.runDueJobs()).reviews).toBe(1);
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UCAROL').map((s) => s.card.title)).toContain('Reminder: 1 member(s) of helpdesk to review');
    // The deadline: escalated to the admins.
    t.clock.advance(5 * DAY);
    await t.elevate.runDueJobs();
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UALICE').map((s) => s.card.title)).toContain(`Access review ${campaign.id}: 1 member(s) unanswered at the deadline`);
    // Closed: the unanswered member is kept, flagged.
    t.clock.advance(2 * DAY);
    await t.elevate.runDueJobs();
    const [report] = await t.elevate.reviewReport(people.auditor, { campaign: campaign.id });
    expect(report!.campaign.status).toBe('closed');
    expect(report!.items.map((i) => [i.member, i.outcome, i.decidedByName])).toEqual([
      ['slack:UMALLORY', 'removed', 'slack:UDAVE'], ['slack:UURSULA', 'kept', 'slack:UCAROL'], ['slack:UVICTOR', 'kept-unanswered', null],
    ]);
    await expect(t.elevate.decideReview(people.carol, items[2]!.id, 'remove')).rejects.toThrow(`access review ${campaign.id} is closed`);

    // The web console's page shows the same, escaped, for auditors.
    const ctx = {
      url: new URL('http://elevate.test/reviews'), now: t.clock.now(), session: null, actor: people.auditor, devSignIn: false,
      roles: { admin: false, auditor: true, approverOf: 0 } as never, assets: { css: '/c.css', js: '/j.js', chart: '/ch.js' },
    };
    const html = (await reviewsPage(ctx, t.elevate, people.auditor)).text;
    expect(html).toContain(`Campaign ${campaign.id} (closed)`);
    expect(html).toMatch(/<td>slack:UVICTOR<\/td><td>approvers<\/td><td>kept-unanswered<\/td>/);
    await expect(reviewsPage(ctx, t.elevate, people.ursula)).rejects.toThrow('only admins and auditors may read access reviews');
  });

  it('removes unanswered members when the campaign says so, protects admin removals and repeats every period', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    const { campaign, items } = await t.elevate.startReview(t.operator, { scope: 'groups', deadline: '2d', grace: '1d', unanswered: 'remove', every: '90d' });
    const bob = items.find((i) => i.groupName === 'admins' && i.member === 'slack:UBOB')!;
    const { item: outcome } = await t.elevate.decideReview(people.alice, bob.id, 'remove');
    expect(outcome.outcome).toBe('pending-approval');
    expect(outcome.note).toMatch(/^configuration request R-/);
    await t.elevate.keepAllReviewed(people.alice, `${campaign.id}:${items.find((i) => i.groupName === 'approvers')!.groupId}`);
    t.clock.advance(3 * DAY);
    await t.elevate.runDueJobs();
    const [report] = await t.elevate.reviewReport(t.operator, { campaign: campaign.id });
    expect(report!.items.filter((i) => i.groupName === 'auditors').map((i) => i.outcome)).toEqual(['removed-unanswered']);
    expect(report!.items.filter((i) => i.groupName === 'approvers').every((i) => i.outcome === 'kept')).toBe(true);
    // Nobody reviews their own membership: Alice's stayed unanswered, and the campaign removes unanswered members.
    expect(report!.items.find((i) => i.member === 'slack:UALICE')).toMatchObject({ outcome: 'removed-unanswered' });
    t.clock.advance(90 * DAY);
    await t.elevate.runDueJobs();
    const reports = await t.elevate.reviewReport(t.operator);
    expect(reports.map((r) => r.campaign.status)).toEqual(['open', 'closed']);
  });
});
