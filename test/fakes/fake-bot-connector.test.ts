import { App } from '@microsoft/teams.apps';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeBotConnector } from './fake-bot-connector.js';

/** An unsigned JWT: what a fake that accepted any bearer token would let through. */
function unsignedJwt(claims: Record<string, unknown> = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600; // one hour: never expires during a test
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: 'https://api.botframework.com', appid: 'app-id', exp, ...claims })}.`;
}

const CHANNEL = '19:abc@thread.tacv2';

describe('FakeBotConnector over plain HTTP', () => {
  let fake: FakeBotConnector;
  let auth: Record<string, string>;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
    const res = await fetch(new URL(path, fake.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const activities = (conversation: string) => `/v3/conversations/${encodeURIComponent(conversation)}/activities`;

  beforeEach(async () => {
    fake = await FakeBotConnector.start();
    auth = { authorization: `Bearer ${fake.issueToken()}`, 'content-type': 'application/json' };
    fake.addUser({ id: '29:alice', aadObjectId: 'aad-alice', name: 'Alice', email: 'alice@example.test' });
    fake.addUser({ id: '29:bob', aadObjectId: 'aad-bob', name: 'Bob', appInstalled: false });
    fake.addConversation({ id: CHANNEL, type: 'channel', members: ['29:alice'] });
    fake.addConversation({ id: 'a:personal-alice', type: 'personal', members: ['aad-alice'] });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('with throttle, enforces Teams\' per-conversation limits: the 8th send within a second answers 429 with Retry-After, other conversations are not affected', async () => {
    await fake.close();
    fake = await FakeBotConnector.start({ throttle: true });
    auth = { authorization: `Bearer ${fake.issueToken()}`, 'content-type': 'application/json' };
    fake.addConversation({ id: CHANNEL, type: 'channel' });
    fake.addConversation({ id: 'a:personal-alice', type: 'personal' });
    const sends = [];
    for (let i = 0; i < 8; i++) sends.push(await call('POST', activities(CHANNEL), { type: 'message', text: `m${i}` }));
    expect(sends.map((s) => s.status)).toEqual([201, 201, 201, 201, 201, 201, 201, 429]);
    expect(sends[7]!.headers.get('retry-after')).toBe('1');
    expect(sends[7]!.body.error.code).toBe('Throttled');
    expect(fake.throttled).toBe(1);
    expect((await call('POST', activities('a:personal-alice'), { type: 'message', text: 'elsewhere' })).status).toBe(201);
    expect(fake.activitiesIn(CHANNEL)).toHaveLength(7);
  });

  it('creates a 1:1 chat only with the bot, the tenant and one user the app is installed for', async () => {
    fake.addUser({ id: '29:carol', aadObjectId: 'aad-carol', name: 'Carol' });
    const bot = { id: '28:app-id' };
    const created = await call('POST', '/v3/conversations', { bot, members: [{ id: 'aad-carol' }], tenantId: 'tenant-1' });
    expect(created).toMatchObject({ status: 201, body: { id: 'a:conv-29:carol' } });
    expect(fake.conversations.get('a:conv-29:carol')).toMatchObject({ type: 'personal', members: ['29:carol'], tenantId: 'tenant-1', createdByBot: true });
    const again = await call('POST', '/v3/conversations', {
      bot, members: [{ id: '29:carol' }], channelData: { tenant: { id: 'tenant-1' } }, activity: { type: 'message', text: 'first' },
    });
    expect(again.body).toEqual({ id: 'a:conv-29:carol', activityId: expect.any(String) });
    expect(fake.activitiesIn('a:conv-29:carol')).toEqual([
      { conversationId: 'a:conv-29:carol', id: again.body.activityId, activity: { type: 'message', text: 'first' }, updates: 0 },
    ]);
    // Someone who already has a 1:1 chat with the bot gets that chat.
    expect((await call('POST', '/v3/conversations', { bot, members: [{ id: 'aad-alice' }], tenantId: 'tenant-1' })).body.id).toBe('a:personal-alice');

    const refused = [
      await call('POST', '/v3/conversations', { members: [{ id: '29:carol' }], tenantId: 'tenant-1' }),
      await call('POST', '/v3/conversations', { bot, members: [{ id: '29:carol' }] }),
      await call('POST', '/v3/conversations', { bot, members: [], tenantId: 'tenant-1' }),
      await call('POST', '/v3/conversations', { bot, members: [{ id: '29:carol' }, { id: '29:alice' }], tenantId: 'tenant-1' }),
      await call('POST', '/v3/conversations', { bot, isGroup: true, members: [{ id: '29:carol' }], tenantId: 'tenant-1' }),
      await call('POST', '/v3/conversations', { bot, members: [{ id: '29:nobody' }], tenantId: 'tenant-1' }),
      await call('POST', '/v3/conversations', { bot, members: [{ id: '29:carol' }], tenantId: 'other-tenant' }),
      await call('POST', '/v3/conversations', { bot, members: [{ id: '29:bob' }], tenantId: 'tenant-1' }),
    ];
    expect(refused.map((r) => [r.status, r.body.error.code])).toEqual([
      [400, 'BadArgument'], [400, 'BadArgument'], [400, 'BadArgument'], [400, 'BadArgument'], [400, 'BadArgument'],
      [404, 'NotFound'], [404, 'NotFound'], [403, 'Forbidden'],
    ]);
    expect(fake.createdConversations().map((c) => c.id)).toEqual(['a:conv-29:carol']);
    expect(fake.conversationFor('aad-carol')).toBe('a:conv-29:carol');
    expect(fake.conversationFor('29:nobody')).toBeUndefined();
  });

  it('threads as Teams does: the reply route and the ;messageid= id thread, a replyToId in the body does not', async () => {
    const root = await call('POST', activities(CHANNEL), { type: 'message', text: 'root' });
    expect(root.status).toBe(201);
    const viaRoute = await call('POST', `${activities(CHANNEL)}/${root.body.id}`, { type: 'message', text: 'reply route' });
    const viaThreadId = await call('POST', activities(`${CHANNEL};messageid=${root.body.id}`), { type: 'message', text: 'thread id' });
    const viaBody = await call('POST', activities(CHANNEL), { type: 'message', text: 'body replyToId', replyToId: root.body.id });
    const replyToReply = await call('POST', `${activities(CHANNEL)}/${viaRoute.body.id}`, { type: 'message', text: 'reply to a reply' });
    expect([viaRoute, viaThreadId, viaBody, replyToReply].map((r) => r.status)).toEqual([201, 201, 201, 201]);

    expect(fake.topLevelIn(CHANNEL).map((a) => a.activity.text)).toEqual(['root', 'body replyToId']);
    expect(fake.threadOf(CHANNEL, root.body.id).map((a) => a.activity.text)).toEqual(['reply route', 'thread id', 'reply to a reply']);
    expect(fake.activitiesIn(`${CHANNEL};messageid=${root.body.id}`)).toHaveLength(5);
    expect(fake.findActivity((a) => a.activity.text === 'body replyToId')).toMatchObject({ activity: { replyToId: root.body.id } });
    expect(fake.findActivity((a) => a.activity.text === 'body replyToId')?.threadRootId).toBeUndefined();

    // 1:1 chats have no threads: a reply there is appended.
    const first = await call('POST', activities('a:personal-alice'), { type: 'message', text: 'hi' });
    await call('POST', `${activities('a:personal-alice')}/${first.body.id}`, { type: 'message', text: 'flat' });
    expect(fake.topLevelIn('a:personal-alice').map((a) => a.activity.text)).toEqual(['hi', 'flat']);
    expect((await call('POST', activities(`a:personal-alice;messageid=${first.body.id}`), { type: 'message' })).body.error.code).toBe('ConversationNotFound');

    // No thread under a post that does not exist.
    expect((await call('POST', `${activities(CHANNEL)}/999`, { type: 'message' })).body.error.code).toBe('ActivityNotFound');
    expect((await call('POST', activities(`${CHANNEL};messageid=999`), { type: 'message' })).body.error.code).toBe('ActivityNotFound');
    expect(fake.activitiesIn(CHANNEL)).toHaveLength(5);
  });

  it('knows which conversations exist and whether the bot is in them', async () => {
    fake.addConversation({ id: '19:elsewhere@thread.tacv2', type: 'channel', members: ['29:alice'], botIsMember: false });
    const unknown = await call('POST', activities('19:nowhere@thread.tacv2'), { type: 'message', text: 'x' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'ConversationNotFound' } } });
    const notIn = await call('POST', activities('19:elsewhere@thread.tacv2'), { type: 'message', text: 'x' });
    expect(notIn).toMatchObject({ status: 403, body: { error: { code: 'BotNotInConversationRoster' } } });
    expect((await call('GET', '/v3/conversations/19:nowhere@thread.tacv2/members')).status).toBe(404);
    expect(fake.activities.size).toBe(0);
  });

  it('updates and deletes only activities of that conversation', async () => {
    const sent = await call('POST', activities(CHANNEL), { type: 'message', text: 'card v1' });
    const updated = await call('PUT', `${activities(CHANNEL)}/${sent.body.id}`, { type: 'message', id: sent.body.id, text: 'card v2' });
    expect(updated).toMatchObject({ status: 200, body: { id: sent.body.id } });
    const unknown = await call('PUT', `${activities(CHANNEL)}/999`, { type: 'message', text: 'y' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'ActivityNotFound' } } });
    const otherConversation = await call('PUT', `${activities('a:personal-alice')}/${sent.body.id}`, { type: 'message', text: 'y' });
    expect(otherConversation.status).toBe(404);
    expect(fake.activitiesIn(CHANNEL)[0]).toMatchObject({ activity: { text: 'card v2' }, updates: 1 });
    expect((await call('DELETE', `${activities(CHANNEL)}/${sent.body.id}`)).status).toBe(200);
    expect(fake.topLevelIn(CHANNEL)).toEqual([]);
    expect(fake.calls.map((c) => [c.method, c.conversationId, c.activityId, c.status])).toEqual([
      ['POST', CHANNEL, undefined, 201], ['PUT', CHANNEL, sent.body.id, 200], ['PUT', CHANNEL, '999', 404],
      ['PUT', 'a:personal-alice', sent.body.id, 404], ['DELETE', CHANNEL, sent.body.id, 200],
    ]);
  });

  it('fails matching calls on demand: 429 with Retry-After, then 5xx, then succeeds', async () => {
    fake.addConversation({ id: 'a:conv-9', type: 'personal', members: ['29:alice'] });
    fake.failNext({ method: 'POST', pathIncludes: '/activities' }, { status: 429, retryAfter: 3 });
    fake.failNext({ pathIncludes: 'a:conv-9' }, { status: 502 }, 2);
    const throttled = await call('POST', activities('a:personal-alice'), { type: 'message', text: 'x' });
    expect(throttled).toMatchObject({ status: 429, body: { error: { code: 'Throttled' } } });
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect((await call('POST', activities('a:conv-9'), { type: 'message' })).status).toBe(502);
    expect((await call('POST', activities('a:conv-9'), { type: 'message' })).status).toBe(502);
    expect((await call('POST', activities('a:conv-9'), { type: 'message' })).status).toBe(201);
    expect(fake.activitiesIn('a:personal-alice')).toEqual([]);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 502, 502, 201]);
  });

  it('accepts only unexpired Bot Connector tokens it issued', async () => {
    const send = (authorization?: string) => call('POST', activities(CHANNEL), { type: 'message' }, {
      'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }),
    });
    const other = await FakeBotConnector.start();
    try {
      const refused = [
        await send(),
        await send('Basic x'),
        await send('Bearer anything'),
        await send(`Bearer ${unsignedJwt()}`),
        await send(`Bearer ${other.issueToken()}`), // signed by someone else
        await send(`Bearer ${fake.issueToken(undefined, { expiresInSeconds: -1 })}`),
        await send(`Bearer ${fake.issueToken('https://graph.microsoft.com/.default')}`), // a Graph token
      ];
      expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
      expect(refused[0]!.body).toEqual({ message: 'Authorization has been denied for this request.' });
    } finally {
      await other.close();
    }
    expect((await send(`Bearer ${fake.issueToken()}`)).status).toBe(201);
    expect(fake.activitiesIn(CHANNEL)).toHaveLength(1);
  });

  it('answers member look-ups per conversation, as TeamsChannelAccounts', async () => {
    const alice = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice', email: 'alice@example.test', userPrincipalName: 'alice@example.test' };
    expect((await call('GET', '/v3/conversations/a:personal-alice/members')).body).toEqual([expect.objectContaining(alice)]);
    expect((await call('GET', '/v3/conversations/a:personal-alice/members/29:alice')).body).toMatchObject(alice);
    expect((await call('GET', `/v3/conversations/${CHANNEL}/members/aad-alice`)).body).toMatchObject(alice);
    // Bob is a known user, but not in that channel.
    const bob = await call('GET', `/v3/conversations/${CHANNEL}/members/29:bob`);
    expect(bob).toMatchObject({ status: 404, body: { error: { code: 'MemberNotFoundInConversation' } } });
  });

  it('refuses activities over the Teams message size limit with 413', async () => {
    const big = await call('POST', activities(CHANNEL), { type: 'message', text: 'x'.repeat(30 * 1024) });
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'MessageSizeTooBig' } } });
    expect(fake.activitiesIn(CHANNEL)).toEqual([]);
  });
});

describe('FakeBotConnector driven by the Teams SDK App', () => {
  let fake: FakeBotConnector;
  let app: App;
  const tokenScopes: unknown[] = [];
  beforeEach(async () => {
    fake = await FakeBotConnector.start();
    fake.addUser({ id: '29:alice', aadObjectId: 'aad-alice', name: 'Alice' });
    fake.addConversation({ id: 'a:personal-alice', type: 'personal', members: ['29:alice'] });
    fake.addConversation({ id: CHANNEL, type: 'channel', members: ['29:alice'] });
    app = new App({
      serviceUrl: fake.url,
      clientId: 'app-id',
      token: (scope) => {
        tokenScopes.push(scope);
        return fake.issueToken(String(scope));
      },
      httpServerAdapter: { registerRoute() {} },
    });
    await app.initialize();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('receives app.send and updates, and threads app.reply (a ;messageid= id) but not the activities client reply()', async () => {
    const sent = await app.send('a:personal-alice', { type: 'message', text: 'hi' });
    expect(sent.id).toBe(fake.activitiesIn('a:personal-alice')[0]?.id);
    await app.send('a:personal-alice', { type: 'message', id: sent.id, text: 'hi again' });
    expect(fake.activitiesIn('a:personal-alice')).toEqual([expect.objectContaining({ updates: 1, activity: expect.objectContaining({ text: 'hi again' }) })]);
    expect(tokenScopes[0]).toBe('https://api.botframework.com/.default');
    const [first, update] = fake.calls;
    expect(first).toMatchObject({
      method: 'POST', path: '/v3/conversations/a:personal-alice/activities', status: 201,
      body: { type: 'message', text: 'hi', from: { id: 'app-id', role: 'bot' }, conversation: { id: 'a:personal-alice' } },
    });
    expect(update).toMatchObject({ method: 'PUT', activityId: sent.id, status: 200 });

    const root = await app.send(CHANNEL, { type: 'message', text: 'root' });
    await app.reply(CHANNEL, root.id, { type: 'message', text: 'threaded' });
    expect(fake.calls.at(-1)?.conversationId).toBe(`${CHANNEL};messageid=${root.id}`);
    // The SDK's activities client puts replyToId in the body of "Send to conversation": Teams appends it.
    await app.api.conversations.activities(CHANNEL).reply(root.id, { type: 'message', text: 'not threaded' });
    expect(fake.threadOf(CHANNEL, root.id).map((a) => a.activity.text)).toEqual(['threaded']);
    expect(fake.topLevelIn(CHANNEL).map((a) => a.activity.text)).toEqual(['root', 'not threaded']);
  });

  it('surfaces an injected 429 to the SDK caller', async () => {
    fake.failNext({ method: 'POST' }, { status: 429, retryAfter: 1 });
    await expect(app.send('a:personal-alice', { type: 'message', text: 'x' })).rejects.toMatchObject({ response: { status: 429 } });
  });
});
