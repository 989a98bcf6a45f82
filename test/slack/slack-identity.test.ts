import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/main.js';
import { databases } from '../helpers/databases.js';
import { silentLogger } from '../helpers/engine.js';
import { seedSlackPolicies, SIGNING_SECRET, slackSignature, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';
import { settledAudit } from '../helpers/audit.js';

let h: SlackHarness;
const requestIdIn = (text: string) => /R-[0-9A-Z]{8}/.exec(text)![0];

// Each attack of the identity issue, replayed over real HTTP as Slack would deliver it.
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startSlackHarness({ database });
    await seedSlackPolicies(h);
  });
  afterEach(async () => h.close());

  describe('the workspace is pinned', () => {
    it('a command from another workspace is answered "not connected", creates nothing and is audited with the foreign ids', async () => {
      h.slack.addUser({ id: 'UEVIL', realName: 'Dave', email: 'dave@example.com', teamId: 'T0OTHER' });
      const reply = await h.command('UEVIL', 'request Exchange\\Search-Mailbox 1h INC-1', undefined, { team: 'T0OTHER' });
      expect(reply).toMatchObject({ status: 200, body: { response_type: 'ephemeral', text: 'This workspace is not connected to Elevate' } });
      expect(await h.elevate.listRequests(h.operator)).toEqual([]);
      expect(await h.server.engine.store.read((tx) => tx.findPrincipalByIdentity('slack:UEVIL'))).toBeUndefined();
      const [refused] = await settledAudit(h.server.engine, { action: 'identity.refused', limit: 5 });
      expect(refused).toMatchObject({ actor: 'system', actorIdentity: 'slack:UEVIL@T0OTHER', details: expect.objectContaining({ teamId: 'T0OTHER', appId: 'A0ELEVATE' }) });
    });

    it('a click by a member of another workspace (another org\'s user in a shared channel, or a foreign app) decides nothing', async () => {
      h.slack.addUser({ id: 'UDAVE2', realName: 'Dave', email: 'dave@example.com', teamId: 'T0OTHER' });
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-2');
      await h.deliver();
      const id = requestIdIn(h.texts(h.dm('UURSULA')).join(''));
      // Same workspace on the request, but the clicking user belongs to another one (a shared channel).
      await h.click('UDAVE', 'request.approve', id, 'CSHARED', { userTeam: 'T0OTHER' });
      // Signed for Elevate's app, but names another app.
      await h.click('UDAVE', 'request.approve', id, h.dm('UDAVE'), { app: 'A0EVIL' });
      // Claims the right workspace, but users.info says the user is from elsewhere.
      await h.click('UDAVE2', 'request.approve', id, 'CSHARED');
      expect((await h.elevate.getRequest(h.operator, id)).request.status).toBe('pending');
      expect(h.slack.responses.map((r) => r.body.text)).toEqual([
        'This workspace is not connected to Elevate', 'This workspace is not connected to Elevate', 'This workspace is not connected to Elevate',
      ]);
      const refused = await settledAudit(h.server.engine, { action: 'identity.refused', limit: 10 });
      expect(refused.map((r) => r.actorIdentity)).toEqual(['slack:UDAVE@T0OTHER', 'slack:UDAVE@T0ELEVATE', 'slack:UDAVE2@T0OTHER']);
      await h.click('UDAVE', 'request.approve', id, h.dm('UDAVE'));
      expect((await h.elevate.getRequest(h.operator, id)).request.status).toBe('approved');
    });

    it('a form submitted from another workspace gets the refusal on the form and changes nothing', async () => {
      const policy = (await h.elevate.listPolicies()).find((p) => p.target.name === 'Exchange\\Search-Mailbox')!;
      const reply = await h.submit('UURSULA', { callback_id: 'elevate.request' }, { target: { option: policy.id }, duration: '1h', reason: 'INC-3' }, { team: 'T0OTHER' });
      expect(reply.body).toEqual({ response_action: 'errors', errors: { target: 'This workspace is not connected to Elevate' } });
      expect(await h.elevate.listRequests(h.operator)).toEqual([]);
    });

    it('guests and unknown accounts of the workspace get no access and no principal', async () => {
      h.slack.addUser({ id: 'UGUEST', realName: 'Guest', email: 'guest@example.com', restricted: true });
      expect((await h.command('UGUEST', 'status')).body!.text).toBe('Guest accounts cannot use Elevate: ask an admin of your workspace or tenant for a member account');
      expect((await h.command('UNOBODY', 'status')).body!.text).toBe('Your account is not a member of the workspace or tenant connected to Elevate');
      expect((await h.command('UZED', 'status')).body!.text).toBe('Deactivated accounts cannot use Elevate');
      for (const id of ['UGUEST', 'UNOBODY', 'UZED']) {
        const principal = await h.server.engine.store.read((tx) => tx.findPrincipalByIdentity(`slack:${id}`));
        if (id === 'UZED') expect(principal).toBeDefined(); // named as an approver by an admin; still refused
        else expect(principal).toBeUndefined();
      }
    });

    it('a squatter from another workspace claiming an approver\'s address never becomes them; the real one is unaffected', async () => {
      h.slack.addUser({ id: 'USQUAT', realName: 'Erin', email: 'erin@example.com', teamId: 'T0OTHER' });
      await h.command('USQUAT', 'status', undefined, { team: 'T0OTHER' });
      await h.command('UERIN', 'status');
      const erin = await h.elevate.principalFor('slack:UERIN');
      expect(erin.identities).toEqual(['slack:UERIN']);
      expect(erin.emails).toEqual(['erin@example.com']);
      expect(await h.server.engine.store.read((tx) => tx.findPrincipalsByEmail('erin@example.com'))).toHaveLength(1);
    });
  });

  describe('replays', () => {
    function signedCommand(text: string, timestamp: number) {
      const body = new URLSearchParams({
        team_id: 'T0ELEVATE', api_app_id: 'A0ELEVATE', user_id: 'UURSULA', command: '/elevate', text, channel_id: 'CGENERAL', trigger_id: 'trigger-replay',
        response_url: `${h.slack.responseUrlBase}replay`,
      }).toString();
      return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(body, timestamp, SIGNING_SECRET) } };
    }

    it('a validly signed request seen before is refused, on this instance and on another one sharing the database', async () => {
      const request = signedCommand('request Exchange\\Search-Mailbox 1h INC-4', Math.floor(Date.now() / 1000));
      const url = `http://127.0.0.1:${h.server.port}/slack/events`;
      expect((await fetch(url, { method: 'POST', ...request })).status).toBe(200);
      expect((await fetch(url, { method: 'POST', ...request })).status).toBe(401);
      const second = await startServer({ ...h.config }, { logger: silentLogger, clock: h.clock, slackProcessBeforeResponse: true });
      try {
        expect((await fetch(`http://127.0.0.1:${second.port}/slack/events`, { method: 'POST', ...request })).status).toBe(401);
      } finally {
        await second.stop();
      }
      expect(await h.elevate.listRequests(h.operator)).toHaveLength(1);
      expect((await settledAudit(h.server.engine, { action: 'slack.requestRefused', limit: 5 })).map((r) => r.details.reason)).toEqual(['replayed', 'replayed']);
    });

    it('a request dated more than five minutes in the future is refused like a stale one', async () => {
      const future = signedCommand('request Exchange\\Search-Mailbox 1h INC-5', Math.floor(Date.now() / 1000) + 6 * 60);
      expect((await fetch(`http://127.0.0.1:${h.server.port}/slack/events`, { method: 'POST', ...future })).status).toBe(401);
      const soon = signedCommand('request Exchange\\Search-Mailbox 1h INC-5', Math.floor(Date.now() / 1000) + 60);
      expect((await fetch(`http://127.0.0.1:${h.server.port}/slack/events`, { method: 'POST', ...soon })).status).toBe(200);
      expect(await h.elevate.listRequests(h.operator)).toHaveLength(1);
    });
  });
});
