import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/core/model.js';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => api.stop());

async function auditSince(seq: number): Promise<AuditRecord[]> {
  return (await api.server.engine.store.listAudit({ afterSeq: seq, limit: 100_000 }));
}

async function lastSeq(): Promise<number> {
  return (await api.server.engine.store.getAuditHead())?.seq ?? 0;
}

/** Audit without floods: traffic, or an attacker, cannot grow the log one record per call. */
describe('the API audit under floods', { timeout: 120_000 }, () => {
  it('600 calls with made-up token ids from one address write a burst and one summary, not 600 records', async () => {
    const from = await lastSeq();
    for (let i = 0; i < 600; i++) {
      // A well-formed token naming a different, made-up id each time.
      const made = `elv_TOK-FAKE${i}_${'A'.repeat(43)}`;
      expect((await api.call('GET', '/pam', { token: made })).status).toBe(401);
    }
    await api.server.api.flushSummaries();
    const records = await auditSince(from);
    const refused = records.filter((r) => r.action === 'api.refused');
    const summaries = records.filter((r) => r.action === 'api.refusals');
    expect(refused.length).toBeLessThanOrEqual(30);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!).toMatchObject({ subject: expect.stringMatching(/^address:/), details: { refused: 600 - refused.length, reasons: { unknown: 600 - refused.length } } });
  });

  it('1,000 reads with one token write each route\'s first read and one summary with the counts', async () => {
    const auditor = await api.token('auditor', 'slack:UAUDIT');
    const from = await lastSeq();
    for (let i = 0; i < 500; i++) {
      expect((await api.call('GET', '/pam', { token: auditor })).status).toBe(200);
      expect((await api.call('GET', '/requests', { token: auditor, query: { limit: '1' } })).status).toBe(200);
    }
    await api.server.api.flushSummaries();
    const records = (await auditSince(from)).filter((r) => r.action.startsWith('api.read'));
    expect(records.map((r) => r.action).sort()).toEqual(['api.read', 'api.read', 'api.reads']);
    expect(records.find((r) => r.action === 'api.reads')!.details).toEqual({
      token: auditor.split('_')[1], calls: 998, routes: { 'GET /api/v1/pam': { 200: 499 }, 'GET /api/v1/requests': { 200: 499 } },
    });
  });

  it('verifies the audit log against anchors given in the query', async () => {
    const auditor = await api.token('auditor', 'slack:UAUDIT');
    const plain = await api.call('GET', '/audit/verify', { token: auditor });
    expect(plain).toMatchObject({ status: 200, body: { ok: true, head: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) }, anchors: [] } });
    const { seq, hash } = plain.body.head;
    const anchored = await api.call('GET', '/audit/verify', { token: auditor, query: { anchor: `${seq}:${hash},${seq + 100000}:${hash}` } });
    expect(anchored.body).toMatchObject({ ok: false, problem: null, anchors: [{ ok: true }, { ok: false, message: expect.stringContaining('is missing') }] });
    expect(await api.call('GET', '/audit/verify', { token: auditor, query: { anchor: 'nope' } })).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
  });
});
