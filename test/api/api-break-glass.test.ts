import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
type Json = Record<string, unknown>;

// Every answer is checked against the OpenAPI document by the harness.
describe('REST API: break-glass', () => {
  let api: ApiHarness;
  let ursula: string;
  let carol: string;

  async function send(method: string, template: string, token: string, body?: unknown, params?: Record<string, string>, query?: Record<string, string>): Promise<{ status: number; body: Json }> {
    const answer = await api.call(method, template, { token, body, params, query });
    return { status: answer.status, body: answer.body as Json };
  }

  beforeEach(async () => {
    api = await startApiHarness();
    await api.elevate.createGroup(api.operator, 'approvers');
    await api.elevate.addGroupMember(api.operator, 'approvers', 'slack:UCAROL');
    await api.elevate.createGroup(api.operator, 'oncall');
    await api.elevate.addGroupMember(api.operator, 'oncall', 'slack:UURSULA');
    ursula = await api.token('requester', 'slack:UURSULA');
    carol = await api.token('requester', 'slack:UCAROL');
    const admin = await api.token('admin', 'slack:UALICE');
    const policy = await send('POST', '/policies', admin, {
      target: { type: 'task', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', breakGlassGroup: 'oncall', breakGlassMaxDuration: '30m',
    });
    expect(policy.status).toBeLessThan(300);
  });
  afterEach(() => api.stop());

  it('asks for confirmation, grants at once, marks the grant and the check, reviews, lists flagged uses and reports them', async () => {
    const policy = await send('GET', '/policies/{target}', carol, undefined, { target: SEARCH });
    expect(policy.body).toMatchObject({ breakGlassGroupName: 'oncall', breakGlassMaxDurationSeconds: 1800, breakGlassPerDay: 2 });

    const unconfirmed = await send('POST', '/requests', ursula, { target: SEARCH, reason: 'INC-42 outage', breakGlass: true });
    expect(unconfirmed.status).toBe(400);
    expect(JSON.stringify(unconfirmed.body)).toContain('confirm break-glass first: it alerts the 1 approver(s) of approvers');
    const stranger = await send('POST', '/requests', carol, { target: SEARCH, reason: 'x', breakGlass: true, confirm: true });
    expect(stranger.status).toBe(403);
    expect(JSON.stringify(stranger.body)).toContain('only members of oncall may break glass');
    expect(await api.elevate.listGrants(api.operator, {})).toEqual([]);

    const used = await send('POST', '/requests', ursula, { target: SEARCH, reason: 'INC-42 outage', breakGlass: true, confirm: true });
    expect(used.status).toBe(201);
    expect(used.body.request).toMatchObject({ status: 'approved', breakGlass: true });
    const grant = used.body.grant as Json;
    expect(grant).toMatchObject({ status: 'active', breakGlass: true });
    expect(Date.parse(String(grant.endsAt)) - Date.parse(String(grant.startsAt))).toBe(1800_000);
    const check = await api.call('GET', '/check', { token: await api.token('checker'), query: { principal: 'slack:UURSULA', target: SEARCH } });
    expect(check.body).toMatchObject({ allowed: true, grantId: grant.id, breakGlass: true });

    const own = await send('POST', '/break-glass/{id}/review', ursula, { verdict: 'acknowledge' }, { id: String(grant.id) });
    expect(own.status).toBe(403);
    const noComment = await send('POST', '/break-glass/{id}/review', carol, { verdict: 'flag' }, { id: String(grant.id) });
    expect(noComment.status).toBe(400);
    const flagged = await api.call('POST', '/break-glass/{id}/review', { token: carol, body: { verdict: 'flag', comment: 'no such incident' }, params: { id: String(grant.id) } });
    expect(flagged.status).toBe(200);
    expect(flagged.body).toMatchObject({ status: 'flagged', reviewComment: 'no such incident' });
    expect((await send('POST', '/break-glass/{id}/review', carol, { verdict: 'acknowledge' }, { id: String(grant.id) })).status).toBe(409);

    const list = await api.call('GET', '/break-glass', { token: await api.token('auditor', 'slack:UAUDIT'), query: { status: 'flagged' } });
    expect(((list.body as Json).items as Json[]).map((u) => u.grantId)).toEqual([grant.id]);
    const report = await send('GET', '/reports/usage', await api.token('auditor', 'slack:UAUDIT'));
    expect(report.body.breakGlass).toMatchObject({ uses: 1, flagged: [{ grantId: grant.id, comment: 'no such incident' }] });
  });
});
