import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/http/api/rest-api.js';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

describe('REST API: authentication, scopes, malformed input and limits', () => {
  let api: ApiHarness;
  let admin: string;
  let auditor: string;
  let checker: string;
  let requester: string;

  beforeAll(async () => {
    api = await startApiHarness({ env: { ELEVATE_API_WRITES_PER_MINUTE: '1', ELEVATE_API_WRITE_BURST: '3' } });
    admin = await api.token('admin', 'slack:UALICE');
    auditor = await api.token('auditor', 'slack:UAUDIT');
    checker = await api.token('checker');
    requester = await api.token('requester', 'slack:UURSULA');
  });
  afterAll(() => api.stop());

  it('publishes a valid OpenAPI 3.1 document naming every route, without a token', async () => {
    const validator = new Validator();
    const result = await validator.validate(api.openApi as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    for (const route of API_ROUTES) {
      expect(api.openApi.paths[`/api/v1${route.path}`]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('refuses missing, malformed, unknown, revoked and expired tokens with 401, and audits the refusals', async () => {
    const none = await api.call('GET', '/pam');
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await api.call('GET', '/pam', { headers: { authorization: 'Basic YTpi' } })).status).toBe(401);
    expect((await api.call('GET', '/pam', { token: 'not-a-token' })).body.error.message).toBe('the token is not an Elevate token');
    const forged = admin.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await api.call('GET', '/pam', { token: forged })).body.error.message).toBe('the token is unknown');

    const doomed = await api.token('auditor', 'slack:UAUDIT');
    expect((await api.call('GET', '/pam', { token: doomed })).status).toBe(200);
    await api.elevate.revokeApiToken(api.operator, doomed.split('_')[1]!);
    // Revocation reaches every instance's token cache within a second.
    const deadline = Date.now() + 5000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await api.call('GET', '/pam', { token: doomed })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);

    const shortLived = await api.token('auditor', 'slack:UAUDIT', '1h');
    api.clock.advance(3600);
    expect((await api.call('GET', '/pam', { token: shortLived })).body.error.message).toBe('the token is expired');
    api.clock.advance(-3600);

    const refusals = (await api.call('GET', '/audit', { token: auditor, query: { action: 'api.refused', limit: '100' } })).body.items;
    expect(refusals.map((r: { details: { reason: string } }) => r.details.reason)).toEqual(expect.arrayContaining(['missing', 'malformed', 'unknown', 'revoked', 'expired']));
  });

  it('holds each scope to its routes', async () => {
    expect(await api.call('GET', '/requests', { token: checker })).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope' } } });
    expect((await api.call('GET', '/check', { token: checker, query: { principal: 'slack:U1', target: 'A\\B' } })).status).toBe(200);
    expect((await api.call('GET', '/check', { token: requester, query: { principal: 'slack:U1', target: 'A\\B' } })).status).toBe(403);
    expect((await api.call('POST', '/policies', { token: auditor, body: { target: { type: 'task', name: 'A\\B' }, approval: 'auto' } })).status).toBe(403);
    expect((await api.call('POST', '/requests/{id}/approve', { token: requester, params: { id: 'R-1' }, body: {} })).status).toBe(404);
    expect((await api.call('POST', '/pam/disable', { token: requester })).status).toBe(403);
    // Refusals before the core are audited with the token.
    const refused = (await api.call('GET', '/audit', { token: auditor, query: { action: 'api.refused', limit: '500' } })).body.items;
    expect(refused).toEqual(expect.arrayContaining([expect.objectContaining({
      subject: 'POST /api/v1/pam/disable', actor: (await api.elevate.principalFor('slack:UURSULA')).id, actorIdentity: expect.stringMatching(/^token:TOK-/),
      details: expect.objectContaining({ reason: 'insufficient_scope', token: expect.stringMatching(/^TOK-/) }),
    })]));
    expect((await api.call('GET', '/audit', { token: requester })).status).toBe(403);
    expect((await api.call('GET', '/pam', { token: auditor })).status).toBe(200);
  });

  it('refuses to create tokens that would give more than their principal has', async () => {
    await expect(api.elevate.createApiToken(api.operator, { name: 'x', scope: 'admin', as: 'slack:UURSULA' })).rejects.toThrow(/not an Elevate admin/);
    await expect(api.elevate.createApiToken(api.operator, { name: 'x', scope: 'auditor', as: 'slack:UURSULA' })).rejects.toThrow(/neither an auditor nor an admin/);
    await expect(api.elevate.createApiToken(api.operator, { name: 'x', scope: 'checker', as: 'slack:UURSULA' })).rejects.toThrow(/act as nobody/);
    await expect(api.elevate.createApiToken(api.operator, { name: 'x', scope: 'requester', as: 'slack:UALICE' })).rejects.toThrow(/is an admin: a requester token/);
    await expect(api.elevate.createApiToken(api.operator, { name: 'x', scope: 'requester', as: 'slack:UAUDIT' })).rejects.toThrow(/is an auditor/);
    await expect(api.elevate.createApiToken(api.operator, { name: 'x', scope: 'requester' })).rejects.toThrow(/name one with --as/);
    await expect(api.elevate.createApiToken(api.operator, { name: 'x', scope: 'root', as: 'slack:UURSULA' })).rejects.toThrow(/not one of/);
    await expect(api.elevate.createApiToken(api.operator, { name: '', scope: 'checker' })).rejects.toThrow(/token name/);
    await expect(api.elevate.createApiToken(api.operator, { name: 'y', scope: 'checker', expires: 'soon' })).rejects.toThrow(/duration/);
    const { token } = await api.elevate.createApiToken(api.operator, { name: 'dup', scope: 'checker' });
    await expect(api.elevate.createApiToken(api.operator, { name: 'dup', scope: 'checker' })).rejects.toThrow(/already exists/);
    const listed = await api.elevate.listApiTokens(api.operator);
    expect(listed.find((t) => t.id === token.id)).not.toHaveProperty('secretHash');
    const requesterActor = { kind: 'principal' as const, principalId: (await api.elevate.principalFor('slack:UURSULA')).id, origin: 'cli' as const };
    await expect(api.elevate.createApiToken(requesterActor, { name: 'z', scope: 'checker' })).rejects.toThrow(/only Elevate admins/);
  });

  it('stops a token whose principal no longer fits its scope (403), at once after the cache second', async () => {
    await api.elevate.addGroupMember(api.operator, 'admins', 'slack:UBOB');
    const bob = await api.token('admin', 'slack:UBOB');
    expect((await api.call('GET', '/pam', { token: bob })).status).toBe(200);
    await api.elevate.removeGroupMember(api.operator, 'admins', 'slack:UBOB');
    let answer = await api.call('GET', '/pam', { token: bob });
    for (let i = 0; i < 30 && answer.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await api.call('GET', '/pam', { token: bob });
    }
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'not_entitled', message: expect.stringMatching(/not an Elevate admin/) } } });
  });

  it('compares times given with any offset as the instants they are', async () => {
    const now = new Date(api.clock.now());
    const hourAgoInParis = new Date(now.getTime() - 3600_000 + 7200_000).toISOString().replace('Z', '+02:00').replace(/\.\d{3}/, '');
    const since = await api.call('GET', '/audit', { token: auditor, query: { from: hourAgoInParis, action: 'token.created', limit: '1000' } });
    expect(since.status).toBe(200);
    expect(since.body.items.length).toBeGreaterThan(0);
  });

  it('refuses malformed input before it reaches the core, changing nothing', async () => {
    const before = (await api.call('GET', '/audit', { token: auditor, query: { action: 'request.created' } })).body.items.length;
    // A fresh token each time: this test is about validation, not the write limit (burst 3 here).
    const post = async (options: Parameters<ApiHarness['call']>[2]) => api.call('POST', '/requests', { token: await api.token('requester', 'slack:UURSULA'), ...options });
    expect(await post({ raw: '{"target": ' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    expect(await post({ body: { target: 'A\\B', sneaky: true } })).toMatchObject({ status: 400, body: { error: { code: 'invalid_input', message: expect.stringMatching(/sneaky/) } } });
    expect(await post({ body: { target: 'A\\B', duration: 'forever' } })).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/duration/) } } });
    expect(await post({ body: ['A\\B'] })).toMatchObject({ status: 400 });
    expect(await post({ raw: 'target=A', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    const huge = await post({ body: { target: 'A\\B', reason: 'x'.repeat(70 * 1024) } });
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    expect((await api.call('GET', '/requests', { token: auditor, query: { status: 'maybe' } })).status).toBe(400);
    expect((await api.call('GET', '/requests', { token: auditor, query: { limit: '100000' } })).status).toBe(400);
    expect((await api.call('GET', '/requests', { token: auditor, query: { cursor: 'garbage' } })).body.error.message).toMatch(/cursor/);
    expect((await api.call('GET', '/requests', { token: auditor, query: { nope: '1' } })).status).toBe(400);
    const twice = await fetch(`${api.base}/api/v1/check?principal=slack:U1&principal=slack:U2&target=A%5CB`, { headers: { authorization: `Bearer ${checker}` } });
    expect(twice.status).toBe(400);
    expect((await api.call('GET', '/check', { token: checker, query: { principal: 'slack:U1' } })).status).toBe(400);
    expect((await api.call('GET', '/pam', { token: auditor, query: { x: '1' } })).status).toBe(400);
    expect((await api.call('GET', '/requests/{id}', { token: auditor, params: { id: 'R-NOPE' } })).status).toBe(404);
    const unknownRoute = await fetch(`${api.base}/api/v1/nothing`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(unknownRoute.status).toBe(404);
    expect(await unknownRoute.json()).toMatchObject({ error: { code: 'not_found' } });
    const wrongMethod = await fetch(`${api.base}/api/v1/pam`, { method: 'PUT', headers: { authorization: `Bearer ${auditor}` } });
    expect(wrongMethod.status).toBe(405);
    expect((await api.call('GET', '/audit', { token: auditor, query: { action: 'request.created' } })).body.items.length).toBe(before);
  });

  it('limits writes per token with 429 and Retry-After, not reads, and not other tokens', async () => {
    const writer = await api.token('requester', 'slack:UWRITER');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.call('POST', '/requests/{id}/cancel', { token: writer, params: { id: `R-${i}` } })).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    const limited = await api.call('POST', '/requests/{id}/cancel', { token: writer, params: { id: 'R-9' } });
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await api.call('GET', '/requests', { token: writer })).status).toBe(200);
    const other = await api.token('requester', 'slack:UOTHER');
    expect((await api.call('POST', '/requests/{id}/cancel', { token: other, params: { id: 'R-1' } })).status).toBe(404);
  });
});
