import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';

/**
 * A refused click is told only to the clicker: the interaction's response_url first (ephemeral,
 * shown wherever they clicked), then chat.postEphemeral in that channel, then a DM.
 */
describe('Slack click refusals', () => {
  let h: SlackHarness;
  let requestId: string;
  beforeEach(async () => {
    h = await startSlackHarness();
    await seedSlackPolicies(h);
    await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-1');
    await h.deliver();
    requestId = /R-[0-9A-Z]{8}/.exec(h.texts(h.dm('UURSULA')).join(''))![0];
  });
  afterEach(async () => h.close());
  const refusal = () => `Only members of approvers may decide request ${requestId}`;

  it('through the response_url, which Slack shows as an ephemeral message where the person clicked', async () => {
    await h.click('UMALLORY', 'request.approve', requestId, 'CGENERAL');
    expect(h.slack.responses.map((r) => r.body)).toEqual([{ response_type: 'ephemeral', replace_original: false, text: refusal() }]);
    expect(h.slack.callsTo('chat.postEphemeral')).toEqual([]);
  });

  it('when the response_url no longer works: chat.postEphemeral in the channel', async () => {
    h.slack.expireResponseUrls();
    await h.click('UMALLORY', 'request.approve', requestId, 'CGENERAL');
    expect(h.slack.responses).toEqual([]);
    const ephemeral = h.slack.callsTo('chat.postEphemeral');
    expect(ephemeral.map((c) => [c.args.channel, c.args.user, c.args.text, (c.response as { ok: boolean }).ok])).toEqual([['CGENERAL', 'UMALLORY', refusal(), true]]);
  });

  it('when neither works (a channel the bot is not in): a direct message', async () => {
    h.slack.addChannel({ id: 'CNOBOT', members: ['UMALLORY'] });
    h.slack.expireResponseUrls();
    await h.click('UMALLORY', 'request.approve', requestId, 'CNOBOT');
    expect(h.slack.callsTo('chat.postEphemeral').map((c) => (c.response as { ok: boolean; error?: string }).ok)).toEqual([false]);
    expect(h.slack.messagesIn('DUMALLORY').map((m) => m.text)).toEqual([refusal()]);
    expect(h.slack.messagesIn('CNOBOT')).toEqual([]);
  });

  it('a response_url takes at most 5 messages, as Slack documents', async () => {
    const url = `${h.slack.responseUrlBase}limit-1`;
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `m${i}` }) })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
  });
});
