import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';

let h: SlackHarness;
const DAY = 86400;

/** The buttons of the review cards in a DM: action id, value and label. */
function reviewButtons(channel: string) {
  return h.slack.messagesIn(channel).filter((m) => JSON.stringify(m.blocks).includes('Access review'))
    .flatMap((m) => m.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements as Array<{ action_id: string; value: string; text: { text: string } }>))
    .map((e) => ({ verb: e.action_id, value: e.value, label: e.text.text }));
}

beforeEach(async () => {
  h = await startSlackHarness();
  await seedSlackPolicies(h);
  await h.elevate.createGroup(h.operator, 'helpdesk');
  for (const member of ['slack:UURSULA', 'slack:UMALLORY', 'slack:UERIN']) await h.elevate.addGroupMember(h.operator, 'helpdesk', member);
  await h.elevate.updatePolicy(h.operator, 'Exchange\\Search-Mailbox', { eligibleGroup: 'helpdesk' });
});
afterEach(async () => h.close());

describe('Slack: an access review campaign end to end, on a fake clock', () => {
  it('reviewers keep and remove from their DM cards; reminded, escalated, unanswered kept and reported', async () => {
    const { campaign } = await h.elevate.startReview(h.operator, { scope: 'policies', deadline: '10d', grace: '2d' });
    await h.deliver();
    const buttons = reviewButtons(h.dm('UCAROL'));
    // Slack's serializer keeps one button per verb in an actions block (action_id unique per block): Keep all joins the first member's row.
    expect(buttons.map((b) => b.label)).toEqual([
      'Keep slack:UERIN', 'Remove slack:UERIN', 'Keep all of helpdesk', 'Keep slack:UMALLORY', 'Remove slack:UMALLORY', 'Keep slack:UURSULA', 'Remove slack:UURSULA', 'Keep all of helpdesk',
    ]);
    const ursula = buttons.find((b) => b.verb === 'review.keep' && b.label === 'Keep slack:UURSULA')!;
    const mallory = buttons.find((b) => b.verb === 'review.remove' && b.label === 'Remove slack:UMALLORY')!;

    expect((await h.click('UCAROL', 'review.keep', ursula.value, h.dm('UCAROL'))).status).toBe(200);
    expect((await h.click('UDAVE', 'review.remove', mallory.value, h.dm('UDAVE'))).status).toBe(200);
    // A reviewer outside the approvers is refused, privately.
    await h.click('UMALLORY', 'review.keep', ursula.value, h.dm('UMALLORY'));
    expect(JSON.stringify(h.slack.responses.at(-1))).toContain('Only members of approvers review helpdesk');
    await h.deliver();
    // Every reviewer's copy of the first page was edited: decisions shown, no buttons left on it.
    const texts = h.texts(h.dm('UERIN')).join('\n');
    expect(texts).toContain('kept by Carol (slack:UCAROL)');
    expect(texts).toContain('removed by Dave (slack:UDAVE)');
    // Erin's own membership keeps its buttons for the other reviewers (she may not decide it).
    expect(reviewButtons(h.dm('UERIN')).map((b) => b.label)).toEqual(['Keep slack:UERIN', 'Remove slack:UERIN', 'Keep all of helpdesk', 'Keep all of helpdesk']);
    expect((await h.elevate.listGroups()).find((g) => g.name === 'helpdesk')!.members).toHaveLength(2);

    h.clock.advance(5 * DAY);
    await h.elevate.runDueJobs();
    await h.deliver();
    expect(h.texts(h.dm('UCAROL')).some((t) => t.includes('Reminder: 1 member(s) of helpdesk to review'))).toBe(true);
    h.clock.advance(5 * DAY);
    await h.elevate.runDueJobs();
    await h.deliver();
    expect(h.texts(h.dm('UALICE')).some((t) => t.includes(`Access review ${campaign.id}: 1 member(s) unanswered at the deadline`))).toBe(true);
    h.clock.advance(2 * DAY);
    await h.elevate.runDueJobs();
    const [report] = await h.elevate.reviewReport(h.operator, { campaign: campaign.id });
    expect(report!.items.map((i) => [i.memberName, i.outcome, i.decidedByName, i.decidedOrigin])).toEqual([
      ['slack:UERIN', 'kept-unanswered', null, 'scheduler'],
      ['Mallory (slack:UMALLORY)', 'removed', 'Dave (slack:UDAVE)', 'slack'],
      ['slack:UURSULA', 'kept', 'Carol (slack:UCAROL)', 'slack'],
    ]);
  });
});
