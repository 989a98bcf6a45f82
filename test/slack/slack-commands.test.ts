import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/main.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { silentLogger } from '../helpers/engine.js';
import { AUDIT_CHANNEL, seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: SlackHarness;

const requestIdIn = (text: string) => /R-[0-9A-Z]{8}/.exec(text)![0];

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startSlackHarness({ database });
    await seedSlackPolicies(h);
  });
  afterEach(async () => h.close());

  describe('Slack signatures', () => {
    it('a forged or stale signature gets 401 and changes nothing', async () => {
      const forged = await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1', { secret: 'not-the-secret-at-all-0123456789' });
      const stale = await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
      expect([forged.status, stale.status]).toEqual([401, 401]);
      expect(await h.elevate.listRequests(h.operator)).toEqual([]);
    });
  });

  describe('the slash command', () => {
    it('help, unknown commands and malformed input answer privately with the usage', async () => {
      expect((await h.command('UURSULA', 'help')).body).toMatchObject({ response_type: 'ephemeral', text: 'Elevate: just-in-time privileged access.' });
      expect((await h.command('UURSULA', 'frobnicate')).body!.text).toMatch(/^Unknown command "frobnicate"\. Commands: request, status/);
      expect((await h.command('UURSULA', 'approve')).body!.text).toBe('Name the request id. Usage: approve <request id> [comment…]');
      expect((await h.command('UURSULA', 'extend G-1')).body!.text).toMatch(/^Name how long, e\.g\. 1h\. Usage: extend/);
      expect((await h.command('UURSULA', 'request Exchange\\Search-Mailbx 1h x')).body!.text)
        .toBe('No policy for Exchange\\Search-Mailbx; closest targets: Exchange\\Search-Mailbox, Exchange\\Organization Management');
      expect((await h.command('UURSULA', 'request Exchange\\Search-Mailbox 9h x')).body!.text).toBe('Duration 9h is longer than the 8h allowed for Exchange\\Search-Mailbox');
      expect((await h.command('UURSULA', 'request Exchange\\Search-Mailbox 2h')).body!.text).toBe('A reason is required to request Exchange\\Search-Mailbox (Give the incident number)');
      expect(await h.elevate.listRequests(h.operator)).toEqual([]);
    });

    it('request directly, see it in status with Cancel, and approvers see it in pending', async () => {
      const answer = await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h30m INC-5 check a mailbox');
      expect(answer.body!.text).toMatch(/^Request R-\w{8} for Exchange\\Search-Mailbox \(1h30m\) was sent to its approvers/);
      const id = requestIdIn(String(answer.body!.text));
      const again = await h.command('UURSULA', 'request Exchange\\Search-Mailbox 2h INC-5');
      // Times are Slack date tokens, drawn in the reader's time zone, with a UTC fallback.
      const deadline = (await h.elevate.getRequest(h.operator, id)).request.deadlineAt;
      const token = `<!date^${Math.floor(Date.parse(deadline) / 1000)}^{date_short_pretty} {time}|${deadline.slice(0, 10)} ${deadline.slice(11, 16)} UTC>`;
      expect(again.body!.text).toBe(`You already have request ${id} pending for Exchange\\Search-Mailbox (decide by ${token}).`);
      const status = JSON.stringify((await h.command('UURSULA', 'status')).body);
      expect(status).toContain('"action_id":"request.cancel"');
      const pending = JSON.stringify((await h.command('UCAROL', 'pending')).body);
      expect(pending).toContain(id);
      expect(pending).toContain('"action_id":"request.approve"');
      expect((await h.command('UMALLORY', 'pending')).body!.text).toBe('Nothing is waiting for your decision.');
      expect((await h.command('UCAROL', `approve ${id.toLowerCase()} looks fine`)).body!.text).toMatch(new RegExp(`^You approved ${id}: access until`));
      const grants = await h.elevate.listGrants(h.operator, { status: 'active' });
      expect((await h.command('UDAVE', `revoke ${grants[0]!.id} incident closed`)).body!.text).toBe(`Grant ${grants[0]!.id} (${SEARCH}) is revoked.`);
    });

    it('admins manage policies and groups from Slack; others are refused', async () => {
      expect((await h.command('UCAROL', 'policy remove Exchange\\Search-Mailbox')).body!.text).toBe('Only Elevate admins may change policies, groups or PAM settings');
      expect((await h.command('UALICE', 'group new oncall')).body!.text).toBe('Done: create group oncall.');
      expect((await h.command('UALICE', 'group add oncall <@UDAVE|dave>')).body!.text).toBe('Done: add slack:UDAVE to group oncall.');
      expect((await h.command('UALICE', 'policy new role "Exchange\\Role Management" --approval manual --approver-group oncall --default 4h --max 2h')).body!.text)
        .toBe('Default duration 4h is longer than max duration 2h: lower the default duration to 2h or less as well');
      // A lone approver: saved, with a warning naming them (their own requests could never be approved).
      expect((await h.command('UALICE', 'policy new role "Exchange\\Role Management" --approval manual --approver-group oncall --max 2h')).body!.text)
        .toBe('Done: create role policy Exchange\\Role Management: approval manual, approvers oncall, max 2h.\nWarning: requests for Exchange\\Role Management by slack:UDAVE could never be approved: '
          + 'nobody decides their own request, and oncall has no other member for 1 approval(s). Add a member to oncall, or limit who may request with an eligible group.');
      expect((await h.elevate.getPolicy('Exchange\\Role Management')).defaultDurationSeconds).toBe(7200);
      expect((await h.command('UALICE', 'group add oncall <@UERIN>')).body!.text).toBe('Done: add slack:UERIN to group oncall.');
      expect((await h.command('UALICE', 'policy set "Exchange\\Role Management" --default 1h --reason-hint "Ticket please"')).body!.text)
        .toBe('Done: change policy Exchange\\Role Management: default 1h.');
      expect((await h.elevate.getPolicy('Exchange\\Role Management')).reasonHint).toBe('Ticket please');
      expect((await h.command('UALICE', 'policy new role X\\Y --approval sometimes')).body!.text).toBe('Approval must be manual or auto, not "sometimes"');
    });

    it('reads Slack user group mentions, and text Slack sent as HTML entities', async () => {
      h.slack.addUserGroup('SONCALL', ['UDAVE', 'UERIN']);
      expect((await h.command('UALICE', 'group new oncall --directory <!subteam^SONCALL|@oncall>')).body!.text).toBe('Done: create group oncall linked to slack:SONCALL.');
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1 &lt;script&gt; &amp; more');
      const [request] = await h.elevate.listRequests(h.operator);
      expect(request!.reason).toBe('INC-1 <script> & more');
      expect((await h.command('UALICE', 'audit-here')).body!.text).toMatch(/^On Slack, the audit feed is the channel named by SLACK_AUDIT_CHANNEL/);
    });

    it('report is for admins and auditors', async () => {
      expect((await h.command('UURSULA', 'report')).body!.text).toBe('Only admins and auditors may see usage reports');
      const report = await h.command('UALICE', 'report 7d');
      expect(report.body!.text).toBe('Usage for the last 7d:');
      expect(JSON.stringify(report.body!.blocks)).toContain('Exchange\\\\Search-Mailbox: 0 requests');
    });
  });

  describe('Slack platform rules', () => {
    it('mentions, links and formatting in a reason are shown inert on every card', async () => {
      const reason = 'INC-1 <!channel> <@UCAROL> *urgent* <https://evil.example|click> @here';
      await h.command('UURSULA', `request Exchange\\Search-Mailbox 1h ${reason}`);
      await h.deliver();
      for (const channel of [h.dm('UCAROL'), AUDIT_CHANNEL]) {
        const all = JSON.stringify(h.slack.messagesIn(channel).map((m) => [m.text, m.blocks]));
        expect(all).not.toContain('<!channel>');
        expect(all).not.toContain('<@UCAROL>');
        expect(all).not.toContain('<https://evil.example');
        expect(all).not.toContain('*urgent*');
        expect(all).not.toMatch(/(^|[^\u200b])@here/);
      }
      expect(JSON.stringify(h.slack.messagesIn(h.dm('UCAROL'))[0]!.blocks)).toContain('&lt;!channel&gt;');
    });

    it('429 and 5xx from Slack are retried with nothing lost, and a 429 in one channel does not stall the others', async () => {
      h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 30 });
      h.slack.failNext('chat.update', { status: 503 }, 2);
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1');
      await h.deliver();
      const firstRound = h.slack.callsTo('chat.postMessage').filter((c) => c.status === 200).length;
      expect(firstRound).toBeGreaterThanOrEqual(4); // the other channels went on
      h.clock.advance(30);
      await h.deliver();
      await h.command('UCAROL', `approve ${requestIdIn(h.texts(h.dm('UURSULA')).join(''))}`);
      for (let i = 0; i < 5; i++) {
        await h.deliver();
        h.clock.advance(60);
      }
      expect((await h.server.engine.store.outboxStats(h.clock.now())).pending).toBe(0);
      for (const approver of ['UCAROL', 'UDAVE', 'UERIN']) {
        expect(h.slack.messagesIn(h.dm(approver)).filter((m) => m.text.includes('requests'))).toHaveLength(1);
        expect(JSON.stringify(h.slack.messagesIn(h.dm(approver))[0]!.blocks)).toContain('Approved by Carol');
      }
      expect(h.slack.messagesIn(AUDIT_CHANNEL).filter((m) => !m.threadTs && m.text.includes('R-'))).toHaveLength(1);
    });

    it('a policy can post its cards to an approvers channel instead of DMs', async () => {
      h.slack.addChannel({ id: 'CAPPROVERS', members: [FakeSlackApi.botUserId, 'UCAROL', 'UDAVE', 'UMALLORY'] });
      expect((await h.command('UALICE', 'policy set Exchange\\Search-Mailbox --channel <#CAPPROVERS|sec-approvals> --no-dms')).body!.text)
        .toBe('Done: change policy Exchange\\Search-Mailbox: approvers channel slack:CAPPROVERS, approver DMs off.');
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-8');
      await h.deliver();
      expect(h.slack.messagesIn(h.dm('UCAROL'))).toHaveLength(0);
      const [card] = h.slack.messagesIn('CAPPROVERS');
      expect(card!.blocks.some((b) => b.type === 'actions')).toBe(true);
      const id = requestIdIn(card!.text + JSON.stringify(card!.blocks));
      await h.click('UMALLORY', 'request.approve', id, 'CAPPROVERS');
      expect(h.slack.responses.at(-1)!.body.text).toBe(`Only members of approvers may decide request ${id}`);
      await h.click('UDAVE', 'request.approve', id, 'CAPPROVERS');
      await h.deliver();
      expect(JSON.stringify(h.slack.messagesIn('CAPPROVERS')[0]!.blocks)).toContain('Approved by Dave');
      expect((await h.command('UALICE', 'policy set Exchange\\Search-Mailbox --no-channel --no-dms')).body!.text)
        .toBe('Without direct messages to approvers, name an approvers channel: nobody would see the requests');
    });

    it('a Slack user group can be the approver group', async () => {
      h.slack.addUserGroup('SONCALL', ['UDAVE', 'UERIN', 'UZED']);
      await h.elevate.createGroup(h.operator, 'slack-oncall', { directoryRef: 'slack:SONCALL' });
      await h.elevate.updatePolicy(h.operator, SEARCH, { approverGroup: 'slack-oncall' });
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-3');
      await h.deliver();
      expect(h.slack.messagesIn(h.dm('UDAVE'))).toHaveLength(1);
      expect(h.slack.messagesIn(h.dm('UCAROL'))).toHaveLength(0);
      const id = requestIdIn(h.texts(h.dm('UURSULA')).join(''));
      await h.click('UCAROL', 'request.approve', id, h.dm('UCAROL'));
      expect(h.slack.responses.at(-1)!.body.text).toBe(`Only members of slack-oncall may decide request ${id}`);
      await h.click('UERIN', 'request.approve', id, h.dm('UERIN'));
      expect((await h.elevate.getRequest(h.operator, id)).request.status).toBe('approved');
    });

    it('a wrong bot token stops start-up with one clear error', async () => {
      const config = loadConfig({
        DATABASE_URL: ':memory:', ELEVATE_SIGNING_KEY: 'k'.repeat(40), PORT: '0', SLACK_BOT_TOKEN: 'xoxb-wrong',
        SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef', SLACK_API_URL: h.slack.url,
      });
      await expect(startServer(config, { logger: silentLogger })).rejects.toThrow('Slack: invalid_auth (check SLACK_BOT_TOKEN and SLACK_API_URL)');
      expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET: Slack needs both/);
      expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxp-1', SLACK_SIGNING_SECRET: 'x'.repeat(20) })).toThrow(/SLACK_BOT_TOKEN: must be a bot token/);
      expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'x'.repeat(20), SLACK_AUDIT_CHANNEL: '#audit' })).toThrow(/SLACK_AUDIT_CHANNEL: must be a channel id/);
    });
  });
});
