import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: SlackHarness;

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startSlackHarness({ database });
  });
  afterEach(async () => h.close());

  it('a scheduled window asked in the form, approved early with one click, active from its start', async () => {
    await seedSlackPolicies(h);
    await h.command('UURSULA', '');
    const view = h.slack.callsTo('views.open')[0]!.args.view as { callback_id: string; blocks: Array<{ block_id?: string; element?: { type: string; option_groups?: Array<{ options: Array<{ text: { text: string }; value: string }> }> } }> };
    expect(view.blocks.find((b) => b.block_id === 'start')?.element?.type).toBe('datetimepicker');
    const searchOption = view.blocks[0]!.element!.option_groups!.flatMap((g) => g.options).find((o) => o.text.text === SEARCH)!.value;
    const startSeconds = Math.floor(Date.parse(h.clock.now()) / 1000) + 10 * 3600;
    const start = new Date(startSeconds * 1000).toISOString();

    const past = await h.submit('UURSULA', view, { target: { option: searchOption }, duration: '2h', reason: 'CHG-7', ticket: '', start: { dateTime: Math.floor(Date.parse(h.clock.now()) / 1000) - 3600 } });
    expect(past.body).toEqual({ response_action: 'errors', errors: { start: expect.stringMatching(/is in the past/) } });
    const submitted = await h.submit('UURSULA', view, { target: { option: searchOption }, duration: '2h', reason: 'CHG-7 maintenance', ticket: '', start: { dateTime: startSeconds } });
    expect(submitted.body).toBeNull();
    await h.deliver();
    const [request] = await h.elevate.listRequests(h.operator, {});
    expect(request).toMatchObject({ status: 'pending', startsAt: start });
    const approverCard = h.texts(h.dm('UCAROL')).join('\n');
    expect(approverCard).toContain('Window');

    expect((await h.click('UCAROL', 'request.approve', request!.id, h.dm('UCAROL'))).status).toBe(200);
    await h.deliver();
    const [grant] = await h.elevate.listGrants(h.operator, { status: 'scheduled' });
    expect(grant).toMatchObject({ startsAt: start });
    expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
    expect(h.texts(h.dm('UURSULA')).some((t) => t.includes('scheduled') && t.includes('Cancel window'))).toBe(true);

    h.clock.set(start);
    expect((await h.elevate.runDueJobs()).grantsStarted).toBe(1);
    expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH)).toMatchObject({ allowed: true, grantId: grant!.id });
    await h.deliver();
    expect(h.texts(h.dm('UURSULA')).some((t) => t.includes(`Access to ${SEARCH.replace('\\', '\\\\')} started`))).toBe(true);
    // Every copy of the request's card now shows the access as active.
    expect(h.texts(h.dm('UCAROL')).join('\n')).toContain('Access active until');
  });
});
