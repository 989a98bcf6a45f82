import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { AUDIT_CHANNEL, seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';
import { settledAudit } from '../helpers/audit.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: SlackHarness;

/** The request id in the requester's DM card. */
function requestIdIn(channel: string): string {
  const text = h.texts(channel).join('\n');
  return /R-[0-9A-Z]{8}/.exec(text)![0];
}

/** The audit feed's root message of a request, and the events in its thread. */
function feedOf(requestId: string) {
  const messages = h.slack.messagesIn(AUDIT_CHANNEL);
  const root = messages.find((m) => !m.threadTs && m.text.includes(requestId))!;
  return { root, events: messages.filter((m) => m.threadTs === root.ts).map((m) => m.text.replace(`${requestId}: `, '')) };
}

function buttonsOf(channel: string): string[] {
  const message = h.slack.messagesIn(channel).find((m) => JSON.stringify(m.blocks).includes('Access request'))!;
  return message.blocks.filter((b) => b.type === 'actions').flatMap((b) => (b.elements as Array<{ action_id: string }>).map((e) => e.action_id));
}

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startSlackHarness({ database });
  });
  afterEach(async () => h.close());

  describe('Slack: request, approve in one click, every card updated', () => {
    it('modal request → approver DMs → approve click → cards, requester and audit feed updated', async () => {
      await seedSlackPolicies(h);
      const opened = await h.command('UURSULA', '');
      expect(opened.status).toBe(200);
      const view = h.slack.callsTo('views.open')[0]!.args.view as { callback_id: string; blocks: Array<{ block_id?: string; element?: { option_groups?: Array<{ options: Array<{ text: { text: string }; value: string }> }> } }> };
      const targetOptions = view.blocks[0]!.element!.option_groups!.flatMap((g) => g.options);
      expect(targetOptions.map((o) => o.text.text).sort()).toEqual(['Exchange\\Organization Management', SEARCH]);
      const searchOption = targetOptions.find((o) => o.text.text === SEARCH)!.value;

      const refused = await h.submit('UURSULA', view, { target: { option: searchOption }, duration: '9h', reason: 'INC-1', ticket: '' });
      expect(refused.body).toEqual({ response_action: 'errors', errors: { duration: expect.stringMatching(/9h is longer than the 8h allowed/) } });
      const missingReason = await h.submit('UURSULA', view, { target: { option: searchOption }, duration: '2h', reason: '', ticket: '' });
      expect(missingReason.body).toMatchObject({ errors: { reason: expect.stringMatching(/A reason is required .*Give the incident number/) } });
      const submitted = await h.submit('UURSULA', view, { target: { option: searchOption }, duration: '2h', reason: 'INC-42 search', ticket: 'INC-42' });
      expect(submitted).toEqual({ status: 200, body: null });
      await h.deliver();

      // Each live approver got the card by DM with buttons; the deactivated one and the bot did not.
      for (const approver of ['UCAROL', 'UDAVE', 'UERIN']) expect(buttonsOf(h.dm(approver))).toEqual(['request.approve', 'request.approveWithComment', 'request.deny']);
      expect(h.slack.callsTo('conversations.open').map((c) => c.args.users).sort()).toEqual(['UCAROL', 'UDAVE', 'UERIN', 'UURSULA']);
      const requestId = requestIdIn(h.dm('UURSULA'));
      const approverCard = h.texts(h.dm('UCAROL'))[0]!;
      for (const fact of ['Ursula', SEARCH.replace('\\', '\\\\'), '2h', 'INC-42 search', 'Decide by', '0 of 1']) expect(approverCard).toContain(fact);

      expect(feedOf(requestId).root.text).toContain('Waiting for approval');

      const click = await h.click('UCAROL', 'request.approve', requestId, h.dm('UCAROL'));
      expect(click.status).toBe(200);
      await h.deliver();
      for (const approver of ['UCAROL', 'UDAVE', 'UERIN']) {
        const [card] = h.slack.messagesIn(h.dm(approver));
        expect(card!.updates).toBeGreaterThan(0);
        expect(JSON.stringify(card!.blocks)).toContain('Approved by Carol at');
        expect(card!.blocks.some((b) => b.type === 'actions')).toBe(false);
      }
      expect(h.texts(h.dm('UURSULA')).some((t) => t.includes(`Access to ${SEARCH.replace('\\', '\\\\')} granted`))).toBe(true);
      const feed = feedOf(requestId);
      expect(h.slack.messagesIn(AUDIT_CHANNEL).filter((m) => !m.threadTs && m.text.includes(requestId))).toHaveLength(1);
      expect(feed.root.text).toMatch(/Approved by Carol/);
      expect(feed.root.updates).toBeGreaterThan(0);
      expect(feed.events).toEqual(['requested', 'approved by Carol']);
      expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(true);
    });

    it('deny asks for a comment in a modal; the requester is told', async () => {
      await seedSlackPolicies(h);
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-7 look at a mailbox');
      await h.deliver();
      const requestId = requestIdIn(h.dm('UURSULA'));
      await h.click('UDAVE', 'request.deny', requestId, h.dm('UDAVE'));
      const view = h.slack.callsTo('views.open').at(-1)!.args.view as { callback_id: string; private_metadata: string };
      expect(view).toMatchObject({ callback_id: 'elevate.deny', private_metadata: requestId });
      expect(await h.submit('UDAVE', view, { comment: 'use the runbook instead' })).toEqual({ status: 200, body: null });
      await h.deliver();
      expect(JSON.stringify(h.slack.messagesIn(h.dm('UCAROL'))[0]!.blocks)).toContain('Denied by Dave');
      expect(h.texts(h.dm('UURSULA')).some((t) => t.includes('use the runbook instead') && t.includes('denied by Dave'))).toBe(true);
    });

    it('2 of 3: the counter shows on every card until the quorum approves', async () => {
      await seedSlackPolicies(h, 2);
      await h.command('UURSULA', 'request "Exchange\\Search-Mailbox" 1h INC-9');
      await h.deliver();
      const requestId = requestIdIn(h.dm('UURSULA'));
      await h.click('UCAROL', 'request.approve', requestId, h.dm('UCAROL'));
      await h.deliver();
      const erinCard = JSON.stringify(h.slack.messagesIn(h.dm('UERIN'))[0]!.blocks);
      expect(erinCard).toContain('1 of 2 (Carol) — waiting for 1 more from approvers');
      expect(buttonsOf(h.dm('UERIN'))).toContain('request.approve');
      h.clock.advance(60);
      await h.click('UERIN', 'request.approve', requestId, h.dm('UERIN'));
      await h.deliver();
      expect(JSON.stringify(h.slack.messagesIn(h.dm('UDAVE'))[0]!.blocks)).toContain('2 of 2 (Carol, Erin)');
      expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(true);
    });

    it('auto-approval answers at once and still notifies', async () => {
      await seedSlackPolicies(h);
      const answer = await h.command('UURSULA', 'request "Exchange\\Organization Management" 30m routine');
      expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Approved automatically: you have Exchange\\Organization Management until/) });
      await h.deliver();
      expect(h.texts(h.dm('UCAROL'))[0]).toContain('Approved automatically');
      expect(feedOf(/R-[0-9A-Z]{8}/.exec(h.texts(h.dm('UURSULA')).join(''))![0]).events).toEqual(['approved automatically']);
    });

    it('self-approval, non-approvers and double clicks are refused privately, change nothing and are audited', async () => {
      await seedSlackPolicies(h);
      await h.elevate.addGroupMember(h.operator, 'approvers', 'slack:UURSULA');
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1');
      await h.deliver();
      const requestId = requestIdIn(h.dm('UURSULA'));
      await h.click('UURSULA', 'request.approve', requestId, h.dm('UURSULA'));
      await h.click('UMALLORY', 'request.approve', requestId, 'CGENERAL');
      // Refusals go to the click's response_url: ephemeral, and shown wherever the person clicked.
      expect(h.slack.responses.map((r) => r.body)).toEqual([
        { response_type: 'ephemeral', replace_original: false, text: 'You cannot decide your own request' },
        { response_type: 'ephemeral', replace_original: false, text: `Only members of approvers may decide request ${requestId}` },
      ]);
      expect(h.slack.callsTo('chat.postEphemeral')).toEqual([]);
      expect((await h.elevate.getRequest(h.operator, requestId)).request.status).toBe('pending');
      await h.click('UCAROL', 'request.approve', requestId, h.dm('UCAROL'));
      await h.click('UDAVE', 'request.approve', requestId, h.dm('UDAVE'));
      expect(h.slack.responses.at(-1)!.body.text).toMatch(new RegExp(`^Request ${requestId} is already approved by Carol at \\d{4}-`));
      const refused = await settledAudit(h.server.engine, { action: 'request.approve.refused', limit: 10 });
      expect(refused.map((r) => r.actorIdentity)).toEqual(['slack:UURSULA@T0ELEVATE', 'slack:UMALLORY@T0ELEVATE', 'slack:UDAVE@T0ELEVATE']);
      const ids = await Promise.all(['slack:UURSULA', 'slack:UMALLORY', 'slack:UDAVE'].map(async (ref) => (await h.elevate.principalFor(ref)).id));
      expect(refused.map((r) => r.actor)).toEqual(ids);
    });

    it('a request expires under the fake clock; every card says so', async () => {
      await seedSlackPolicies(h);
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1');
      await h.deliver();
      h.clock.advance(24 * 3600);
      await h.elevate.runDueJobs();
      await h.deliver();
      for (const approver of ['UCAROL', 'UDAVE']) {
        const [card] = h.slack.messagesIn(h.dm(approver));
        expect(JSON.stringify(card!.blocks)).toContain('Expired undecided');
        expect(card!.blocks.some((b) => b.type === 'actions')).toBe(false);
      }
      const feed = feedOf(requestIdIn(h.dm('UURSULA')));
      expect(feed.root.text).toContain('Expired undecided');
      expect(feed.events).toEqual(['requested', 'expired undecided']);
    });

    it("expiring soon: the holder gets Extend and I'm done; I'm done ends access", async () => {
      await seedSlackPolicies(h);
      await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1');
      await h.deliver();
      await h.click('UCAROL', 'request.approve', requestIdIn(h.dm('UURSULA')), h.dm('UCAROL'));
      h.clock.advance(46 * 60);
      await h.elevate.runDueJobs();
      await h.deliver();
      const warning = h.slack.messagesIn(h.dm('UURSULA')).find((m) => m.text.includes('ends in about'))!;
      const buttons = warning.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements as Array<{ action_id: string; value: string }>);
      expect(buttons.map((b) => b.action_id)).toEqual(['grant.extend', 'grant.relinquish']);
      await h.click('UURSULA', 'grant.relinquish', buttons[1]!.value, h.dm('UURSULA'));
      expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
      await h.click('UURSULA', 'grant.extend', buttons[0]!.value, h.dm('UURSULA'));
      expect(h.slack.callsTo('views.open').at(-1)!.args.view).toMatchObject({ callback_id: 'elevate.extend' });
    });
  });
});
