import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { APP, AUDIT_CHANNEL, seedSlackPolicies, startSlackHarness, TEAM, type SlackHarness } from '../helpers/slack-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: SlackHarness;

type View = { callback_id: string; private_metadata?: string; blocks: Array<{ block_id?: string; text?: { text: string }; element?: { type: string; options?: Array<{ value: string }>; option_groups?: Array<{ options: Array<{ text: { text: string }; value: string }> }> } }> };

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startSlackHarness({ database });
    await seedSlackPolicies(h);
    await h.elevate.createGroup(h.operator, 'oncall');
    await h.elevate.addGroupMember(h.operator, 'oncall', 'slack:UURSULA');
    await h.elevate.updatePolicy(h.operator, SEARCH, { breakGlassGroup: 'oncall' });
  });
  afterEach(async () => h.close());

  /** Chooses a target in the open request form, as Slack sends it (dispatch_action), and returns the form as updated. */
  async function choose(user: string, value: string): Promise<View> {
    await h.post(new URLSearchParams({ payload: JSON.stringify({
      type: 'block_actions', team: { id: TEAM, domain: 'elevate' }, user: { id: user, username: user.toLowerCase(), team_id: TEAM }, api_app_id: APP, token: 'legacy',
      trigger_id: 'trigger-choose', view: { id: 'V1', hash: 'h', type: 'modal', callback_id: 'elevate.request' },
      actions: [{ type: 'static_select', action_id: 'form.target', block_id: 'target', selected_option: { value, text: { type: 'plain_text', text: value } }, action_ts: '1' }],
    }) }).toString(), 'application/x-www-form-urlencoded');
    return h.slack.callsTo('views.update').at(-1)!.args.view as View;
  }

  it('break glass from the form: a warning naming who is alerted, access at the second click, the loud card with Revoke, Acknowledge and Flag', async () => {
    await h.command('UURSULA', '');
    const form = h.slack.callsTo('views.open')[0]!.args.view as View;
    const search = form.blocks[0]!.element!.option_groups!.flatMap((g) => g.options).find((o) => o.text.text === SEARCH)!.value;
    const chosen = await choose('UURSULA', search);
    expect(chosen.blocks.find((b) => b.block_id === 'mode')?.element?.options?.map((o) => o.value)).toEqual(['approval', 'breakGlass']);

    // Mallory is not in the break-glass group: the form says so and nothing happens.
    const refused = await h.submit('UMALLORY', form, { target: { option: search }, duration: '', reason: 'INC-42', ticket: '', mode: { option: 'breakGlass' } });
    expect(refused.body).toMatchObject({ response_action: 'errors', errors: { target: expect.stringContaining(`nly members of oncall may break glass on ${SEARCH}`) } });

    // The first click shows the warning; nothing is granted yet.
    const first = await h.submit('UURSULA', form, { target: { option: search }, duration: '', reason: 'INC-42 mailbox outage', ticket: '', mode: { option: 'breakGlass' } });
    expect(first.body).toMatchObject({ response_action: 'update', view: { callback_id: 'elevate.breakGlass' } });
    const warning = (first.body as { view: View }).view;
    expect(warning.blocks[0]!.text!.text).toContain('This alerts the 5 approver(s) of approvers, the 1 admin(s) and the audit feed (slack) now');
    expect(await h.elevate.listGrants(h.operator, {})).toEqual([]);

    // The second click breaks the glass.
    expect((await h.submit('UURSULA', warning, {})).body).toBeNull();
    const [grant] = await h.elevate.listGrants(h.operator, {});
    expect(grant).toMatchObject({ status: 'active', breakGlass: true });
    // The same warning clicked again: refused, and the warning says why.
    const again = await h.submit('UURSULA', warning, {});
    expect(again.body).toMatchObject({ response_action: 'update', view: { blocks: [{ text: { text: expect.stringContaining(`ou already have ${SEARCH} until`) } }] } });
    expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH)).toMatchObject({ allowed: true, breakGlass: true });
    await h.deliver();
    for (const channel of [h.dm('UCAROL'), h.dm('UALICE'), AUDIT_CHANNEL]) {
      const alert = h.texts(channel).find((t) => t.includes('BREAK-GLASS'));
      expect(alert, channel).toBeDefined();
      for (const verb of ['grant.revoke', 'breakGlass.acknowledge', 'breakGlass.flag']) expect(alert).toContain(`"action_id":"${verb}"`);
      expect(alert).toContain('INC-42 mailbox outage');
    }
    expect(h.texts(h.dm('UURSULA')).some((t) => t.includes('Break-glass access to'))).toBe(true);

    // Flag asks for a comment in a modal; the card then shows the flag everywhere.
    expect((await h.click('UCAROL', 'breakGlass.flag', grant!.id, h.dm('UCAROL'))).status).toBe(200);
    const flagForm = h.slack.callsTo('views.open').at(-1)!.args.view as View;
    expect(flagForm.callback_id).toBe('elevate.breakGlassFlag');
    expect((await h.submit('UCAROL', flagForm, { comment: '' })).body).toMatchObject({ response_action: 'errors', errors: { comment: expect.stringContaining("lagging needs a comment") } });
    expect((await h.submit('UCAROL', flagForm, { comment: 'no incident INC-42 exists' })).body).toBeNull();
    await h.deliver();
    const flagged = h.texts(h.dm('UDAVE')).find((t) => t.includes('BREAK-GLASS'))!;
    expect(flagged).toContain('Flagged by');
    expect(flagged).not.toContain('"action_id":"breakGlass.acknowledge"');
    expect((await h.elevate.listBreakGlassUses(h.operator, { status: 'flagged' })).length).toBe(1);

    // Revoke from the card ends the access at once.
    expect((await h.click('UDAVE', 'grant.revoke', grant!.id, h.dm('UDAVE'))).status).toBe(200);
    expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
    await h.deliver();
    expect(h.texts(AUDIT_CHANNEL).find((t) => t.includes('BREAK-GLASS'))).toContain('revoked by');
  });

  it('Acknowledge from the card closes the review; the holder cannot acknowledge their own use', async () => {
    const { grant } = await h.elevate.breakGlass(await h.elevate.principalFor('slack:UURSULA').then((p) => ({ kind: 'principal' as const, principalId: p.id, origin: 'cli' as const })),
      { target: SEARCH, reason: 'INC-43', confirmed: true });
    await h.deliver();
    expect((await h.click('UURSULA', 'breakGlass.acknowledge', grant.id, h.dm('UURSULA'))).status).toBe(200);
    expect((await h.elevate.listBreakGlassUses(h.operator))[0]).toMatchObject({ status: 'pending' });
    expect((await h.click('UERIN', 'breakGlass.acknowledge', grant.id, h.dm('UERIN'))).status).toBe(200);
    expect((await h.elevate.listBreakGlassUses(h.operator))[0]).toMatchObject({ status: 'acknowledged' });
    await h.deliver();
    expect(h.texts(h.dm('UCAROL')).find((t) => t.includes('BREAK-GLASS'))).toContain('Acknowledged by');
  });
});
