import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/http/api/rest-api.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

const TARGET = 'Exchange\\Mailbox Import Export';
const SEARCH = 'Exchange\\Search-Mailbox';

// Each test starts its own server and makes what it reads: it passes or fails alone, in any order.
describe('REST API: the whole lifecycle over real HTTP, every answer checked against the OpenAPI document', () => {
  let api: ApiHarness;
  let chat: RecordingChat;
  let admin: string;
  let auditor: string;
  let checker: string;
  let ursula: string;
  let mallory: string;
  const call: ApiHarness['call'] = (method, template, options) => api.call(method, template, options);

  beforeEach(async () => {
    chat = new RecordingChat('slack');
    api = await startApiHarness({ ports: [chat] });
    admin = await api.token('admin', 'slack:UALICE');
    auditor = await api.token('auditor', 'slack:UAUDIT');
    checker = await api.token('checker');
    ursula = await api.token('requester', 'slack:UURSULA');
    mallory = await api.token('requester', 'slack:UMALLORY');
  });
  afterEach(() => api.stop());

  /** The approver group and the two policies most tests use: a manual one (TARGET) and an automatic one (SEARCH). */
  async function seedPolicies(): Promise<void> {
    await api.elevate.createGroup(api.operator, 'mail-approvers');
    for (const member of ['slack:UALICE', 'slack:UCAROL']) await api.elevate.addGroupMember(api.operator, 'mail-approvers', member);
    await api.elevate.createPolicy(api.operator, {
      target: { type: 'role', scope: 'Exchange', name: TARGET }, approval: 'manual', approverGroup: 'mail-approvers',
      defaultDurationSeconds: 2 * 3600, maxDurationSeconds: 8 * 3600, reasonRequired: true,
    });
    await api.elevate.createPolicy(api.operator, {
      target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'auto', approverGroup: 'mail-approvers',
      defaultDurationSeconds: 30 * 60, maxDurationSeconds: 3600,
    });
  }

  /** A request for TARGET by Ursula, approved by Alice (an admin and approver): its grant's id. */
  async function grantForUrsula(): Promise<{ requestId: string; grantId: string }> {
    const asked = await call('POST', '/requests', { token: ursula, body: { target: TARGET, duration: '1h', reason: 'INC-42 mailbox export' } });
    const approved = await call('POST', '/requests/{id}/approve', { token: admin, params: { id: asked.body.request.id }, body: {} });
    return { requestId: asked.body.request.id, grantId: approved.body.grant.id };
  }

  it('manages groups and policies (admins), and readers see them', async () => {
    expect(await call('POST', '/groups', { token: admin, body: { name: 'mail-approvers', description: 'Exchange on call' } }))
      .toMatchObject({ status: 200, body: { status: 'applied' } });
    expect((await call('POST', '/groups', { token: admin, body: { name: 'mail-approvers' } })).status).toBe(409);
    for (const member of ['slack:UCAROL', 'slack:UALICE']) {
      expect((await call('POST', '/groups/{name}/members', { token: admin, params: { name: 'mail-approvers' }, body: { member } })).status).toBe(200);
    }
    expect((await call('DELETE', '/groups/{name}/members/{member}', { token: admin, params: { name: 'mail-approvers', member: 'slack:UCAROL' } })).status).toBe(200);
    expect((await call('POST', '/groups/{name}/members', { token: admin, params: { name: 'mail-approvers' }, body: { member: 'slack:UCAROL' } })).status).toBe(200);
    const group = await call('GET', '/groups/{name}', { token: auditor, params: { name: 'mail-approvers' } });
    expect(group.body.members).toEqual(['slack:UALICE', 'slack:UCAROL']);
    expect((await call('GET', '/groups/{name}', { token: auditor, params: { name: 'nope' } })).status).toBe(404);
    expect((await call('GET', '/groups', { token: ursula })).body.items.map((g: { name: string }) => g.name)).toContain('mail-approvers');

    const created = await call('POST', '/policies', { token: admin, body: {
      target: { type: 'role', name: TARGET }, approval: 'manual', approverGroup: 'mail-approvers', defaultDuration: '2h', maxDuration: '8h', reasonRequired: true,
    } });
    expect(created).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect((await call('POST', '/policies', { token: admin, body: { target: { type: 'task', name: 'Exchange\\Search-Mailbox' }, approval: 'auto', approverGroup: 'mail-approvers' } })).status).toBe(200);
    expect((await call('PATCH', '/policies/{target}', { token: admin, params: { target: 'Exchange\\Search-Mailbox' }, body: { defaultDuration: '30m', maxDuration: '1h' } })).status).toBe(200);
    const policy = await call('GET', '/policies/{target}', { token: ursula, params: { target: TARGET } });
    expect(policy.body).toMatchObject({ approval: 'manual', approverGroupName: 'mail-approvers', defaultDurationSeconds: 7200, maxDurationSeconds: 28800 });
    expect((await call('GET', '/policies', { token: auditor })).body.items).toHaveLength(2);
    expect((await call('GET', '/policies/{target}', { token: auditor, params: { target: 'Nope\\Nothing' } })).status).toBe(404);
  });

  it('requests, decides, checks, revokes: the check follows at once', async () => {
    await seedPolicies();
    const asked = await call('POST', '/requests', { token: ursula, body: { target: TARGET, duration: '1h', reason: 'INC-42 mailbox export' } });
    expect(asked).toMatchObject({ status: 201, body: { existing: false, grant: null, request: { status: 'pending', origin: 'api' } } });
    const id: string = asked.body.request.id;
    expect(await call('POST', '/requests', { token: ursula, body: { target: TARGET, duration: '1h', reason: 'INC-42 mailbox export' } }))
      .toMatchObject({ status: 200, body: { existing: true, request: { id } } });

    // Others cannot see it; its requester, the approvers' admin and auditors can.
    expect((await call('GET', '/requests/{id}', { token: mallory, params: { id } })).status).toBe(404);
    expect((await call('GET', '/requests/{id}', { token: ursula, params: { id } })).body).toMatchObject({ signatureValid: true, request: { id } });
    expect((await call('GET', '/requests', { token: mallory })).body.items).toEqual([]);
    expect((await call('GET', '/requests', { token: auditor, query: { status: 'pending' } })).body.items.map((r: { id: string }) => r.id)).toEqual([id]);

    const check = { principal: 'slack:UURSULA', target: TARGET };
    expect((await call('GET', '/check', { token: checker, query: check })).body).toEqual({ allowed: false, grantId: null, endsAt: null });

    const approved = await call('POST', '/requests/{id}/approve', { token: admin, params: { id }, body: { comment: 'ok for INC-42' } });
    expect(approved).toMatchObject({ status: 200, body: { outcome: 'approved', request: { status: 'approved' } } });
    const grantId: string = approved.body.grant.id;
    expect((await call('POST', '/requests/{id}/deny', { token: admin, params: { id }, body: {} })).status).toBe(409);
    expect((await call('POST', '/requests/{id}/cancel', { token: ursula, params: { id } })).status).toBe(409);

    expect((await call('GET', '/check', { token: checker, query: check })).body).toEqual({ allowed: true, grantId, endsAt: approved.body.grant.endsAt });
    expect((await call('GET', '/check', { token: checker, query: { ...check, target: 'exchange\\mailbox import export' } })).body.allowed).toBe(true);
    const effective = await call('GET', '/authorizations/effective', { token: auditor, query: { target: TARGET } });
    expect(effective.body.items).toEqual([expect.objectContaining({
      target: expect.objectContaining({ name: TARGET }),
      holders: [expect.objectContaining({ identities: ['slack:UURSULA'], grantId, hookState: 'none' })],
    })]);
    expect((await call('GET', '/authorizations/effective', { token: mallory })).body.items).toEqual([]);
    expect((await call('GET', '/authorizations', { token: ursula, query: { mine: 'true' } })).body.items.map((g: { id: string }) => g.id)).toEqual([grantId]);
    expect((await call('GET', '/authorizations', { token: mallory, query: { principal: 'slack:UURSULA' } })).status).toBe(403);
    expect((await call('GET', '/authorizations/{id}', { token: ursula, params: { id: grantId } })).body).toMatchObject({ id: grantId, status: 'active' });
    expect((await call('GET', '/authorizations/{id}', { token: mallory, params: { id: grantId } })).status).toBe(404);

    // Never past the end: one second before it allowed, at it denied (no refresh needed).
    api.clock.advance(3600 - 1);
    expect((await call('GET', '/check', { token: checker, query: check })).body.allowed).toBe(true);
    api.clock.advance(1);
    expect((await call('GET', '/check', { token: checker, query: check })).body.allowed).toBe(false);
    api.clock.advance(-3600);

    // Someone else's grant: neither revoked nor extended by a requester who approves nothing.
    expect((await call('POST', '/authorizations/{id}/revoke', { token: mallory, params: { id: grantId }, body: {} })).body.error)
      .toEqual({ code: 'not_allowed', message: `only approvers of ${TARGET} or admins may revoke grant ${grantId}` });
    expect((await call('POST', '/authorizations/{id}/extend', { token: mallory, params: { id: grantId }, body: { duration: '1h' } })).status).toBe(403);
    expect((await call('GET', '/check', { token: checker, query: check })).body.allowed).toBe(true);
    const revoked = await call('POST', '/authorizations/{id}/revoke', { token: admin, params: { id: grantId }, body: { comment: 'done' } });
    expect(revoked).toMatchObject({ status: 200, body: { status: 'revoked' } });
    expect((await call('GET', '/check', { token: checker, query: check })).body.allowed).toBe(false);
    expect((await call('POST', '/authorizations/{id}/revoke', { token: admin, params: { id: grantId }, body: {} })).status).toBe(409);
    expect((await call('POST', '/authorizations/{id}/extend', { token: ursula, params: { id: grantId }, body: { duration: '1h' } })).status).toBe(409);
  });

  it('auto-approves, extends and relinquishes for the holder', async () => {
    await seedPolicies();
    const asked = await call('POST', '/requests', { token: ursula, body: { target: 'Exchange\\Search-Mailbox', duration: '30m', reason: 'INC-7' } });
    expect(asked).toMatchObject({ status: 201, body: { request: { status: 'approved' }, grant: { status: 'active' } } });
    const grantId: string = asked.body.grant.id;
    expect((await call('POST', '/authorizations/{id}/relinquish', { token: mallory, params: { id: grantId }, body: {} })).status).toBe(403);
    const extended = await call('POST', '/authorizations/{id}/extend', { token: ursula, params: { id: grantId }, body: { duration: '1h', reason: 'INC-7 takes longer' } });
    expect(extended).toMatchObject({ status: 200, body: { grant: { id: grantId } } });
    expect((await call('POST', '/authorizations/{id}/extend', { token: ursula, params: { id: grantId }, body: { duration: '5h' } })).status).toBe(400);
    expect(await call('POST', '/authorizations/{id}/relinquish', { token: ursula, params: { id: grantId }, body: { comment: 'finished early' } }))
      .toMatchObject({ status: 200, body: { status: 'relinquished', endComment: 'finished early' } });
  });

  it('pages through requests without gaps or repeats, with filters', async () => {
    await seedPolicies();
    const auto = await call('POST', '/requests', { token: ursula, body: { target: SEARCH, duration: '30m', reason: 'INC-7' } });
    for (let i = 0; i < 5; i++) {
      const asked = await call('POST', '/requests', { token: mallory, body: { target: TARGET, duration: '1h', reason: `INC-${i}` } });
      await call('POST', '/requests/{id}/cancel', { token: mallory, params: { id: asked.body.request.id } });
      api.clock.advance(1);
    }
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call('GET', '/requests', { token: auditor, query: { requester: 'slack:UMALLORY', limit: '2', ...(cursor ? { cursor } : {}) } });
      ids.push(...page.body.items.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(5);
    const mine = await call('GET', '/requests', { token: mallory, query: { mine: 'true', status: 'cancelled', limit: '500' } });
    expect(mine.body.items.map((r: { id: string }) => r.id)).toEqual(ids);
    expect((await call('GET', '/requests', { token: auditor, query: { target: SEARCH } })).body.items.map((r: { id: string }) => r.id))
      .toEqual([auto.body.request.id]);
    expect((await call('GET', '/requests', { token: auditor, query: { target: TARGET } })).body.items).toHaveLength(5);
  });

  it('exports and verifies the audit log, where every API use is recorded with origin api', async () => {
    await seedPolicies();
    const { requestId, grantId } = await grantForUrsula();
    await call('POST', '/requests', { token: mallory, body: { target: TARGET, duration: '1h', reason: 'INC-43' } });
    await call('POST', '/requests', { token: ursula, body: { target: SEARCH, reason: 'INC-44' } });
    expect((await call('GET', '/requests/{id}', { token: ursula, params: { id: requestId } })).status).toBe(200);
    await call('POST', '/authorizations/{id}/revoke', { token: admin, params: { id: grantId }, body: {} });
    for (const target of [TARGET, SEARCH, 'Exchange\\Nothing']) {
      for (const principal of ['slack:UURSULA', 'slack:UMALLORY']) await call('GET', '/check', { token: checker, query: { principal, target } });
    }

    const page = await call('GET', '/audit', { token: auditor, query: { action: 'request.created', limit: '2' } });
    expect(page.body.items).toHaveLength(2);
    expect(page.body.items.every((r: { origin: string; details: { token?: string } }) => r.origin === 'api' && r.details.token?.startsWith('TOK-'))).toBe(true);
    const next = await call('GET', '/audit', { token: auditor, query: { action: 'request.created', limit: '2', cursor: page.body.nextCursor } });
    expect(next.body.items[0].seq).toBeGreaterThan(page.body.items[1].seq);

    const jsonl = await call('GET', '/audit', { token: admin, query: { format: 'jsonl' } });
    expect(jsonl.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const records = jsonl.text.trim().split('\n').map((line) => JSON.parse(line) as { action: string; origin: string; subject: string });
    expect(records.some((r) => r.action === 'api.read' && r.subject === 'GET /api/v1/requests/{id}')).toBe(true);
    expect(records.some((r) => r.action === 'request.approved' && r.origin === 'api')).toBe(true);
    const csv = await call('GET', '/audit', { token: auditor, query: { format: 'csv', action: 'grant.revoked' } });
    expect(csv.text.split('\n')[0]).toBe('seq,at,actor,actor_identity,origin,action,subject,details,prev_hash,hash');
    expect(csv.text.trim().split('\n')).toHaveLength(2);
    expect((await call('GET', '/audit', { token: ursula })).status).toBe(403);
    expect((await call('GET', '/audit/verify', { token: auditor })).body).toMatchObject({ ok: true, problem: null });

    // Checks are audited as one summary per token, written periodically and at shutdown.
    const summaries = async () => (await call('GET', '/audit', { token: auditor, query: { action: 'api.checks' } })).body.items;
    expect(await summaries()).toEqual([]);
    await api.server.api.flushSummaries();
    // Ursula held SEARCH (automatic approval); her TARGET grant was revoked; nobody holds the rest.
    expect(await summaries()).toEqual([expect.objectContaining({ origin: 'api', actor: 'system', details: expect.objectContaining({ allowed: 1, denied: 5 }) })]);
  });

  it('reports usage and PAM status, and switches PAM', async () => {
    await seedPolicies();
    const { grantId } = await grantForUrsula();
    await call('POST', '/authorizations/{id}/revoke', { token: admin, params: { id: grantId }, body: {} });
    for (let i = 0; i < 2; i++) {
      const asked = await call('POST', '/requests', { token: mallory, body: { target: TARGET, duration: '1h', reason: `INC-${i}` } });
      await call('POST', '/requests/{id}/cancel', { token: mallory, params: { id: asked.body.request.id } });
    }
    const report = await call('GET', '/reports/usage', { token: auditor });
    expect(report.body.policies.find((p: { target: string }) => p.target === TARGET)).toMatchObject({ requests: 3, approved: 1, cancelled: 2, revoked: 1 });
    expect((await call('GET', '/reports/usage', { token: ursula })).status).toBe(403);
    expect((await call('GET', '/pam', { token: ursula })).body).toMatchObject({ enabled: true, policies: 2 });
    expect((await call('POST', '/pam/enable', { token: admin })).status).toBe(409);
    expect(await call('POST', '/pam/disable', { token: admin })).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect((await call('POST', '/requests', { token: ursula, body: { target: TARGET, reason: 'INC-9' } })).status).toBe(409);
    expect((await call('POST', '/pam/enable', { token: admin })).status).toBe(200);
    expect((await call('DELETE', '/policies/{target}', { token: admin, params: { target: 'Exchange\\Search-Mailbox' } })).status).toBe(200);
  });

  it('shows people and their accounts, and links and unlinks accounts (admins)', async () => {
    await call('POST', '/groups', { token: admin, body: { name: 'helpers' } });
    await call('POST', '/groups/{name}/members', { token: admin, params: { name: 'helpers' }, body: { member: 'slack:UCAROL' } });
    const alice = await call('GET', '/principals/{principal}', { token: auditor, params: { principal: 'slack:ualice' } });
    expect(alice.body).toMatchObject({ identities: ['slack:UALICE'], holds: expect.arrayContaining(['member of admins']) });
    expect(alice.body.accounts[0]).toMatchObject({ identity: 'slack:UALICE', linkedBy: 'first sight' });
    expect((await call('GET', '/principals/{principal}', { token: ursula, params: { principal: 'slack:UALICE' } })).status).toBe(403);
    expect((await call('GET', '/principals/{principal}', { token: ursula, params: { principal: 'slack:UURSULA' } })).status).toBe(200);
    expect((await call('GET', '/principals/{principal}', { token: auditor, params: { principal: 'nobody@example.com' } })).status).toBe(404);
    const linked = await call('POST', '/principals/{principal}/identities', { token: admin, params: { principal: 'slack:UALICE' }, body: { identity: 'teams:aad-alice' } });
    expect(linked).toMatchObject({ status: 200, body: { status: 'applied', summary: 'link teams:aad-alice to slack:UALICE (one person)' } });
    expect((await call('POST', '/principals/{principal}/identities', { token: admin, params: { principal: 'slack:UALICE' }, body: { identity: 'slack:UCAROL' } })).status).toBe(409);
    expect((await call('POST', '/principals/{principal}/identities', { token: admin, params: { principal: 'slack:UALICE' }, body: { identity: 'mallory' } })).status).toBe(400);
    expect((await call('POST', '/principals/{principal}/identities', { token: auditor, params: { principal: 'slack:UALICE' }, body: { identity: 'teams:x' } })).status).toBe(403);
    const all = await call('GET', '/principals', { token: auditor });
    expect(all.body.items.find((p: { identities: string[] }) => p.identities.includes('teams:aad-alice')).identities).toEqual(['slack:UALICE', 'teams:aad-alice']);
    expect((await call('DELETE', '/principals/{principal}/identities/{identity}', { token: admin, params: { principal: 'slack:UALICE', identity: 'teams:aad-alice' } })).status).toBe(200);
    expect((await call('DELETE', '/principals/{principal}/identities/{identity}', { token: admin, params: { principal: 'slack:UALICE', identity: 'teams:aad-alice' } })).status).toBe(409);
  });

  it('turns configuration changes into requests once protection is in force (202)', async () => {
    expect((await call('POST', '/policies', { token: admin, body: { target: { type: 'task', name: 'Exchange\\Get-Recipient' }, approval: 'auto' } })).status).toBe(200);
    await call('POST', '/groups/{name}/members', { token: admin, params: { name: 'admins' }, body: { member: 'slack:UBOB' } });
    const pending = await call('POST', '/policies', { token: admin, body: { target: { type: 'task', name: 'Exchange\\Get-Mailbox' }, approval: 'auto' } });
    expect(pending).toMatchObject({ status: 202, body: { status: 'pending', request: { status: 'pending' } } });
  });

  it('lists deliveries for admins and auditors: failed ones given up for good, newest first, paged', async () => {
    await seedPolicies();
    chat.failNext(1, 'permanent');
    await call('POST', '/requests', { token: ursula, body: { target: TARGET, duration: '1h', reason: 'INC-50' } });
    while (await api.server.dispatcher.runOnce() > 0) { /* until the outbox is drained */ }

    const failed = await call('GET', '/deliveries', { token: auditor, query: { status: 'failed' } });
    expect(failed.body).toEqual({ nextCursor: null, items: [expect.objectContaining({ status: 'failed', platform: 'slack', attempts: 1, lastError: 'refused: not_in_channel' })] });
    const all: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('GET', '/deliveries', { token: admin, query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      all.push(...page.body.items.map((d: { id: number }) => d.id));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(all.length).toBeGreaterThan(2);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    expect(all).toContain(failed.body.items[0].id);
    expect((await call('GET', '/deliveries', { token: admin, query: { status: 'delivered' } })).body.items).toHaveLength(all.length - 1);
    expect((await call('GET', '/deliveries', { token: ursula })).status).toBe(403);
    expect((await call('GET', '/deliveries', { token: admin, query: { status: 'lost' } })).status).toBe(400);
  });

  it('calls every route of the table somewhere in the API tests', () => {
    // Read from the sources, so this holds whichever tests run, and in whatever order.
    const folder = new URL('.', import.meta.url);
    const source = readdirSync(folder).filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(new URL(f, folder), 'utf8')).join('\n');
    const called = new Set([...source.matchAll(/call\('(GET|POST|PATCH|DELETE)', '([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`));
    expect(API_ROUTES.map((r) => `${r.method} ${r.path}`).filter((r) => !called.has(r))).toEqual([]);
  });
});
