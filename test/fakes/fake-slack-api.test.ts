import { ErrorCode, LogLevel, WebClient, type Logger } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlackApi } from './fake-slack-api.js';

/** WebClient logs platform errors and block warnings; the assertions cover them. */
const silentLogger: Logger = {
  debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined,
  setLevel: () => undefined, getLevel: () => LogLevel.ERROR, setName: () => undefined,
};

function clientFor(fake: FakeSlackApi, token: string | undefined): WebClient {
  return new WebClient(token, {
    slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: silentLogger,
  });
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('FakeSlackApi driven by the real WebClient', () => {
  let fake: FakeSlackApi;
  let slack: WebClient;

  beforeEach(async () => {
    fake = await FakeSlackApi.start();
    slack = clientFor(fake, 'xoxb-test');
    fake.addUser({ id: 'U1', name: 'alice', email: 'alice@example.test' });
    fake.addUser({ id: 'U2', name: 'bob', deleted: true });
    fake.addChannel({ id: 'C1', members: [FakeSlackApi.botUserId, 'U1'] });
    fake.addChannel({ id: 'C2', members: [FakeSlackApi.botUserId] });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('answers auth.test and checks the bearer token', async () => {
    const auth = await slack.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT' });
    await expect(clientFor(fake, 'xoxb-wrong').auth.test()).rejects.toMatchObject({
      code: ErrorCode.PlatformError, data: { ok: false, error: 'invalid_auth' },
    });
    await expect(clientFor(fake, undefined).auth.test()).rejects.toMatchObject({ data: { error: 'not_authed' } });
    expect(fake.callsTo('auth.test').map((c) => c.status)).toEqual([200, 200, 200]);
  });

  it('opens a DM, posts, threads and updates a message', async () => {
    await expect(slack.chat.postMessage({ channel: 'DU1', text: 'hi' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    const opened = await slack.conversations.open({ users: 'U1' });
    expect(opened.channel?.id).toBe('DU1');

    const posted = await slack.chat.postMessage({ channel: 'DU1', text: 'request', blocks: [section('*Approve?*')] });
    expect(posted.ts).toBe('1700000000.000100');
    const reply = await slack.chat.postMessage({ channel: 'DU1', text: 'reply', thread_ts: posted.ts });
    expect(reply.ts! > posted.ts!).toBe(true);
    await expect(slack.chat.postMessage({ channel: 'DU1', text: 'x', thread_ts: '1.000000' })).rejects.toMatchObject({
      data: { error: 'thread_not_found' },
    });

    await slack.chat.update({ channel: 'DU1', ts: posted.ts!, text: 'approved', blocks: [section('Approved')] });
    const stored = fake.messages.get(`DU1:${posted.ts}`);
    expect(stored).toMatchObject({ text: 'approved', updates: 1, blocks: [section('Approved')] });
    expect(fake.messagesIn('DU1').map((m) => m.threadTs)).toEqual([undefined, posted.ts]);
    expect(fake.findMessage((m) => m.text === 'reply')?.ts).toBe(reply.ts);
    expect(fake.callsTo('chat.postMessage')[1]?.args.blocks).toEqual([section('*Approve?*')]);
  });

  it('refuses unknown channels, unknown ts and deactivated users', async () => {
    await expect(slack.chat.postMessage({ channel: 'general', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    const posted = await slack.chat.postMessage({ channel: 'C1', text: 'x' });
    await expect(slack.chat.update({ channel: 'C1', ts: '1700000099.000100', text: 'y' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError, data: { error: 'message_not_found' },
    });
    await expect(slack.chat.update({ channel: 'C2', ts: posted.ts!, text: 'y' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
    await expect(slack.conversations.open({ users: 'U2' })).rejects.toMatchObject({ data: { error: 'user_disabled' } });
    await expect(slack.conversations.open({ users: 'U9' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    await expect(slack.apiCall('chat.nope')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
  });

  it('enforces Block Kit and text limits', async () => {
    const blocks51 = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x', blocks: blocks51 })).rejects.toMatchObject({
      data: { error: 'invalid_blocks', errors: ['no more than 50 items allowed [json-pointer:/blocks]'] },
    });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('a'.repeat(3001))] })).rejects.toMatchObject({
      data: { error: 'invalid_blocks', errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] },
    });
    await slack.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('a'.repeat(3000))] });
    const bad = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'b'.repeat(76) }, action_id: 'a' }] },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'ok' }, value: 'v'.repeat(2001) }] },
      { type: 'divider', block_id: 'b'.repeat(256) },
      { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'table' },
    ];
    for (const block of bad) {
      await expect(slack.chat.postMessage({ channel: 'C1', text: 'x', blocks: [block] })).rejects.toMatchObject({
        data: { error: 'invalid_blocks' },
      });
    }
    await expect(slack.chat.postMessage({ channel: 'C1', text: 't'.repeat(40_001) })).rejects.toMatchObject({ data: { error: 'msg_too_long' } });
    expect(fake.messagesIn('C1')).toHaveLength(1);
  });

  it('surfaces 429 + Retry-After as a rate-limited error', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError, retryAfter: 7,
    });
    expect(ErrorCode.RateLimitedError).toBe('slack_webapi_rate_limited_error');
    expect(fake.calls.at(-1)).toMatchObject({ status: 429, response: { ok: false, error: 'ratelimited' } });
    await slack.chat.postMessage({ channel: 'C1', text: 'x' });
  });

  it('surfaces 5xx as an HTTP error and injected errors as platform errors', async () => {
    fake.failNext('users.info', { status: 503 }, 2);
    for (let i = 0; i < 2; i += 1) {
      await expect(slack.users.info({ user: 'U1' })).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
    }
    fake.failNext('users.info', { error: 'fatal_error' });
    await expect(slack.users.info({ user: 'U1' })).rejects.toMatchObject({
      code: 'slack_webapi_platform_error', data: { ok: false, error: 'fatal_error' },
    });
    await expect(slack.users.info({ user: 'U1' })).resolves.toMatchObject({ ok: true });
  });

  it('answers users.info and usergroups.users.list', async () => {
    const info = await slack.users.info({ user: 'U1' });
    expect(info.user).toMatchObject({ id: 'U1', name: 'alice', deleted: false, is_bot: false, profile: { email: 'alice@example.test' } });
    expect((await slack.users.info({ user: 'U2' })).user?.deleted).toBe(true);
    await expect(slack.users.info({ user: 'U9' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    fake.addUserGroup('S1', ['U1', 'U2']);
    expect((await slack.usergroups.users.list({ usergroup: 'S1' })).users).toEqual(['U1', 'U2']);
    await expect(slack.usergroups.users.list({ usergroup: 'S9' })).rejects.toMatchObject({ data: { error: 'no_such_subteam' } });
  });

  it('opens and updates modals within their limits', async () => {
    const view = {
      type: 'modal' as const, callback_id: 'request', external_id: 'req-1', title: { type: 'plain_text' as const, text: 'Request access' },
      submit: { type: 'plain_text' as const, text: 'Send' }, private_metadata: '{}',
      blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'r' } }],
    };
    await expect(slack.views.open({ trigger_id: 'expired', view })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    const long = { ...view, external_id: 'req-2', title: { type: 'plain_text' as const, text: 't'.repeat(25) } };
    await expect(slack.views.open({ trigger_id: 't1', view: long })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
    await expect(slack.views.open({ trigger_id: 't1', view: { ...view, private_metadata: 'm'.repeat(3001) } })).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
    const opened = await slack.views.open({ trigger_id: 't1', view });
    expect(opened.view?.id).toMatch(/^V/);
    expect(opened.view?.callback_id).toBe('request');
    const updated = await slack.views.update({ external_id: 'req-1', view: { ...view, private_metadata: '{"step":2}' } });
    expect(updated.view?.id).toBe(opened.view?.id);
    expect(fake.views.get(opened.view!.id!)?.private_metadata).toBe('{"step":2}');
    await expect(slack.views.update({ view_id: 'V404', view })).rejects.toMatchObject({ data: { error: 'not_found' } });
  });

  it('posts ephemeral messages only to a member of a channel the bot is in', async () => {
    const res = await slack.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' });
    expect(res.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    fake.addUser({ id: 'U3', name: 'carol' });
    fake.addChannel({ id: 'CNOBOT', members: ['U1'] });
    await expect(slack.chat.postEphemeral({ channel: 'C1', user: 'U3', text: 'x' })).rejects.toMatchObject({ data: { error: 'user_not_in_channel' } });
    // chat:write.public lets the bot post in a public channel it is not in, but not ephemerally.
    await expect(slack.chat.postEphemeral({ channel: 'CNOBOT', user: 'U1', text: 'x' })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    await expect(slack.chat.postEphemeral({ channel: 'C404', user: 'U1', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    const opened = await slack.conversations.open({ users: 'U3' });
    await slack.chat.postEphemeral({ channel: opened.channel!.id!, user: 'U3', text: 'in the DM' });
    expect(fake.messages.size).toBe(0);
  });

  it('lets the bot post where it is a member, or in public channels with chat:write.public', async () => {
    fake.addChannel({ id: 'CPUBLIC', members: ['U1'] });
    fake.addChannel({ id: 'GPRIVATE', members: ['U1'] });
    fake.addChannel({ id: 'GWITHBOT', members: ['U1', FakeSlackApi.botUserId] });
    await slack.chat.postMessage({ channel: 'CPUBLIC', text: 'public, not joined' });
    await slack.chat.postMessage({ channel: 'GWITHBOT', text: 'private, joined' });
    // A private channel the bot is not in is invisible to it.
    await expect(slack.chat.postMessage({ channel: 'GPRIVATE', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(slack.chat.update({ channel: 'GPRIVATE', ts: '1', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    expect(fake.membersOf('GWITHBOT')).toEqual(['U1', 'UBOT']);

    const narrow = await FakeSlackApi.start({ scopes: ['chat:write', 'im:write'] });
    try {
      narrow.addChannel({ id: 'CPUBLIC', members: ['U1'] });
      narrow.addChannel({ id: 'CJOINED', members: [FakeSlackApi.botUserId] });
      const client = clientFor(narrow, 'xoxb-test');
      await expect(client.chat.postMessage({ channel: 'CPUBLIC', text: 'x' })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
      await client.chat.postMessage({ channel: 'CJOINED', text: 'member' });
      expect(narrow.messagesIn('CPUBLIC')).toEqual([]);
      expect(narrow.messagesIn('CJOINED')).toHaveLength(1);
    } finally {
      await narrow.close();
    }
    expect(fake.messagesIn('CPUBLIC').map((m) => m.text)).toEqual(['public, not joined']);
  });

  it('accepts JSON bodies and answers ok:false with HTTP 200', async () => {
    const res = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-test' },
      body: JSON.stringify({ channel: 'C1', blocks: [section('json')] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C1' });
    const bad = await fetch(`${fake.url}chat.update`, { method: 'POST', body: 'channel=C1&ts=1' });
    expect(bad.status).toBe(200);
    expect(await bad.json()).toEqual({ ok: false, error: 'not_authed' });
    fake.reset();
    expect(fake.calls).toHaveLength(0);
    expect(fake.messagesIn('C1')).toHaveLength(1);
  });
});

describe('FakeSlackApi pacing', () => {
  it('answers 429 with Retry-After: 1 to posts to one channel faster than perChannelPerSecond, after a short burst', async () => {
    // The pace is counted on a clock the test steps: however slow the machine, the posts are "at once".
    let nowMs = 0;
    const fake = await FakeSlackApi.start({ perChannelPerSecond: 4, now: () => nowMs });
    try {
      fake.addChannel({ id: 'C1', members: [FakeSlackApi.botUserId] }).addChannel({ id: 'C2', members: [FakeSlackApi.botUserId] });
      const slack = clientFor(fake, 'xoxb-test');
      await slack.chat.postMessage({ channel: 'C1', text: 'one' });
      await slack.chat.postMessage({ channel: 'C1', text: 'burst' });
      await expect(slack.chat.postMessage({ channel: 'C1', text: 'two' })).rejects.toMatchObject({
        code: ErrorCode.RateLimitedError, retryAfter: 1,
      });
      await slack.chat.postMessage({ channel: 'C2', text: 'other channel' });
      expect(fake.rateLimited).toBe(1);
      nowMs += 200; // not yet the 250 ms gap of 4 per second
      await expect(slack.chat.postMessage({ channel: 'C1', text: 'too soon' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
      nowMs += 60; // past it
      await slack.chat.postMessage({ channel: 'C1', text: 'two again' });
      expect(fake.rateLimited).toBe(2);
      expect(fake.messagesIn('C1').map((m) => m.text)).toEqual(['one', 'burst', 'two again']);
    } finally {
      await fake.close();
    }
  });
});
