import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: SlackHarness;

describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startSlackHarness({ database });
  });
  afterEach(async () => h.close());

  /** What Slack sends when a person opens the app's Home tab (Events API, app_home_opened). */
  const openHome = (user: string) => h.post(JSON.stringify({
    token: 'legacy', team_id: 'T0ELEVATE', api_app_id: 'A0ELEVATE', type: 'event_callback', event_id: `Ev${user}${Date.now()}`, event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: String(Date.now() / 1000) },
  }), 'application/json');
  /** A request typed into the REST API over HTTP, as `identity` (a requester token). */
  const requestOverApi = async (identity: string, reason: string) => {
    const { secret } = await h.elevate.createApiToken(h.operator, { name: `home-${identity.slice(6).toLowerCase()}`, scope: 'requester', as: identity });
    const response = await fetch(`http://127.0.0.1:${h.server.port}/api/v1/requests`, {
      method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: SEARCH, duration: '1h', reason }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { request: { id: string } }).request.id;
  };
  const publishesTo = (user: string) => h.slack.callsTo('views.publish').filter((c) => c.status === 200 && (c.args as { user_id?: string }).user_id === user).length;
  const home = (user: string) => JSON.stringify(h.slack.homes.get(user) ?? null);
  /** The buttons the user's Home shows for one request or grant. */
  const actionsFor = (user: string, id: string) => ((h.slack.homes.get(user) as { blocks?: Array<{ type: string; elements?: Array<{ action_id?: string; value?: string }> }> } | undefined)?.blocks ?? [])
    .filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []).filter((e) => e.value === id).map((e) => e.action_id);

  describe('Slack: App Home kept current through the outbox', () => {
    it('a request from the API appears on an approver’s Home with Approve/Deny without opening it again; a decision elsewhere removes it', async () => {
      await seedSlackPolicies(h);
      expect((await openHome('UCAROL')).status).toBe(200);
      expect(home('UCAROL')).toContain('Nothing is waiting for your decision.');
      expect(publishesTo('UCAROL')).toBe(1);

      const first = await requestOverApi('slack:UURSULA', 'INC-20 mailbox export');
      const second = await requestOverApi('slack:UMALLORY', 'INC-21 mailbox export');
      await h.deliver();
      expect(publishesTo('UCAROL')).toBeGreaterThan(1);
      expect(actionsFor('UCAROL', first)).toEqual(expect.arrayContaining(['request.approve', 'request.deny']));
      expect(actionsFor('UCAROL', second)).toEqual(expect.arrayContaining(['request.approve', 'request.deny']));
      // Dave, an approver too, never opened his Home: nothing is published for him.
      expect(publishesTo('UDAVE')).toBe(0);

      // Dave approves the first from his DM: Carol's Home loses it, keeps the second.
      const click = await h.click('UDAVE', 'request.approve', first, h.dm('UDAVE'));
      expect(click.status).toBe(200);
      expect((await h.elevate.getRequest(h.operator, first)).request.status).toBe('approved');
      await h.deliver();
      expect(home('UCAROL')).not.toContain(first);
      expect(actionsFor('UCAROL', second)).toEqual(expect.arrayContaining(['request.approve', 'request.deny']));

      // The operator cancels the second (as the CLI does): nothing waits for Carol any more.
      await h.elevate.cancelRequest(h.operator, second);
      await h.deliver();
      expect(home('UCAROL')).not.toContain(second);
      expect(home('UCAROL')).toContain('Nothing is waiting for your decision.');
      expect(publishesTo('UDAVE')).toBe(0);
    });

    it('the requester’s Home follows their request and grant: pending, then active, then gone when it ends', async () => {
      await seedSlackPolicies(h);
      await openHome('UURSULA');
      const id = await requestOverApi('slack:UURSULA', 'INC-22 mailbox export');
      await h.deliver();
      expect(actionsFor('UURSULA', id)).toEqual(['request.cancel']);

      await h.click('UCAROL', 'request.approve', id, h.dm('UCAROL'));
      await h.deliver();
      const grantId = (await h.elevate.getRequest(h.operator, id)).request.grantId!;
      expect(home('UURSULA')).not.toContain(`"value":"${id}"`);
      expect(actionsFor('UURSULA', grantId)).toEqual(['grant.extend', 'grant.relinquish']);

      // The grant expires (the scheduler's pass): it leaves the Home.
      h.clock.advance(2 * 3600);
      await h.elevate.runDueJobs();
      await h.deliver();
      expect(home('UURSULA')).not.toContain(grantId);
      expect(home('UURSULA')).toContain('No active access.');
    });
  });
});
