import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor, DeliveryRecord } from '../../src/core/ports.js';
import type { RunningServer } from '../../src/main.js';
import { databases } from '../helpers/databases.js';
import { seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';
import { startTeamsHarness, USERS, type TeamsHarness } from '../helpers/teams-harness.js';
import { settledAudit } from '../helpers/audit.js';

const SEARCH = 'Exchange\\Search-Mailbox';
// An hour of the fake clock is past any backoff of a retried delivery (2 s doubling, capped at 10 min).
const AN_HOUR = 3600;

/** `elevate_deliveries_total{platform,outcome}` as the server's /metrics shows it (0 when absent). */
async function deliveriesMetric(server: RunningServer, platform: string, outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`elevate_deliveries_total{platform="${platform}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** What an admin sees through the REST API: `GET /api/v1/deliveries?status=failed`. */
async function failedOverApi(server: RunningServer, token: string): Promise<{ status: number; body: { items?: DeliveryRecord[] } }> {
  const answer = await fetch(`http://127.0.0.1:${server.port}/api/v1/deliveries?status=failed`, { headers: { authorization: `Bearer ${token}` } });
  return { status: answer.status, body: await answer.json() as { items?: DeliveryRecord[] } };
}

/** Delivers, then lets an hour pass and delivers again, `rounds` times: a retried delivery would be tried again. */
async function deliverForHours(h: { deliver(): Promise<void>; clock: { advance(seconds: number): void } }, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await h.deliver();
    h.clock.advance(AN_HOUR);
  }
  await h.deliver();
}

// A permanent refusal reaches the dispatcher over real HTTP: marked failed after one attempt, never
// tried again, counted, and listed for admins (core, REST API); the other deliveries go on.
describe.each(await databases())('permanent platform failures on %s', (database) => {
  describe('Slack', () => {
    let h: SlackHarness;
    let admin: Actor;
    beforeEach(async () => {
      // The token lacks chat:write.public: the bot posts only where it was invited.
      h = await startSlackHarness({ database, slackScopes: ['commands', 'chat:write', 'im:write', 'users:read', 'users:read.email', 'usergroups:read'] });
      await seedSlackPolicies(h);
      admin = { kind: 'principal', principalId: (await h.elevate.principalFor('slack:UALICE')).id, origin: 'slack' };
    });
    afterEach(async () => h.close());

    it('not_in_channel: an approvers channel the bot was never invited to', async () => {
      h.slack.addChannel({ id: 'CSECOPS', members: ['UCAROL', 'UDAVE'] });
      await h.elevate.updatePolicy(h.operator, SEARCH, { approversChannel: 'slack:CSECOPS' });
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1');
      await deliverForHours(h, 3);

      const toChannel = h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'CSECOPS');
      expect(toChannel.map((c) => c.response)).toEqual([{ ok: false, error: 'not_in_channel' }]);
      const failed = await h.elevate.listDeliveries(admin, { status: 'failed' });
      expect(failed).toEqual([expect.objectContaining({
        status: 'failed', platform: 'slack', channel: 'slack:channel:slack:CSECOPS', kind: 'card.post', attempts: 1, lastError: 'Slack refused: not_in_channel',
      })]);
      expect(failed[0]!.cardKey).toMatch(/^request:R-[0-9A-Z]{8}:approver$/);
      // The approvers' DMs and the feed went out regardless.
      expect((await h.server.engine.store.outboxStats(h.clock.now())).pending).toBe(0);
      for (const approver of ['UCAROL', 'UDAVE', 'UERIN']) expect(h.slack.messagesIn(h.dm(approver))).toHaveLength(1);
      expect(await deliveriesMetric(h.server, 'slack', 'failed')).toBe(1);
      expect(await deliveriesMetric(h.server, 'slack', 'retried')).toBe(0);

      const { secret } = await h.elevate.createApiToken(h.operator, { name: 'ops', scope: 'admin', as: 'slack:UALICE' });
      expect(await failedOverApi(h.server, secret)).toEqual({ status: 200, body: { items: failed, nextCursor: null } });
      const { secret: requester } = await h.elevate.createApiToken(h.operator, { name: 'ursula', scope: 'requester', as: 'slack:UURSULA' });
      expect((await failedOverApi(h.server, requester)).status).toBe(403);
      const ursula: Actor & { kind: 'principal' } = { kind: 'principal', principalId: (await h.elevate.principalFor('slack:UURSULA')).id, origin: 'slack' };
      await expect(h.elevate.listDeliveries(ursula, { status: 'failed' })).rejects.toThrow('only admins and auditors may list deliveries');
      expect((await settledAudit(h.server.engine, { action: 'delivery.list.refused', limit: 5 })).map((r) => r.actor)).toEqual([ursula.principalId]);
    });

    it('invalid_blocks: a card Slack refuses is failed once, and the rest of its channel still goes out', async () => {
      h.slack.failNext('chat.postMessage', { error: 'invalid_blocks' });
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-2');
      await deliverForHours(h, 3);

      const failed = await h.elevate.listDeliveries(admin, { status: 'failed' });
      expect(failed).toEqual([expect.objectContaining({ platform: 'slack', attempts: 1, lastError: 'Slack refused: invalid_blocks' })]);
      const refused = h.slack.callsTo('chat.postMessage').filter((c) => (c.response as { ok: boolean }).ok === false);
      expect(refused).toHaveLength(1);
      const channel = String(refused[0]!.args.channel);
      // Sent once, never again: every later post to that channel is a different message that succeeded.
      expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.args.text === refused[0]!.args.text)).toHaveLength(1);
      expect((await h.server.engine.store.outboxStats(h.clock.now())).pending).toBe(0);
      expect(await deliveriesMetric(h.server, 'slack', 'failed')).toBe(1);
      expect(await deliveriesMetric(h.server, 'slack', 'delivered')).toBeGreaterThan(3);
    });
  });

  describe('Teams', () => {
    let h: TeamsHarness;
    beforeEach(async () => {
      h = await startTeamsHarness({ database });
      await h.elevate.createGroup(h.operator, 'approvers');
      for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
      await h.elevate.createPolicy(h.operator, { target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers' });
    });
    afterEach(async () => h.close());

    it('a 4xx from the connector (a channel the app is not in: 403) is failed once, counted and listed', async () => {
      const channel = '19:secops@thread.tacv2';
      h.connector.addConversation({ id: channel, type: 'channel', members: [USERS.carol!.mri, USERS.dave!.mri], botIsMember: false });
      await h.elevate.updatePolicy(h.operator, SEARCH, { approversChannel: `teams:${channel}` });
      await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-3');
      await deliverForHours(h, 3);

      const attempts = h.connector.callsTo({ method: 'POST', pathIncludes: channel });
      expect(attempts.map((c) => [c.status, c.response.error.code])).toEqual([[403, 'BotNotInConversationRoster']]);
      const failed = await h.elevate.listDeliveries(h.operator, { status: 'failed' });
      expect(failed).toEqual([expect.objectContaining({
        platform: 'teams', channel: `teams:channel:teams:${channel}`, kind: 'card.post', attempts: 1, lastError: 'Teams answered 403 BotNotInConversationRoster',
      })]);
      expect((await h.server.engine.store.outboxStats(h.clock.now())).pending).toBe(0);
      for (const approver of [USERS.carol!, USERS.dave!]) expect(h.connector.activitiesIn(h.connector.conversationFor(approver.mri)!)).toHaveLength(1);
      expect(await deliveriesMetric(h.server, 'teams', 'failed')).toBe(1);
      expect(await deliveriesMetric(h.server, 'teams', 'retried')).toBe(0);
    });
  });
});
