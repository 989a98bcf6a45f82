import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
type Json = Record<string, unknown>;

// Every answer is checked against the OpenAPI document by the harness.
describe('REST API: scheduled windows', () => {
  let api: ApiHarness;
  let ursula: string;
  let carol: string;

  async function send(method: string, template: string, token: string, body?: unknown, params?: Record<string, string>): Promise<{ status: number; body: Json }> {
    const answer = await api.call(method, template, { token, body, params });
    return { status: answer.status, body: answer.body as Json };
  }

  beforeEach(async () => {
    api = await startApiHarness({ env: { ELEVATE_MAX_SCHEDULE_AHEAD: '7d' } });
    await api.elevate.createGroup(api.operator, 'approvers');
    await api.elevate.addGroupMember(api.operator, 'approvers', 'slack:UCAROL');
    await api.elevate.createPolicy(api.operator, {
      target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', maxDurationSeconds: 8 * 3600,
    });
    ursula = await api.token('requester', 'slack:UURSULA');
    carol = await api.token('requester', 'slack:UCAROL');
  });
  afterEach(() => api.stop());

  it('documents start and startsAt, asks for a window, approves it early, cancels it before its start', async () => {
    const schemas = (api.openApi as unknown as { components: { schemas: Record<string, { properties: Json }> } }).components.schemas;
    expect(schemas.RequestCreate!.properties).toHaveProperty('start');
    expect(schemas.Request!.properties).toHaveProperty('startsAt');

    const start = new Date(Math.floor(Date.parse(api.clock.now()) / 1000) * 1000 + 5 * 3600_000).toISOString();
    const tooFar = await send('POST', '/requests', ursula, { target: SEARCH, duration: '2h', reason: 'CHG-7', start: '+8d' });
    expect(tooFar.status).toBe(400);
    expect(JSON.stringify(tooFar.body)).toContain('ELEVATE_MAX_SCHEDULE_AHEAD');
    expect(await api.elevate.listRequests(api.operator, {})).toEqual([]);

    const created = await send('POST', '/requests', ursula, { target: SEARCH, duration: '2h', reason: 'CHG-7', start });
    expect(created.status).toBe(201);
    const request = created.body.request as Json;
    expect(request).toMatchObject({ status: 'pending', startsAt: start });

    const approved = await send('POST', '/requests/{id}/approve', carol, {}, { id: String(request.id) });
    expect(approved.status).toBe(200);
    expect(approved.body.grant).toMatchObject({ status: 'scheduled', startsAt: start });
    const check = await api.call('GET', '/check', { token: await api.token('checker'), query: { principal: 'slack:UURSULA', target: SEARCH } });
    expect(check.body).toMatchObject({ allowed: false });

    const cancelled = await send('POST', '/requests/{id}/cancel', ursula, {}, { id: String(request.id) });
    expect(cancelled.status).toBe(200);
    expect((await api.elevate.listGrants(api.operator, { status: 'relinquished' }))[0]).toMatchObject({ endComment: 'cancelled before its start' });
  });
});
