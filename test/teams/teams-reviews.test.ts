import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTeamsHarness, USERS, type TeamsHarness } from '../helpers/teams-harness.js';

let h: TeamsHarness;
const DAY = 86400;
type Json = Record<string, unknown>;

/** Every object inside a JSON value. */
function nodes(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(nodes);
  if (value && typeof value === 'object') return [value as Json, ...Object.values(value).flatMap(nodes)];
  return [];
}

/** Every string in a value, markdown escapes taken out. */
function texts(value: unknown): string {
  return nodes(value).flatMap((n) => Object.values(n).filter((v): v is string => typeof v === 'string')).join('\n').replace(/\\(.)/g, '$1');
}

/** The review cards' buttons in a user's chat with the bot: verb, value, title. */
function reviewButtons(user: { aad: string }) {
  const conversation = h.connector.conversationFor(user.aad)!;
  return nodes(h.connector.activitiesIn(conversation).map((a) => a.activity).filter((a) => texts(a).includes('Access review')))
    .filter((n) => n.type === 'Action.Execute' && String(n.verb).startsWith('review.'))
    .map((n) => ({ verb: String(n.verb), value: String((n.data as Json).value), title: String(n.title) }));
}

beforeEach(async () => {
  h = await startTeamsHarness();
  await h.elevate.createGroup(h.operator, 'approvers');
  for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
  await h.elevate.createGroup(h.operator, 'helpdesk');
  for (const user of [USERS.ursula!, USERS.mallory!, USERS.erin!]) await h.elevate.addGroupMember(h.operator, 'helpdesk', `teams:${user.aad}`);
  await h.elevate.createPolicy(h.operator, {
    target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers', eligibleGroup: 'helpdesk',
  });
});
afterEach(async () => h.close());

describe('Teams: an access review campaign end to end, on a fake clock', () => {
  it('reviewers keep and remove with Action.Execute; the clicked card answers as it stands; unanswered removed at the close', async () => {
    const { campaign } = await h.elevate.startReview(h.operator, { scope: 'policies', deadline: '7d', grace: '1d', unanswered: 'remove' });
    await h.deliver();
    const buttons = reviewButtons(USERS.carol!);
    // Two members a card: Keep and Remove each plus Keep all, Teams' five actions.
    expect(buttons.map((b) => b.title)).toEqual([
      'Keep teams:aad-erin', 'Remove teams:aad-erin', 'Keep teams:aad-mallory', 'Remove teams:aad-mallory', 'Keep all of helpdesk',
      'Keep teams:aad-ursula', 'Remove teams:aad-ursula', 'Keep all of helpdesk',
    ]);
    const value = (title: string) => buttons.find((b) => b.title === title)!.value;

    const kept = await h.invoke(USERS.carol!, 'review.keep', { value: value('Keep teams:aad-ursula') });
    expect(kept.status).toBe(200);
    expect(texts(kept.body)).toContain('kept by Carol');
    const removed = await h.invoke(USERS.dave!, 'review.remove', { value: value('Remove teams:aad-mallory') });
    expect(texts(removed.body)).toContain('removed by Dave');
    const refused = await h.invoke(USERS.ursula!, 'review.keep', { value: value('Keep teams:aad-erin') });
    expect(texts(refused.body)).toMatch(/Only members of approvers review helpdesk/);
    await h.deliver();
    // Dave's copy of the first page was edited through the outbox: only Erin is left to decide on it.
    expect(reviewButtons(USERS.dave!).filter((b) => b.verb !== 'review.keepAll').map((b) => b.title)).toEqual(['Keep teams:aad-erin', 'Remove teams:aad-erin']);

    h.clock.advance(4 * DAY);
    await h.elevate.runDueJobs();
    await h.deliver();
    expect(texts(h.connector.activitiesIn(h.connector.conversationFor(USERS.carol!.aad)!).map((a) => a.activity))).toContain('Reminder: 1 member(s) of helpdesk to review');
    h.clock.advance(3 * DAY);
    await h.elevate.runDueJobs();
    h.clock.advance(1 * DAY);
    await h.elevate.runDueJobs();
    const [report] = await h.elevate.reviewReport(h.operator, { campaign: campaign.id });
    expect(report!.items.map((i) => [i.member, i.outcome, i.decidedOrigin])).toEqual([
      ['teams:aad-erin', 'removed-unanswered', 'scheduler'], ['teams:aad-mallory', 'removed', 'teams'], ['teams:aad-ursula', 'kept', 'teams'],
    ]);
    expect((await h.elevate.listGroups()).find((g) => g.name === 'helpdesk')!.members).toHaveLength(1);
  });
});
