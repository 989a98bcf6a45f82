import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePolicyDocument } from '../../src/policy-document/document.js';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

// The CI workflow of the README: plan on pull requests, apply on merge, with an admin token.
describe('REST API: policies as code (POST /config/plan and /config/apply)', () => {
  let api: ApiHarness;
  let admin: string;

  beforeEach(async () => {
    api = await startApiHarness();
    admin = await api.token('admin', 'slack:UALICE');
    await api.elevate.createGroup(api.operator, 'approvers');
    await api.elevate.addGroupMember(api.operator, 'approvers', 'slack:UCAROL');
    await api.elevate.addGroupMember(api.operator, 'approvers', 'slack:UDAVE');
  });
  afterEach(() => api.stop());

  it('plans and applies a document, and refuses a broken one with its line', async () => {
    const current = writePolicyDocument(await api.elevate.exportConfiguration(api.operator));
    const document = current.replace('policies: []', 'policies:\n  - task: Exchange\\Search-Mailbox\n    approval: manual\n    approverGroup: approvers\n    maxDuration: 8h\n');
    const plan = await api.call('POST', '/config/plan', { token: admin, body: { document } });
    expect(plan.status).toBe(200);
    expect(plan.body.items).toEqual([{ change: 'added', kind: 'policy', name: 'Exchange\\Search-Mailbox', fields: [] }]);
    expect((await api.elevate.listPolicies())).toEqual([]);

    const applied = await api.call('POST', '/config/apply', { token: admin, body: { document } });
    expect(applied).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect((await api.call('POST', '/config/plan', { token: admin, body: { document } })).body.changes).toEqual([]);
    expect((await api.call('POST', '/config/apply', { token: admin, body: { document } })).body.status).toBe('unchanged');

    const broken = await api.call('POST', '/config/plan', { token: admin, body: { document: document.replace('maxDuration: 8h', 'maxDuration: forever') } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/^document:\d+: policies\[0\]\.maxDuration: write a duration like 30m, 2h or 1h30m/);
    expect(broken.body.error.details).toMatchObject({ line: expect.any(Number), field: 'policies[0].maxDuration' });

    const auditor = await api.token('auditor', 'slack:UAUDIT');
    expect((await api.call('POST', '/config/apply', { token: auditor, body: { document } })).status).toBe(403);
  });

  it('under protected configuration the apply is one configuration request (202) with the whole plan', async () => {
    await api.elevate.addGroupMember(api.operator, 'admins', 'slack:UBOB');
    const current = writePolicyDocument(await api.elevate.exportConfiguration(api.operator));
    const document = current.replace('policies: []', 'policies:\n  - role: Exchange\\View-Only Recipients\n    approval: auto\n    approverGroup: approvers\n');
    const answer = await api.call('POST', '/config/apply', { token: admin, body: { document } });
    expect(answer.status).toBe(202);
    expect(answer.body.request.reason).toBe('apply a configuration document (1 change(s)):\n+ policy Exchange\\View-Only Recipients');
    expect(answer.body.request.change.kind).toBe('document.apply');
    const bob = await api.token('admin', 'slack:UBOB');
    expect((await api.call('POST', '/requests/{id}/approve', { token: bob, params: { id: answer.body.request.id }, body: {} })).body.outcome).toBe('approved');
    expect((await api.elevate.listPolicies()).map((p) => p.target.name)).toEqual(['Exchange\\View-Only Recipients']);
  });
});
