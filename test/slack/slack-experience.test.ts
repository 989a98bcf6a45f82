import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: SlackHarness;

const DATE_TOKEN = /<!date\^(\d{10})\^\{date_short_pretty\} \{time\}\|(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC>/;
const buttons = (blocks: Array<Record<string, unknown>>) => blocks.filter((b) => b.type === 'actions')
  .flatMap((b) => (b.elements as Array<{ action_id: string }>).map((e) => e.action_id));

describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startSlackHarness({ database });
  });
  afterEach(async () => h.close());

  describe('Slack: times in the reader’s own time zone', () => {
    it('cards and replies carry <!date^…> tokens with a UTC fallback, never raw ISO', async () => {
      await seedSlackPolicies(h);
      const answer = await h.command('UURSULA', `request ${SEARCH} 1h INC-5 check`);
      const id = /R-[0-9A-Z]{8}/.exec(String(answer.body!.text))![0];
      await h.deliver();
      const card = h.texts(h.dm('UCAROL')).join('\n');
      const token = DATE_TOKEN.exec(card)!;
      const deadline = (await h.elevate.getRequest(h.operator, id)).request.deadlineAt;
      expect(card).toContain(`<!date^${Math.floor(Date.parse(deadline) / 1000)}^{date_short_pretty} {time}|${deadline.slice(0, 10)} ${deadline.slice(11, 16)} UTC>`);
      expect(Number(token[1])).toBeGreaterThan(0);
      expect(card).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}Z/);
      // eslint-disable-next-line no-control-regex -- no time mark may reach Slack undrawn
      expect(card).not.toMatch(/[\u0001\u0002\uE000]/);
      // The header is plain_text (no tokens there): the title holds no time. The notification text has the fallback.
      const message = h.slack.messagesIn(h.dm('UCAROL'))[0]!;
      expect(JSON.stringify(message.blocks.find((b) => b.type === 'header'))).not.toContain('<!date');
    });
  });

  describe('Slack: reminders that can be acted on', () => {
    it('each reminder is a new DM with the card and its buttons, repeated until decided; decided copies lose their buttons', async () => {
      await seedSlackPolicies(h);
      await h.command('UURSULA', `request ${SEARCH} 1h INC-6 check`);
      await h.deliver();
      const id = /R-[0-9A-Z]{8}/.exec(h.texts(h.dm('UURSULA')).join('\n'))![0];
      const reminders = () => h.slack.messagesIn(h.dm('UCAROL')).filter((m) => JSON.stringify(m.blocks).includes('Reminder: Access request'));
      for (let n = 1; n <= 3; n += 1) {
        h.clock.advance(3600);
        await h.elevate.runDueJobs();
        await h.deliver();
        expect(reminders()).toHaveLength(n);
      }
      const last = reminders().at(-1)!;
      expect(buttons(last.blocks)).toEqual(['request.approve', 'request.approveWithComment', 'request.deny']);
      expect(JSON.stringify(last.blocks)).toMatch(/Waiting for approval for 3 h\. It expires undecided at <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+> \(in 21 h\)/);

      // Approving from the reminder itself: every copy (the first card and each reminder) is brought up to date.
      const click = await h.click('UCAROL', 'request.approve', id, h.dm('UCAROL'));
      expect(click.status).toBe(200);
      await h.deliver();
      for (const message of h.slack.messagesIn(h.dm('UCAROL'))) {
        if (!JSON.stringify(message.blocks).includes(id)) continue;
        expect(buttons(message.blocks).filter((b) => b !== 'link.open')).toEqual([]);
        expect(JSON.stringify(message.blocks)).toContain('Approved by Carol');
      }
      h.clock.advance(3600);
      await h.elevate.runDueJobs();
      await h.deliver();
      expect(reminders()).toHaveLength(0); // all updated to the decided card: no reminder headline left
    });
  });

  describe('Slack: the form lists only what you may request', () => {
    it('a policy open to a group is listed only for its members; with nothing to request, the answer says who to ask', async () => {
      await seedSlackPolicies(h);
      await h.elevate.createGroup(h.operator, 'sre');
      await h.elevate.addGroupMember(h.operator, 'sre', 'slack:UURSULA');
      await h.elevate.updatePolicy(h.operator, SEARCH, { eligibleGroup: 'sre' });
      await h.elevate.updatePolicy(h.operator, 'Exchange\\Organization Management', { eligibleGroup: 'sre' });

      expect((await h.command('UURSULA', 'request')).status).toBe(200);
      const view = JSON.stringify(h.slack.callsTo('views.open').at(-1)!.args.view);
      expect(view).toContain('Exchange\\\\Search-Mailbox');

      // Mallory is in no group: no form, the answer names the groups and the admins to ask.
      const refused = await h.command('UMALLORY', 'request');
      expect(h.slack.callsTo('views.open')).toHaveLength(1);
      expect(String(refused.body!.text)).toMatch(/not eligible to request any target yet.*\(sre\).*Elevate admin/);
      // Typing a near miss suggests only what she may request: nothing, so who to ask.
      const typo = await h.command('UMALLORY', 'request Exchange\\Search-Mailbx 1h INC-1');
      expect(String(typo.body!.text)).not.toContain('closest targets');
      expect(String(typo.body!.text)).toContain('not eligible to request any target yet');
    });
  });

  describe('Slack: extend means more time after the current end', () => {
    it('the answer names the grant, its end, the amount and the new end', async () => {
      await seedSlackPolicies(h);
      const answer = await h.command('UURSULA', `request ${SEARCH} 1h INC-11 check`);
      const id = /R-[0-9A-Z]{8}/.exec(String(answer.body!.text))![0];
      const { grant } = await h.elevate.approve(await h.elevate.principalFor('slack:UCAROL').then((p) => ({ kind: 'principal' as const, principalId: p.id, origin: 'slack' })), { requestId: id });
      const extended = await h.command('UURSULA', `extend ${grant!.id} 2h INC-11 takes longer`);
      const text = String(extended.body!.text);
      const until = new Date(Date.parse(grant!.endsAt) + 2 * 3600_000).toISOString();
      expect(text).toMatch(new RegExp(`^Extension request R-[0-9A-Z]{8} was sent to the approvers: extend ${grant!.id} \\(until <!date\\^${Math.floor(Date.parse(grant!.endsAt) / 1000)}\\^`));
      expect(text).toContain(`by 2h → until <!date^${Math.floor(Date.parse(until) / 1000)}^`);
    });
  });

  describe('Slack: App Home', () => {
    /** What Slack sends when a person opens the app's Home tab (Events API, app_home_opened). */
    const openHome = (user: string) => h.post(JSON.stringify({
      token: 'legacy', team_id: 'T0ELEVATE', api_app_id: 'A0ELEVATE', type: 'event_callback', event_id: `Ev${user}${Date.now()}`, event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: String(Date.now() / 1000) },
    }), 'application/json');
    /** A click on a button of the Home tab (a view, not a message). */
    const clickInHome = (user: string, actionId: string, value: string) => h.post(new URLSearchParams({ payload: JSON.stringify({
      type: 'block_actions', team: { id: 'T0ELEVATE', domain: 'elevate' }, user: { id: user, username: user.toLowerCase(), team_id: 'T0ELEVATE' },
      api_app_id: 'A0ELEVATE', token: 'legacy', trigger_id: `trigger-home-${Date.now()}`, container: { type: 'view', view_id: `VHOME${user}` },
      view: { id: `VHOME${user}`, type: 'home', team_id: 'T0ELEVATE' },
      actions: [{ type: 'button', action_id: actionId, block_id: 'home:0:0:actions:0', value, action_ts: String(Date.now() / 1000), text: { type: 'plain_text', text: actionId } }],
    }) }).toString(), 'application/x-www-form-urlencoded');
    const actionIds = (view: unknown) => [...JSON.stringify(view).matchAll(/"action_id":"([a-zA-Z.]+)"/g)].map((m) => m[1]);

    it('opening the Home tab publishes approvals with Approve/Deny, my requests with Cancel, my grants with Extend and I’m done; a click there republishes it through the outbox', async () => {
      await seedSlackPolicies(h);
      const answer = await h.command('UURSULA', `request ${SEARCH} 1h INC-12 check`);
      const id = /R-[0-9A-Z]{8}/.exec(String(answer.body!.text))![0];
      await h.command('UURSULA', 'request Exchange\\Organization Management 1h INC-12'); // auto-approved: an active grant

      expect((await openHome('UCAROL')).status).toBe(200);
      const carolHome = h.slack.homes.get('UCAROL')!;
      expect(carolHome.type).toBe('home');
      expect(JSON.stringify(carolHome)).toContain(id);
      expect(actionIds(carolHome)).toEqual(expect.arrayContaining(['home.request', 'request.approve', 'request.deny']));

      await openHome('UURSULA');
      const ursulaHome = h.slack.homes.get('UURSULA')!;
      expect(actionIds(ursulaHome)).toEqual(expect.arrayContaining(['home.request', 'request.cancel', 'grant.extend', 'grant.relinquish']));
      expect(actionIds(ursulaHome)).not.toContain('request.approve');

      // Approving from the Home tab: done, and the Home tab is published again without it (through the outbox).
      expect((await clickInHome('UCAROL', 'request.approve', id)).status).toBe(200);
      expect((await h.elevate.getRequest(h.operator, id)).request.status).toBe('approved');
      await h.deliver();
      expect(actionIds(h.slack.homes.get('UCAROL'))).not.toContain('request.approve');
      expect(JSON.stringify(h.slack.homes.get('UCAROL'))).toContain('Nothing is waiting for your decision.');

      // Request access opens the form (only what Carol may request).
      await clickInHome('UCAROL', 'home.request', 'home');
      expect(h.slack.callsTo('views.open').at(-1)!.args.view).toMatchObject({ type: 'modal' });
    });
  });
});

