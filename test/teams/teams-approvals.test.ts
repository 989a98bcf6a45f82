import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreDialect } from '../../src/store/kysely-store.js';
import { databases } from '../helpers/databases.js';
import { startTeamsHarness, TENANT, USERS, type TeamsHarness } from '../helpers/teams-harness.js';
import { settledAudit } from '../helpers/audit.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let current: StoreDialect = 'sqlite';
let h: TeamsHarness;

async function seed(approvalsRequired = 1) {
  await h.elevate.createGroup(h.operator, 'approvers');
  for (const user of [USERS.carol!, USERS.dave!, { aad: 'aad-erin' }]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
  await h.elevate.createPolicy(h.operator, {
    target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', approvalsRequired, maxDurationSeconds: 8 * 3600,
  });
}

/** Every string in a value, with the card markdown escapes (\\x) taken out, one per line. */
function texts(value: unknown): string {
  // Monospace text keeps its spacing with no-break spaces; URLs are broken with a zero-width joiner.
  if (typeof value === 'string') return value.replace(/\\(.)/g, '$1').replace(/\u00a0/g, ' ').replace(/\u200d/g, '');
  if (Array.isArray(value)) return value.map(texts).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(texts).join('\n');
  return '';
}

/** Everything the connector shows in a conversation (latest versions) as plain text. */
function shown(conversationId: string): string {
  return texts(h.connector.activitiesIn(conversationId).map((a) => a.activity));
}

type Json = Record<string, unknown>;

/** Every object inside a JSON value. */
function nodes(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(nodes);
  if (value && typeof value === 'object') return [value as Json, ...Object.values(value).flatMap(nodes)];
  return [];
}

/** What Teams sends when someone types into the in-card panel of `verb` and presses its button. */
function submitFromCard(card: Json, verb: string, typed: Record<string, string>): Json {
  const panel = nodes(card).find((n) => n.type === 'Action.ShowCard' && nodes(n).some((m) => m.verb === verb))!;
  const execute = nodes(panel).find((n) => n.type === 'Action.Execute' && n.verb === verb)!;
  const data: Json = { ...(execute.data as Json) };
  for (const input of nodes(panel).filter((n) => n.type === 'Input.Text')) {
    const field = String(input.id).split('.').pop()!;
    if (typed[field] !== undefined) data[String(input.id)] = typed[field];
  }
  return data;
}

function approverConversation(user: { aad: string }): string {
  return h.connector.conversationFor(user.aad)!;
}

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    current = database;
    h = await startTeamsHarness({ database });
  });
  afterEach(async () => h.close());

  describe('Teams: request by form, approve with one click, every card updated', () => {
    it('form request → approvers notified → approve → cards updated everywhere, requester told', async () => {
      await seed();
      expect((await h.say(USERS.ursula!, 'request')).status).toBe(200);
      const form = h.connector.activitiesIn(h.personal(USERS.ursula!)).at(-1)!.activity;
      // Choice titles are plain text (not markdown), so they carry the name as it is.
      expect(JSON.stringify(form.attachments[0].content)).toContain(JSON.stringify(SEARCH).slice(1, -1));
      const policyId = (await h.elevate.listPolicies())[0]!.id;

      const refused = await h.invoke(USERS.ursula!, 'form.request', { target: policyId, duration: '9h', reason: 'INC-1' });
      expect(texts(refused.body)).toContain('9h is longer than the 8h allowed');
      const accepted = await h.invoke(USERS.ursula!, 'form.request', { target: policyId, duration: '2h', reason: 'INC-1 search' });
      expect(accepted.status).toBe(200);
      expect(texts(accepted.body)).toMatch(/Request R-\w{8} for Exchange\\Search-Mailbox was sent to its approvers/);
      const id = /R-[0-9A-Z]{8}/.exec(texts(accepted.body))![0];
      await h.deliver();

      // Approvers who never talked to the bot get a 1:1 chat created for them, with the card.
      for (const approver of [USERS.carol!, USERS.dave!]) {
        const card = shown(approverConversation(approver));
        expect(card).toContain(id);
        expect(card).toContain('request.approve');
        expect(card).toContain('0 of 1');
      }
      const click = await h.invoke(USERS.carol!, 'request.approve', { value: id });
      expect(texts(click.body)).toContain('Approved by Carol');
      await h.deliver();
      const daveCopy = h.connector.activitiesIn(approverConversation(USERS.dave!))[0]!;
      expect(daveCopy.updates).toBeGreaterThan(0);
      expect(texts(daveCopy.activity)).toContain('Approved by Carol');
      expect(texts(daveCopy.activity)).not.toContain('request.approve');
      expect(shown(h.personal(USERS.ursula!))).toContain(`Access to ${SEARCH} granted`);
      expect(h.elevate.checkAuthorization(`teams:${USERS.ursula!.aad}`, SEARCH).allowed).toBe(true);
    });

    it('deny with a comment, the quorum counter, double clicks and non-approvers', async () => {
      await seed(2);
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-2');
      await h.deliver();
      const id = /R-[0-9A-Z]{8}/.exec(shown(h.personal(USERS.ursula!)))![0];
      const outsider = await h.invoke(USERS.mallory!, 'request.approve', { value: id });
      expect(outsider.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message', value: `Only members of approvers may decide request ${id}` });
      await h.invoke(USERS.carol!, 'request.approve', { value: id });
      await h.deliver();
      expect(shown(approverConversation(USERS.dave!))).toContain('1 of 2 (Carol) — waiting for 1 more from approvers');
      // A click that changes nothing still answers with the card as it stands, saying why.
      const twice = await h.invoke(USERS.carol!, 'request.approve', { value: id });
      expect(twice.body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
      expect(texts(twice.body)).toContain('You already approved request');
      expect(texts(twice.body)).toContain('1 of 2 (Carol)');
      const daveCard = h.connector.activitiesIn(approverConversation(USERS.dave!))[0]!.activity.attachments[0].content;
      const denied = await h.invoke(USERS.dave!, 'request.deny', submitFromCard(daveCard, 'request.deny', { comment: 'not this week' }));
      expect(texts(denied.body)).toContain('Denied by Dave');
      await h.deliver();
      expect(shown(h.personal(USERS.ursula!))).toContain('not this week');
      const late = await h.invoke(USERS.carol!, 'request.approve', { value: id });
      expect(late.body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
      expect(texts(late.body)).toMatch(new RegExp(`Request ${id} is already denied by Dave at`));
      expect(texts(late.body)).toContain('Denied by Dave');
      expect(texts(late.body)).not.toContain('request.approve');
    });

    it("expiry under the fake clock, and expiring soon with I'm done", async () => {
      await seed();
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-3');
      await h.deliver();
      const id = /R-[0-9A-Z]{8}/.exec(shown(h.personal(USERS.ursula!)))![0];
      await h.invoke(USERS.carol!, 'request.approve', { value: id });
      h.clock.advance(46 * 60);
      await h.elevate.runDueJobs();
      await h.deliver();
      const warning = h.connector.activitiesIn(h.personal(USERS.ursula!)).map((a) => texts(a.activity)).find((a) => a.includes('ends in about'))!;
      expect(warning).toContain('grant.relinquish');
      const grantId = /G-[0-9A-Z]{8}/.exec(warning)![0];
      await h.invoke(USERS.ursula!, 'grant.relinquish', { value: grantId });
      expect(h.elevate.checkAuthorization(`teams:${USERS.ursula!.aad}`, SEARCH).allowed).toBe(false);

      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-4');
      await h.deliver();
      h.clock.advance(24 * 3600);
      await h.elevate.runDueJobs();
      await h.deliver();
      expect(shown(approverConversation(USERS.dave!))).toContain('Expired undecided');
    });

    it('a throttled connector (429, 502) is recovered with nothing lost', async () => {
      await seed();
      h.connector.failNext({ method: 'POST', pathIncludes: '/activities' }, { status: 429, retryAfter: 5 });
      h.connector.failNext({ method: 'POST', pathIncludes: '/activities' }, { status: 502 });
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-5');
      for (let i = 0; i < 6; i++) {
        await h.deliver();
        h.clock.advance(60);
      }
      expect((await h.server.engine.store.outboxStats(h.clock.now())).pending).toBe(0);
      for (const approver of [USERS.carol!, USERS.dave!]) expect(h.connector.activitiesIn(approverConversation(approver))).toHaveLength(1);
    });

    it('in an approvers channel, only approvers see the buttons (user-specific views)', async () => {
      await seed();
      h.connector.addConversation({ id: '19:approvers@thread.tacv2', type: 'channel', members: [USERS.carol!.mri, USERS.dave!.mri, USERS.mallory!.mri] });
      await h.say(USERS.carol!, 'status'); // Carol has talked to the bot: Elevate knows her Teams user id
      await h.elevate.updatePolicy(h.operator, SEARCH, { approversChannel: 'teams:19:approvers@thread.tacv2' });
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-7');
      await h.deliver();
      const [posted] = h.connector.activitiesIn('19:approvers@thread.tacv2');
      const content = posted!.activity.attachments[0].content;
      expect(JSON.stringify(content.actions ?? [])).not.toContain('request.approve');
      expect(content.refresh).toMatchObject({ action: { type: 'Action.Execute', verb: 'card.refresh' }, userIds: [USERS.carol!.mri] });
      const forCarol = await h.invoke(USERS.carol!, 'card.refresh', content.refresh.action.data);
      expect(JSON.stringify(forCarol.body)).toContain('request.approve');
      const forMallory = await h.invoke(USERS.mallory!, 'card.refresh', content.refresh.action.data);
      expect(JSON.stringify(forMallory.body)).not.toContain('request.approve');
      expect(JSON.stringify(forMallory.body)).not.toContain('INC-7'); // not hers to see at all
    });

    it('an installation is remembered, so Elevate can reach that person later', async () => {
      await seed();
      h.connector.addConversation({ id: 'a:dave-installed', type: 'personal', members: [USERS.dave!.mri] });
      await h.post({
        type: 'installationUpdate', action: 'add', id: 'install-1', serviceUrl: h.connector.url, channelId: 'msteams',
        from: { id: USERS.dave!.mri, aadObjectId: USERS.dave!.aad, name: 'Dave' }, recipient: { id: '28:bot' },
        conversation: { id: 'a:dave-installed', conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
      });
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-8');
      await h.deliver();
      expect(shown('a:dave-installed')).toContain('Access request R-');
      expect(h.connector.createdConversations().filter((c) => c.members.includes(USERS.dave!.mri))).toEqual([]);
    });

    it('an Entra group can be the approver group (members from Microsoft Graph, paged, disabled accounts left out)', async () => {
      await seed();
      h.graph.groups.set('grp-sec', [{ id: USERS.dave!.aad, accountEnabled: true }, { id: 'aad-gone', accountEnabled: false }, { id: 'aad-erin', accountEnabled: true }]);
      await h.elevate.createGroup(h.operator, 'sec-approvers', { directoryRef: 'teams:grp-sec' });
      await h.elevate.updatePolicy(h.operator, SEARCH, { approverGroup: 'sec-approvers' });
      expect(h.graph.calls.some((c) => c.includes('$skiptoken=2'))).toBe(true);
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-9');
      await h.deliver();
      const id = /R-[0-9A-Z]{8}/.exec(shown(h.personal(USERS.ursula!)))![0];
      expect(h.connector.conversationFor('aad-gone')).toBeUndefined();
      expect(shown(approverConversation(USERS.dave!))).toContain(id);
      const carol = await h.invoke(USERS.carol!, 'request.approve', { value: id });
      expect(carol.body).toMatchObject({ value: `Only members of sec-approvers may decide request ${id}` });
      await h.invoke(USERS.dave!, 'request.approve', { value: id });
      expect((await h.elevate.getRequest(h.operator, id)).request.status).toBe('approved');
      await expect(h.elevate.createPolicy(h.operator, {
        target: { type: 'role', scope: 'Exchange', name: 'Exchange\\Other' }, approval: 'manual', approverGroup: 'ghost',
      })).rejects.toThrow(/group "ghost" does not exist/);
    });

    it('help and unknown targets answer in the chat', async () => {
      await seed();
      await h.say(USERS.ursula!, 'help');
      expect(shown(h.personal(USERS.ursula!))).toContain('request <target> [duration] [reason…]');
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbx 1h x');
      expect(shown(h.personal(USERS.ursula!))).toContain('closest targets: Exchange\\Search-Mailbox');
    });
  });

  describe('across platforms', () => {
    it('one person on Slack and Teams is one principal, linked by a verified address of the organisation', async () => {
      await h.close();
      h = await startTeamsHarness({ withSlack: true, database: current, env: { ELEVATE_LINK_EMAIL_DOMAINS: 'example.com' } });
      h.slack!.addUser({ id: 'UURSULA', realName: 'Ursula', email: 'ursula@example.com' });
      expect((await h.slackCommand('UURSULA', 'status')).status).toBe(200);
      await h.say(USERS.ursula!, 'status');
      expect((await h.elevate.principalFor(`teams:${USERS.ursula!.aad}`)).id).toBe((await h.elevate.principalFor('slack:UURSULA')).id);
    });

    it('an admin on Teams links their Slack account with a one-time code; the address alone does not', async () => {
      await h.close();
      h = await startTeamsHarness({ withSlack: true, database: current, env: { ELEVATE_LINK_EMAIL_DOMAINS: 'example.com' } });
      h.slack!.addUser({ id: 'UCAROL', realName: 'Carol', email: 'carol@example.com' });
      await h.say(USERS.carol!, 'status');
      const carol = await h.elevate.principalFor(`teams:${USERS.carol!.aad}`);
      expect((await h.slackCommand('UCAROL', 'policy new task Exchange\\X --approval auto')).body!.text).toBe('Only Elevate admins may change policies, groups or PAM settings');
      expect((await h.elevate.principalFor('slack:UCAROL')).id).not.toBe(carol.id);
      await h.say(USERS.carol!, 'link');
      const code = /link ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec(shown(h.personal(USERS.carol!)))![1]!;
      expect((await h.slackCommand('UCAROL', `link ${code}`)).body!.text).toMatch(/^Linked: teams:aad-carol, slack:UCAROL are now one person/);
      expect((await h.elevate.principalFor('slack:UCAROL')).id).toBe(carol.id);
      expect((await h.slackCommand('UCAROL', 'policy new task Exchange\\X --approval auto')).body!.text).toMatch(/^Done: create task policy/);
      expect((await h.slackCommand('UCAROL', `link ${code}`)).body!.text).toBe('That link code was already used: ask for a new one');
    });

    it('link codes are never shown in a channel', async () => {
      await seed();
      h.connector.addConversation({ id: '19:general@thread.tacv2', type: 'channel', members: [USERS.carol!.mri] });
      const reply = await h.post({
        type: 'message', id: 'ch-link', timestamp: new Date().toISOString(), serviceUrl: h.connector.url, channelId: 'msteams', text: '<at>Elevate</at> link',
        from: { id: USERS.carol!.mri, aadObjectId: USERS.carol!.aad, name: 'Carol' }, recipient: { id: '28:bot' },
        conversation: { id: '19:general@thread.tacv2', conversationType: 'channel', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
      });
      expect(reply.status).toBe(200);
      expect(JSON.stringify(h.connector.activitiesIn('19:general@thread.tacv2'))).toContain('Link codes are private');
      expect(await settledAudit(h.server.engine, { action: 'link.codeIssued', limit: 5 })).toEqual([]);
    });

    it('a Teams request reaches Slack approvers, a Slack decision updates the Teams cards', async () => {
      await h.close();
      h = await startTeamsHarness({ withSlack: true, database: current });
      h.slack!.addUser({ id: 'UERIN', name: 'Erin', realName: 'Erin', email: 'erin@example.com' });
      await h.elevate.createGroup(h.operator, 'approvers');
      await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${USERS.carol!.aad}`);
      await h.elevate.addGroupMember(h.operator, 'approvers', 'slack:UERIN');
      await h.elevate.createPolicy(h.operator, { target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers' });
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-6');
      await h.deliver();
      const id = /R-[0-9A-Z]{8}/.exec(shown(h.personal(USERS.ursula!)))![0];
      expect(JSON.stringify(h.slack!.messagesIn('DUERIN'))).toContain(id);
      expect((await h.slackCommand('UERIN', `approve ${id}`)).body!.text).toMatch(new RegExp(`^You approved ${id}`));
      await h.deliver();
      expect(shown(approverConversation(USERS.carol!))).toContain('Approved by Erin');
      expect(JSON.stringify(h.slack!.messagesIn('DUERIN')[0]!.blocks)).toContain('Approved by Erin');
    });
  });

  describe('the Teams audit feed', () => {
    it('audit-here is an audited admin change; the feed then gets one root per request with its events threaded', async () => {
      await seed();
      h.connector.addConversation({ id: '19:audit@thread.tacv2', type: 'channel', members: [USERS.carol!.mri, USERS.mallory!.mri] });
      const channel = { ...USERS.carol!, name: 'Carol' };
      const inChannel = (user: typeof channel, text: string) => h.post({
        type: 'message', id: `ch-${text}`, timestamp: new Date().toISOString(), serviceUrl: h.connector.url, channelId: 'msteams', text: `<at>Elevate</at> ${text}`,
        from: { id: user.mri, aadObjectId: user.aad, name: user.name }, recipient: { id: '28:bot' },
        conversation: { id: '19:audit@thread.tacv2', conversationType: 'channel', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
      });
      await inChannel({ ...USERS.mallory!, name: 'Mallory' }, 'audit-here');
      expect(await h.elevate.feedConversation('teams')).toBeUndefined();
      await inChannel(channel, 'audit-here');
      expect(await h.elevate.feedConversation('teams')).toBe('19:audit@thread.tacv2');
      expect((await settledAudit(h.server.engine, { action: 'feed.set', limit: 5 })).map((r) => r.actorIdentity)).toEqual([`teams:${USERS.carol!.aad}@${TENANT}`]);
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-10');
      await h.deliver();
      const id = /R-[0-9A-Z]{8}/.exec(shown(h.personal(USERS.ursula!)))![0];
      await h.invoke(USERS.carol!, 'request.approve', { value: id });
      await h.deliver();
      // As Teams shows the channel: one top-level post for the request, every event in its thread.
      const feed = '19:audit@thread.tacv2';
      const posts = h.connector.topLevelIn(feed).filter((a) => texts(a.activity).includes(id));
      expect(posts).toHaveLength(1);
      const root = posts[0]!;
      expect(texts(root.activity)).toContain('INC-10');
      expect(texts(root.activity)).toContain('Approved by Carol');
      const thread = h.connector.threadOf(feed, root.id).map((a) => String(a.activity.summary));
      expect(thread).toHaveLength(2);
      expect(thread.every((summary) => summary.startsWith(`${id}: `))).toBe(true);
    });
  });
});
