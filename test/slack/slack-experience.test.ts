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
});

