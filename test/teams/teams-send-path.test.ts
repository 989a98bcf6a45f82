import { afterEach, describe, expect, it } from 'vitest';
import { FakeBotConnector } from '../fakes/fake-bot-connector.js';
import { databases } from '../helpers/databases.js';
import { startTeamsHarness, TENANT, USERS, type TeamsHarness } from '../helpers/teams-harness.js';

/** Every string in a value, card markdown escapes (\x) taken out, one per line. */
function texts(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\\(.)/g, '$1');
  if (Array.isArray(value)) return value.map(texts).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(texts).join('\n');
  return '';
}

const SEARCH = 'Exchange\\Search-Mailbox';

// The send path over real HTTP against the fake Bot Connector, on each database.
describe.each(await databases())('Teams send path (%s)', (database) => {
  let h: TeamsHarness;
  let regional: FakeBotConnector | undefined;
  afterEach(async () => {
    await h?.close();
    await regional?.close();
    regional = undefined;
  });

  describe('direct answers under throttling', () => {
    it('a throttled answer is sent again after its Retry-After while the deadline allows: it arrives, no error instead', async () => {
      h = await startTeamsHarness({ database });
      const chat = h.personal(USERS.ursula!);
      h.connector.failNext({ method: 'POST', pathIncludes: chat }, { status: 429, retryAfter: 1 });
      expect((await h.say(USERS.ursula!, 'help')).status).toBe(200);
      expect(h.connector.callsTo({ method: 'POST', pathIncludes: chat }).map((c) => c.status)).toEqual([429, 201]);
      const shown = h.connector.activitiesIn(chat).map((a) => texts(a.activity));
      expect(shown).toHaveLength(1);
      expect(shown[0]).toContain('request');
      expect(shown.join('\n')).not.toContain('Something went wrong');
    });

    it('throttled past the deadline, the answer goes through the outbox after Teams\' Retry-After, in the person\'s chat', async () => {
      h = await startTeamsHarness({ database });
      const chat = h.personal(USERS.ursula!);
      await h.say(USERS.ursula!, 'help');
      const direct = texts(h.connector.activitiesIn(chat)[0]!.activity).split('\n').find((line) => line.trim().length > 0)!;
      h.connector.failNext({ method: 'POST', pathIncludes: chat }, { status: 429, retryAfter: 30 });
      expect((await h.say(USERS.ursula!, 'help')).status).toBe(200);
      expect(h.connector.activitiesIn(chat)).toHaveLength(1); // not yet
      await h.deliver();
      expect(h.connector.activitiesIn(chat)).toHaveLength(1); // Teams said to wait 30 s
      h.clock.advance(30);
      await h.deliver();
      const shown = h.connector.activitiesIn(chat).map((a) => texts(a.activity));
      expect(shown).toHaveLength(2);
      expect(shown[1]).toContain(direct.trim());
      expect(shown.join('\n')).not.toContain('Something went wrong');
      expect(h.connector.callsTo({ method: 'POST', pathIncludes: chat }).map((c) => c.status)).toEqual([201, 429, 201]);
    });

    it('a refused answer (403) is not retried nor queued', async () => {
      h = await startTeamsHarness({ database });
      const chat = h.personal(USERS.ursula!);
      h.connector.failNext({ method: 'POST', pathIncludes: chat }, { status: 403 }, 2);
      await h.say(USERS.ursula!, 'help');
      await h.deliver();
      h.clock.advance(3600);
      await h.deliver();
      // The answer and the error notice were each tried once.
      expect(h.connector.callsTo({ method: 'POST', pathIncludes: chat }).map((c) => c.status)).toEqual([403, 403]);
      expect((await h.server.engine.store.outboxStats(h.clock.now())).pending).toBe(0);
    });
  });

  describe('each person through the serviceUrl their activities came with', () => {
    it('cards to someone who wrote to the bot go to their serviceUrl (allow-listed), not TEAMS_SERVICE_URL; someone never seen is reached through TEAMS_SERVICE_URL', async () => {
      h = await startTeamsHarness({ database, env: { TEAMS_SERVICE_URL_ALLOW: 'http://127.0.0.1:' } });
      regional = await FakeBotConnector.start({ tenantId: TENANT, sameCloudAs: h.connector });
      for (const user of [USERS.carol!, USERS.ursula!]) regional.addUser({ id: user.mri, aadObjectId: user.aad, name: user.name, email: `${user.name.toLowerCase()}@example.com` });
      regional.addConversation({ id: 'a:regional-carol', type: 'personal', members: [USERS.carol!.mri] });
      regional.addConversation({ id: 'a:regional-ursula', type: 'personal', members: [USERS.ursula!.mri] });
      await h.elevate.createGroup(h.operator, 'approvers');
      for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
      await h.elevate.createPolicy(h.operator, { target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers' });
      const fromRegion = (user: typeof USERS.carol, text: string) => h.post({
        type: 'message', id: `r-${user!.aad}-${text}`, timestamp: new Date().toISOString(), serviceUrl: regional!.url, channelId: 'msteams', text,
        from: { id: user!.mri, aadObjectId: user!.aad, name: user!.name }, recipient: { id: '28:bot', name: 'Elevate' },
        conversation: { id: `a:regional-${user!.name.toLowerCase()}`, conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
      });
      expect((await fromRegion(USERS.carol, 'help')).status).toBe(200);
      expect((await fromRegion(USERS.ursula, `request ${SEARCH} 1h INC-1`)).status).toBe(200);
      await h.deliver();
      // Carol's and Ursula's cards went to their region's connector, in the chats they wrote from.
      expect(texts(regional.activitiesIn('a:regional-carol').map((a) => a.activity))).toContain('INC-1');
      expect(texts(regional.activitiesIn('a:regional-ursula').map((a) => a.activity))).toContain('INC-1');
      // Dave never wrote: his 1:1 chat was created through TEAMS_SERVICE_URL.
      expect(h.connector.createdConversations().map((c) => c.members)).toEqual([[USERS.dave!.mri]]);
      expect(texts(h.connector.activitiesIn(h.connector.conversationFor(USERS.dave!.mri)!).map((a) => a.activity))).toContain('INC-1');
      expect(h.connector.callsTo({ pathIncludes: 'regional' })).toEqual([]);

      // Approving edits Carol's card where it is: through her region's connector.
      const id = /R-[0-9A-Z]{8}/.exec(texts(regional.activitiesIn('a:regional-ursula').map((a) => a.activity)))![0];
      await h.elevate.approve(await h.elevate.identify({ identity: `teams:${USERS.dave!.aad}`, origin: { platform: 'teams', tenantIds: [TENANT] }, profile: { displayName: 'Dave', verifiedEmail: null, standing: 'active' } }).then((r) => r.actor), { requestId: id });
      await h.deliver();
      expect(regional.callsTo({ method: 'PUT', pathIncludes: 'a:regional-carol' }).map((c) => c.status)).toContain(200);
    });

    it('a stored serviceUrl that is no longer allowed is not used: TEAMS_SERVICE_URL instead', async () => {
      h = await startTeamsHarness({ database });
      const { ConversationRefs } = await import('../../src/store/conversation-refs.js');
      const refs = new ConversationRefs(h.server.engine.store.db, () => h.clock.now());
      const chat = h.personal(USERS.carol!);
      await refs.save({ key: `user:teams:${USERS.carol!.aad}`, platform: 'teams', conversationId: chat, serviceUrl: 'https://attacker.example/', tenantId: TENANT, platformUserId: USERS.carol!.mri });
      await refs.save({ key: `conversation:teams:${chat}`, platform: 'teams', conversationId: chat, serviceUrl: 'https://attacker.example/', tenantId: TENANT, platformUserId: null });
      await h.elevate.createGroup(h.operator, 'approvers');
      await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${USERS.carol!.aad}`);
      await h.elevate.createPolicy(h.operator, { target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers' });
      await h.say(USERS.ursula!, `request ${SEARCH} 1h INC-2`);
      await h.deliver();
      expect(texts(h.connector.activitiesIn(chat).map((a) => a.activity))).toContain('INC-2');
    });
  });
});
