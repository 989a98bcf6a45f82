import { App } from '@microsoft/teams.apps';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeBotConnector } from './fake-bot-connector.js';

const AUTH = { authorization: 'Bearer test-token', 'content-type': 'application/json' };

/** An unsigned JWT the Teams SDK accepts as a bot token (it decodes it to read `exp`; nobody verifies it). */
function unsignedJwt(claims: Record<string, unknown> = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600; // one hour: never expires during a test
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: 'https://api.botframework.com', appid: 'app-id', exp, ...claims })}.`;
}

describe('FakeBotConnector over plain HTTP', () => {
  let fake: FakeBotConnector;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) => {
    const res = await fetch(new URL(path, fake.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  beforeEach(async () => {
    fake = await FakeBotConnector.start();
    fake.addUser({ id: '29:alice', aadObjectId: 'aad-alice', name: 'Alice', email: 'alice@example.test' });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('creates a 1:1 conversation once per member, with an optional first activity', async () => {
    const created = await call('POST', '/v3/conversations', { bot: { id: '28:app-id' }, members: [{ id: '29:alice' }], tenantId: 't1' });
    expect(created).toMatchObject({ status: 201, body: { id: 'a:conv-29:alice' } });
    expect(fake.conversationFor('29:alice')).toBe('a:conv-29:alice');
    expect(fake.conversations.get('a:conv-29:alice')).toMatchObject({ members: ['29:alice'], isGroup: false, tenantId: 't1' });

    const again = await call('POST', '/v3/conversations', {
      bot: { id: '28:app-id' }, members: [{ id: '29:alice' }], activity: { type: 'message', text: 'first' },
    });
    expect(again.body.id).toBe('a:conv-29:alice');
    expect(again.body.activityId).toEqual(expect.any(String));
    expect(fake.activitiesIn('a:conv-29:alice')).toEqual([
      { conversationId: 'a:conv-29:alice', id: again.body.activityId, activity: { type: 'message', text: 'first' }, updates: 0 },
    ]);

    expect((await call('POST', '/v3/conversations', { bot: { id: '28:app-id' }, members: [] })).status).toBe(400);
    expect(fake.conversationFor('29:nobody')).toBeUndefined();
  });

  it('sends, replies and updates activities in conversations whose ids need decoding', async () => {
    const channel = '19:abc@thread.tacv2;messageid=1712';
    const base = `/v3/conversations/${encodeURIComponent(channel)}/activities`;
    const sent = await call('POST', base, { type: 'message', text: 'card v1' });
    expect(sent.status).toBe(201);
    const reply = await call('POST', `${base}/${sent.body.id}`, { type: 'message', text: 'in thread' });
    const replyInBody = await call('POST', `/v3/conversations/${channel}/activities`, { type: 'message', text: 'sdk reply', replyToId: sent.body.id });
    expect(new Set([sent.body.id, reply.body.id, replyInBody.body.id]).size).toBe(3);

    const updated = await call('PUT', `${base}/${sent.body.id}`, { type: 'message', id: sent.body.id, text: 'card v2' });
    expect(updated).toMatchObject({ status: 200, body: { id: sent.body.id } });

    expect(fake.activitiesIn(channel).map((a) => [a.activity.text, a.updates, a.replyToId])).toEqual([
      ['card v2', 1, undefined], ['in thread', 0, sent.body.id], ['sdk reply', 0, sent.body.id],
    ]);
    expect(fake.findActivity((a) => a.activity.text === 'in thread')?.id).toBe(reply.body.id);
    expect(fake.calls.map((c) => [c.method, c.conversationId, c.activityId, c.status])).toEqual([
      ['POST', channel, undefined, 201], ['POST', channel, sent.body.id, 201], ['POST', channel, undefined, 201], ['PUT', channel, sent.body.id, 200],
    ]);
    expect(fake.calls[3]).toMatchObject({ path: `/v3/conversations/${channel}/activities/${sent.body.id}`, body: { text: 'card v2' } });
  });

  it('answers 404 ActivityNotFound for an unknown activity and changes nothing', async () => {
    const sent = await call('POST', '/v3/conversations/a:conv-1/activities', { type: 'message', text: 'x' });
    const unknown = await call('PUT', '/v3/conversations/a:conv-1/activities/999', { type: 'message', text: 'y' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'ActivityNotFound' } } });
    const otherConversation = await call('PUT', `/v3/conversations/a:conv-2/activities/${sent.body.id}`, { type: 'message', text: 'y' });
    expect(otherConversation.status).toBe(404);
    expect(fake.activitiesIn('a:conv-1')[0]).toMatchObject({ activity: { text: 'x' }, updates: 0 });
  });

  it('fails matching calls on demand: 429 with Retry-After, then 5xx, then succeeds', async () => {
    fake.failNext({ method: 'POST', pathIncludes: '/activities' }, { status: 429, retryAfter: 3 });
    fake.failNext({ pathIncludes: 'a:conv-9' }, { status: 502 }, 2);
    const throttled = await call('POST', '/v3/conversations/a:conv-1/activities', { type: 'message', text: 'x' });
    expect(throttled).toMatchObject({ status: 429, body: { error: { code: 'Throttled' } } });
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect((await call('POST', '/v3/conversations/a:conv-9/activities', { type: 'message' })).status).toBe(502);
    expect((await call('POST', '/v3/conversations/a:conv-9/activities', { type: 'message' })).status).toBe(502);
    expect((await call('POST', '/v3/conversations/a:conv-9/activities', { type: 'message' })).status).toBe(201);
    expect(fake.activitiesIn('a:conv-1')).toEqual([]);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 502, 502, 201]);
  });

  it('requires a bearer token, accepting any', async () => {
    expect((await call('POST', '/v3/conversations/a:conv-1/activities', { type: 'message' }, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await call('POST', '/v3/conversations/a:conv-1/activities', { type: 'message' }, { authorization: 'Basic x' })).status).toBe(401);
    expect((await call('POST', '/v3/conversations/a:conv-1/activities', { type: 'message' }, { authorization: 'Bearer anything' })).status).toBe(201);
    expect(fake.activitiesIn('a:conv-1')).toHaveLength(1);
  });

  it('answers member look-ups as TeamsChannelAccounts', async () => {
    const created = await call('POST', '/v3/conversations', { bot: { id: '28:app-id' }, members: [{ id: 'aad-alice' }] });
    const alice = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice', email: 'alice@example.test', userPrincipalName: 'alice@example.test' };
    expect((await call('GET', `/v3/conversations/${created.body.id}/members`)).body).toEqual([expect.objectContaining(alice)]);
    expect((await call('GET', `/v3/conversations/${created.body.id}/members/29:alice`)).body).toMatchObject(alice);
    expect((await call('GET', '/v3/conversations/19:team@thread.tacv2/members/aad-alice')).body).toMatchObject(alice);
    expect((await call('GET', '/v3/conversations/19:team@thread.tacv2/members/29:bob')).status).toBe(404);
  });

  it('refuses activities over the Teams message size limit with 413', async () => {
    const big = await call('POST', '/v3/conversations/a:conv-1/activities', { type: 'message', text: 'x'.repeat(30 * 1024) });
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'MessageSizeTooBig' } } });
    expect(fake.activitiesIn('a:conv-1')).toEqual([]);
  });
});

describe('FakeBotConnector driven by the Teams SDK App', () => {
  let fake: FakeBotConnector;
  beforeEach(async () => {
    fake = await FakeBotConnector.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('receives app.send, app.reply and updates from a real App', async () => {
    const tokenScopes: unknown[] = [];
    const app = new App({
      serviceUrl: fake.url,
      clientId: 'app-id',
      token: (scope) => {
        tokenScopes.push(scope);
        return unsignedJwt();
      },
      httpServerAdapter: { registerRoute() {} },
    });
    await app.initialize();

    const sent = await app.send('a:conv-29:alice', { type: 'message', text: 'hi' });
    expect(sent.id).toBe(fake.activitiesIn('a:conv-29:alice')[0]?.id);
    await app.send('a:conv-29:alice', { type: 'message', id: sent.id, text: 'hi again' });
    await app.reply('19:c@thread.tacv2', sent.id, { type: 'message', text: 'threaded' });

    expect(fake.activitiesIn('a:conv-29:alice')).toEqual([expect.objectContaining({ updates: 1, activity: expect.objectContaining({ text: 'hi again' }) })]);
    expect(tokenScopes[0]).toBe('https://api.botframework.com/.default');
    const [first, update, reply] = fake.calls;
    expect(first).toMatchObject({
      method: 'POST', path: '/v3/conversations/a:conv-29:alice/activities', status: 201,
      body: { type: 'message', text: 'hi', from: { id: 'app-id', role: 'bot' }, conversation: { id: 'a:conv-29:alice' } },
    });
    expect(update).toMatchObject({ method: 'PUT', activityId: sent.id, status: 200 });
    expect(reply).toMatchObject({ method: 'POST', status: 201 });
    expect(reply?.conversationId).toBe(`19:c@thread.tacv2;messageid=${sent.id}`);
  });

  it('surfaces an injected 429 to the SDK caller', async () => {
    const app = new App({ serviceUrl: fake.url, clientId: 'app-id', token: () => unsignedJwt(), httpServerAdapter: { registerRoute() {} } });
    await app.initialize();
    fake.failNext({ method: 'POST' }, { status: 429, retryAfter: 1 });
    await expect(app.send('a:conv-1', { type: 'message', text: 'x' })).rejects.toMatchObject({ response: { status: 429 } });
  });
});
