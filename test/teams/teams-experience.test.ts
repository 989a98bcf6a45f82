import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTeamsHarness, TENANT, USERS, type TeamsHarness } from '../helpers/teams-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: TeamsHarness;

async function seed(options: { approval?: 'manual' | 'auto' } = {}) {
  await h.elevate.createGroup(h.operator, 'approvers');
  for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
  await h.elevate.createPolicy(h.operator, {
    target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: options.approval ?? 'manual', approverGroup: 'approvers', maxDurationSeconds: 8 * 3600,
  });
}

/** Every string in a value, card markdown escapes taken out. */
function texts(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\\(.)/g, '$1').replace(/\u00a0/g, ' ').replace(/\u200d/g, '');
  if (Array.isArray(value)) return value.map(texts).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(texts).join('\n');
  return '';
}

const shown = (conversationId: string) => texts(h.connector.activitiesIn(conversationId).map((a) => a.activity));
/** The verbs of the Action.Execute buttons in an invoke answer's card. */
const verbsIn = (body: unknown) => [...JSON.stringify(body).matchAll(/"verb":"([a-zA-Z.]+)"/g)].map((m) => m[1]);

const lastMatch = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].at(-1)![0];

async function requestAndApprove(): Promise<{ requestId: string; grantId: string }> {
  await h.say(USERS.ursula!, `request ${SEARCH} 1h INC-7`);
  await h.deliver();
  const requestId = lastMatch(/R-[0-9A-Z]{8}/g, shown(h.personal(USERS.ursula!)));
  await h.invoke(USERS.carol!, 'request.approve', { value: requestId });
  await h.deliver();
  const grantId = lastMatch(/G-[0-9A-Z]{8}/g, shown(h.personal(USERS.ursula!)));
  return { requestId, grantId };
}

describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startTeamsHarness({ database });
  });
  afterEach(async () => h.close());

  describe('Teams: every Action.Execute answers with the card as it now stands', () => {
    it("I'm done replaces the clicked card with the ended grant's card, no button left", async () => {
      await seed();
      const { requestId, grantId } = await requestAndApprove();
      // The requester's card names the request in its real case.
      expect(shown(h.personal(USERS.ursula!))).toContain(`Your access request ${requestId}`);
      expect(shown(h.personal(USERS.ursula!))).not.toContain(requestId.toLowerCase());

      const done = await h.invoke(USERS.ursula!, 'grant.relinquish', { value: grantId });
      expect(done.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
      expect(texts(done.body)).toContain(`Your access request ${requestId}`);
      expect(texts(done.body)).toContain('Access given up by its holder');
      expect(texts(done.body)).not.toContain('Active until');
      expect(verbsIn(done.body)).toEqual([]);

      // A second click on a stale copy: the same card, saying why nothing happened.
      const again = await h.invoke(USERS.ursula!, 'grant.relinquish', { value: grantId });
      expect(again.body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
      expect(texts(again.body)).toContain('Access given up by its holder');
      expect(texts(again.body)).toMatch(/relinquished|not active|ended/);
    });

    it('cancel answers with the cancelled card; extend with the extension request card', async () => {
      await seed();
      await h.say(USERS.ursula!, `request ${SEARCH} 1h INC-8`);
      await h.deliver();
      const pendingId = /R-[0-9A-Z]{8}/.exec(shown(h.personal(USERS.ursula!)))![0];
      const cancelled = await h.invoke(USERS.ursula!, 'request.cancel', { value: pendingId });
      expect(texts(cancelled.body)).toContain(`Your access request ${pendingId}`);
      expect(texts(cancelled.body)).toContain('Cancelled by Ursula');
      expect(verbsIn(cancelled.body)).toEqual([]);

      const { grantId } = await requestAndApprove();
      const extended = await h.invoke(USERS.ursula!, 'grant.extend', { value: grantId, form: 'a0', 'a0.duration': '2h', 'a0.reason': 'INC-8 takes longer' });
      expect(extended.body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
      const card = texts(extended.body);
      expect(card).toMatch(/Your extension request R-[0-9A-Z]{8}/);
      // What it asks, in words: the grant, its current end, by how much and the end it would bring.
      expect(card).toMatch(new RegExp(`extend ${grantId} \\(until \\{\\{DATE\\(.*\\)\\}\\} .*\\) by 2h → until \\{\\{DATE`));
      expect(card).toContain('Waiting for approval');
      expect(verbsIn(extended.body)).toEqual(['request.cancel']);
    });

    it('approve and deny answer with the decided card; a refused click by an outsider shows no card', async () => {
      await seed();
      await h.say(USERS.ursula!, `request ${SEARCH} 1h INC-9`);
      await h.deliver();
      const id = /R-[0-9A-Z]{8}/.exec(shown(h.personal(USERS.ursula!)))![0];
      const outsider = await h.invoke(USERS.mallory!, 'request.approve', { value: id });
      expect(outsider.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
      const denied = await h.invoke(USERS.dave!, 'request.deny', { value: id, form: 'a2', 'a2.comment': 'not now' });
      expect(texts(denied.body)).toContain('Denied by Dave');
      expect(verbsIn(denied.body)).toEqual([]);
      // A late click by an outsider on a decided request still reveals nothing.
      const late = await h.invoke(USERS.mallory!, 'request.approve', { value: id });
      expect(late.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
    });
  });

  describe('Teams: times in the reader’s own time zone', () => {
    it('cards carry DATE()/TIME() functions with strict RFC 3339 instants, never raw ISO with fractions', async () => {
      await seed();
      const { grantId } = await requestAndApprove();
      const cards = h.connector.activitiesIn(h.personal(USERS.ursula!)).map((a) => JSON.stringify(a.activity));
      const all = cards.join('\n');
      expect(all).toMatch(/\{\{DATE\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z, SHORT\)\}\} \{\{TIME\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\)\}\}/);
      expect(all).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}Z/);
      // eslint-disable-next-line no-control-regex -- no time mark may reach Teams undrawn
      expect(all).not.toMatch(/[\u0001\u0002]/);
      // The notification preview (summary) is plain text: UTC written out.
      const granted = h.connector.activitiesIn(h.personal(USERS.ursula!)).map((a) => a.activity).find((a) => texts(a).includes('granted'))!;
      expect(String(granted.summary ?? granted.attachments[0].content.fallbackText)).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      // Replies to commands too.
      await h.say(USERS.ursula!, 'status');
      const listing = JSON.stringify(h.connector.activitiesIn(h.personal(USERS.ursula!)).at(-1)!.activity);
      expect(listing).toContain(grantId);
      expect(listing).toContain('{{TIME(');
    });
  });

  describe('Teams: reminders with the card, then the escalation group', () => {
    it('reminders repeat with the buttons; after ELEVATE_ESCALATE_AFTER the managers get read-only copies; a decision updates them all', async () => {
      await h.close();
      h = await startTeamsHarness({ database, env: { ELEVATE_ESCALATE_AFTER: '1' } });
      await seed();
      await h.elevate.createGroup(h.operator, 'managers');
      await h.elevate.addGroupMember(h.operator, 'managers', `teams:${USERS.erin!.aad}`);
      await h.elevate.updatePolicy(h.operator, SEARCH, { escalationGroup: 'managers' });
      await h.say(USERS.ursula!, `request ${SEARCH} 1h INC-10`);
      await h.deliver();
      const id = lastMatch(/R-[0-9A-Z]{8}/g, shown(h.personal(USERS.ursula!)));
      for (let n = 0; n < 2; n += 1) {
        h.clock.advance(3600);
        await h.elevate.runDueJobs();
        await h.deliver();
      }
      const carol = h.connector.conversationFor(USERS.carol!.aad)!;
      const reminders = h.connector.activitiesIn(carol).filter((a) => texts(a.activity).includes('Reminder: Access request'));
      expect(reminders).toHaveLength(2);
      expect(verbsIn(reminders[1]!.activity)).toEqual(expect.arrayContaining(['request.approve', 'request.deny']));
      expect(texts(reminders[1]!.activity)).toMatch(/Waiting for approval for 2 h\. It expires undecided at \{\{DATE\(/);
      const erin = h.connector.conversationFor(USERS.erin!.aad)!;
      const escalations = h.connector.activitiesIn(erin);
      expect(escalations).toHaveLength(1);
      expect(texts(escalations[0]!.activity)).toContain(`Escalation: Access request ${id} is still undecided`);
      expect(verbsIn(escalations[0]!.activity)).toEqual([]);

      const approved = await h.invoke(USERS.carol!, 'request.approve', { value: id });
      expect(texts(approved.body)).toContain('Approved by Carol');
      await h.deliver();
      for (const copy of [...h.connector.activitiesIn(carol), ...h.connector.activitiesIn(erin)]) {
        if (!texts(copy.activity).includes(id)) continue;
        expect(texts(copy.activity)).toContain('Approved by Carol');
        expect(verbsIn(copy.activity)).toEqual([]);
      }
    });
  });

  describe('Teams: the form lists only what you may request', () => {
    it('members of the eligible group see the target; others are told who to ask', async () => {
      await seed();
      await h.elevate.createPolicy(h.operator, { target: { type: 'role', scope: 'Exchange', name: 'Exchange\\Audit Logs' }, approval: 'manual', approverGroup: 'approvers' });
      await h.elevate.createGroup(h.operator, 'sre');
      await h.elevate.addGroupMember(h.operator, 'sre', `teams:${USERS.ursula!.aad}`);
      await h.elevate.updatePolicy(h.operator, SEARCH, { eligibleGroup: 'sre' });
      await h.say(USERS.ursula!, 'request');
      const ursulaForm = JSON.stringify(h.connector.activitiesIn(h.personal(USERS.ursula!)).at(-1)!.activity);
      expect(ursulaForm).toContain('Search-Mailbox');
      expect(ursulaForm).toContain('Audit Logs');
      await h.say(USERS.mallory!, 'request');
      const malloryForm = JSON.stringify(h.connector.activitiesIn(h.personal(USERS.mallory!)).at(-1)!.activity);
      expect(malloryForm).not.toContain('Search-Mailbox');
      expect(malloryForm).toContain('Audit Logs');

      await h.elevate.updatePolicy(h.operator, 'Exchange\\Audit Logs', { eligibleGroup: 'sre' });
      await h.say(USERS.mallory!, 'request');
      const none = texts(h.connector.activitiesIn(h.personal(USERS.mallory!)).at(-1)!.activity);
      expect(none).toContain('You are not eligible to request any target yet');
      expect(none).not.toContain('form.request');
    });
  });

  describe('Teams: a home in the personal chat', () => {
    it('"home" answers the home card (refreshed with Action.Execute for this person) and the items with their buttons; installing welcomes with it', async () => {
      await seed();
      await h.say(USERS.ursula!, `request ${SEARCH} 1h INC-13`);
      await h.deliver();
      const id = lastMatch(/R-[0-9A-Z]{8}/g, shown(h.personal(USERS.ursula!)));

      await h.say(USERS.carol!, 'home');
      const answer = h.connector.activitiesIn(h.personal(USERS.carol!)).at(-1)!.activity;
      const [, homeCard, ...items] = answer.attachments.map((a: { content: Record<string, unknown> }) => a.content);
      expect(homeCard.refresh).toEqual({ action: { type: 'Action.Execute', verb: 'home.refresh', data: { value: 'home' } }, userIds: [USERS.carol!.mri] });
      expect(texts(homeCard)).toContain('Waiting for your decision (1)');
      expect(texts(homeCard)).toContain(id);
      expect(verbsIn(items)).toEqual(expect.arrayContaining(['request.approve', 'request.deny']));

      // Decided elsewhere: the next time Carol's client refreshes the card, it shows the new state.
      await h.invoke(USERS.dave!, 'request.approve', { value: id });
      const refreshed = await h.invoke(USERS.carol!, 'home.refresh', { value: 'home' });
      expect(refreshed.body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
      expect(texts(refreshed.body)).toContain('Waiting for your decision (0)');
      const ursulaHome = await h.invoke(USERS.ursula!, 'home.refresh', { value: 'home' });
      expect(texts(ursulaHome.body)).toContain('Your active access (1)');

      h.connector.addConversation({ id: 'a:erin-installed', type: 'personal', members: [USERS.erin!.mri] });
      await h.post({
        type: 'installationUpdate', action: 'add', id: 'install-2', serviceUrl: h.connector.url, channelId: 'msteams',
        from: { id: USERS.erin!.mri, aadObjectId: USERS.erin!.aad, name: 'Erin' }, recipient: { id: '28:bot' },
        conversation: { id: 'a:erin-installed', conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
      });
      const welcome = texts(h.connector.activitiesIn('a:erin-installed').map((a) => a.activity));
      expect(welcome).toContain('Welcome to Elevate');
      expect(welcome).toContain('Elevate: your access');
    });
  });
});

