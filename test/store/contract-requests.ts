import { describe, expect, it } from 'vitest';
import { WriteConflictError } from '../../src/core/ports.js';
import type { AccessRequest, Decision } from '../../src/core/model.js';
import type { GrantFilter, RequestFilter } from '../../src/core/ports.js';
import { at, grant, request } from './fixtures.js';
import type { CurrentStore } from './store-contract.js';

const target = (name: string) => ({ type: 'task' as const, scope: 'Exchange', name });

function decision(requestId: string, approverId: string, seconds: number, extra: Partial<Decision> = {}): Decision {
  return { requestId, approverId, approverIdentity: `slack:${approverId}@T1`, kind: 'approve', comment: null, decidedAt: at(seconds), origin: 'slack', ...extra };
}

/** Requests, decisions and grants, with their compare-and-set updates and due-time queries. */
export function describeRequestsContract(store: CurrentStore): void {
  const insert = (...requests: AccessRequest[]) =>
    store().transaction(async (tx) => { for (const r of requests) await tx.insertRequest(r); });
  const ids = (list: Array<{ id: string }>) => list.map((item) => item.id);

  describe('requests', () => {
    it('round-trips a request, including a configuration change', async () => {
      const plain = request('R-1', { ticket: 'CHG-9', reason: null });
      const config = request('R-2', {
        policyId: null, target: { type: 'task', scope: 'Elevate', name: 'Elevate\\Configuration' },
        change: { kind: 'policy.update', targetName: 'Exchange\\X', patch: { approvalsRequired: 2, reasonHint: null } },
        origin: 'cli',
      });
      // What the on-call check found is kept with the request (0018).
      const onCall = request('R-3', { requesterId: 'P-3', onCall: { outcome: 'on call', schedule: 'pagerduty:PSCHED1', shiftEnd: at(3600), answer: 'pagerduty:PSCHED1: 1 on call' } });
      await insert(plain, config, onCall);
      expect(await store().read((tx) => tx.getRequest('R-1'))).toEqual(plain);
      expect(await store().read((tx) => tx.getRequest('R-2'))).toEqual(config);
      expect(await store().read((tx) => tx.getRequest('R-3'))).toEqual(onCall);
      expect(await store().read((tx) => tx.getRequest('R-404'))).toBeUndefined();
    });

    it('finds the pending request of a requester on a target', async () => {
      await insert(
        request('R-1', { status: 'denied' }),
        request('R-2'),
        request('R-3', { requesterId: 'P-2' }),
        request('R-4', { target: target('Exchange\\Other') }),
      );
      expect((await store().read((tx) => tx.findPendingRequest('P-1', 'exchange\\search-mailbox')))?.id).toBe('R-2');
      expect(await store().read((tx) => tx.findPendingRequest('P-9', 'exchange\\search-mailbox'))).toBeUndefined();
    });

    it('lists requests newest first, filtered and limited', async () => {
      await insert(
        request('R-1', { createdAt: at(10), policyId: 'POL-1' }),
        request('R-2', { createdAt: at(20), policyId: 'POL-2', status: 'approved' }),
        request('R-3', { createdAt: at(30), policyId: 'POL-1', requesterId: 'P-2' }),
        request('R-4', { createdAt: at(40), policyId: null, requesterId: 'P-4' }),
      );
      const run = (filter: RequestFilter) => store().read((tx) => tx.listRequests(filter)).then(ids);
      expect(await run({})).toEqual(['R-4', 'R-3', 'R-2', 'R-1']);
      expect(await run({ status: 'pending' })).toEqual(['R-4', 'R-3', 'R-1']);
      expect(await run({ requesterId: 'P-2' })).toEqual(['R-3']);
      expect(await run({ policyIds: ['POL-1', 'POL-9'] })).toEqual(['R-3', 'R-1']);
      expect(await run({ policyIds: [] })).toEqual([]);
      expect(await run({ createdFrom: at(20), createdTo: at(30) })).toEqual(['R-3', 'R-2']);
      expect(await run({ limit: 2 })).toEqual(['R-4', 'R-3']);
    });

    it('limits lists to 100 requests by default', async () => {
      await insert(...Array.from({ length: 105 }, (_, i) => request(`R-${i}`, { createdAt: at(i), requesterId: `P-${i}` })));
      expect(await store().read((tx) => tx.listRequests({}))).toHaveLength(100);
    });

    it('holds one pending request per person and target; configuration requests and decided ones aside', async () => {
      await insert(request('R-1'), request('R-2', { status: 'denied' }), request('R-3', { requesterId: 'P-2' }));
      await expect(insert(request('R-4'))).rejects.toBeInstanceOf(WriteConflictError);
      const change = { kind: 'pam.disable' as const };
      await insert(request('R-5', { policyId: null, change }), request('R-6', { policyId: null, change }));
      expect((await store().read((tx) => tx.listRequests({ status: 'pending' }))).map((r) => r.id).sort()).toEqual(['R-1', 'R-3', 'R-5', 'R-6']);
    });

    it('locks a pending request, and only a pending one', async () => {
      await insert(request('R-1'), request('R-2', { status: 'cancelled' }));
      expect(await store().transaction((tx) => tx.lockPendingRequest('R-1', at(5)))).toBe(true);
      expect(await store().transaction((tx) => tx.lockPendingRequest('R-2', at(5)))).toBe(false);
      expect(await store().transaction((tx) => tx.lockPendingRequest('R-404', at(5)))).toBe(false);
    });

    it('of concurrent deciders, exactly one decides (compare-and-set)', async () => {
      await insert(request('R-1'));
      const decide = (approver: string) => store().transaction(async (tx) => {
        if (!(await tx.lockPendingRequest('R-1', at(5)))) return false;
        const current = (await tx.getRequest('R-1'))!;
        return tx.updateRequestIfPending({ ...current, status: 'approved', decidedAt: at(5), decidedBy: approver });
      });
      const outcomes = await Promise.all(['P-7', 'P-8', 'P-9'].map(decide));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect((await store().read((tx) => tx.getRequest('R-1')))?.status).toBe('approved');
    });

    it('updates every mutable field of a pending request, and nothing once decided', async () => {
      await insert(request('R-1'));
      const decided = request('R-1', {
        status: 'approved', decidedAt: at(60), decidedBy: 'P-2', decisionComment: 'ok', grantId: 'G-1',
        remindedAt: at(30), signature: 'sig-2',
      });
      expect(await store().transaction((tx) => tx.updateRequestIfPending(decided))).toBe(true);
      expect(await store().read((tx) => tx.getRequest('R-1'))).toEqual(decided);
      expect(await store().transaction((tx) => tx.updateRequestIfPending({ ...decided, status: 'denied' }))).toBe(false);
      expect((await store().read((tx) => tx.getRequest('R-1')))?.status).toBe('approved');
    });

    it('marks a pending request reminded, each reminder once (compare-and-set on the previous one), counting them', async () => {
      await insert(request('R-1'), request('R-2', { status: 'expired' }));
      expect(await store().transaction((tx) => tx.markRequestReminded('R-1', at(10)))).toBe(true);
      expect(await store().transaction((tx) => tx.markRequestReminded('R-1', at(20)))).toBe(false);
      expect(await store().transaction((tx) => tx.markRequestReminded('R-2', at(20)))).toBe(false);
      expect((await store().read((tx) => tx.getRequest('R-1')))).toMatchObject({ remindedAt: at(10), remindersSent: 1 });
      expect(await store().transaction((tx) => tx.markRequestReminded('R-1', at(20), at(10)))).toBe(true);
      expect(await store().transaction((tx) => tx.markRequestReminded('R-1', at(30), at(10)))).toBe(false);
      expect((await store().read((tx) => tx.getRequest('R-1')))).toMatchObject({ remindedAt: at(20), remindersSent: 2 });
    });

    it('lists pending requests past their deadline, oldest deadline first, limited', async () => {
      await insert(
        request('R-1', { deadlineAt: at(100) }),
        request('R-2', { deadlineAt: at(50), requesterId: 'P-2' }),
        request('R-3', { deadlineAt: at(101), requesterId: 'P-3' }),
        request('R-4', { deadlineAt: at(10), status: 'approved' }),
      );
      expect(ids(await store().read((tx) => tx.listRequestsPastDeadline(at(100), 10)))).toEqual(['R-2', 'R-1']);
      expect(ids(await store().read((tx) => tx.listRequestsPastDeadline(at(100), 1)))).toEqual(['R-2']);
    });

    it('lists pending requests to remind: last reminded (never reminded: created) at or before the time, under the cap', async () => {
      await insert(
        request('R-1', { createdAt: at(10) }),
        request('R-2', { createdAt: at(5), remindedAt: at(6), remindersSent: 1, requesterId: 'P-2' }),
        request('R-3', { createdAt: at(20), requesterId: 'P-3' }),
        request('R-4', { createdAt: at(1), status: 'denied' }),
        request('R-5', { createdAt: at(2), requesterId: 'P-5' }),
        request('R-6', { createdAt: at(3), remindedAt: at(11), remindersSent: 1, requesterId: 'P-6' }),
        request('R-7', { createdAt: at(4), remindedAt: at(5), remindersSent: 3, requesterId: 'P-7' }),
      );
      expect(ids(await store().read((tx) => tx.listRequestsToRemind(at(10), 10, 3)))).toEqual(['R-5', 'R-2', 'R-1']);
      expect(ids(await store().read((tx) => tx.listRequestsToRemind(at(10), 1, 3)))).toEqual(['R-5']);
      expect(ids(await store().read((tx) => tx.listRequestsToRemind(at(10), 10, 4)))).toEqual(['R-5', 'R-7', 'R-2', 'R-1']);
    });
  });

  describe('decisions', () => {
    it('lists decisions in the order made, per request or for several requests', async () => {
      const d1 = decision('R-1', 'P-3', 20, { kind: 'deny', comment: 'no', origin: 'teams' });
      const d2 = decision('R-1', 'P-2', 10);
      const d3 = decision('R-2', 'P-2', 5);
      await store().transaction(async (tx) => {
        for (const d of [d1, d2, d3]) await tx.insertDecision(d);
      });
      expect(await store().read((tx) => tx.listDecisions('R-1'))).toEqual([d2, d1]);
      expect(await store().read((tx) => tx.listDecisions('R-9'))).toEqual([]);
      expect(await store().read((tx) => tx.listDecisionsForRequests(['R-2', 'R-1', 'R-9']))).toEqual([d2, d1, d3]);
      expect(await store().read((tx) => tx.listDecisionsForRequests([]))).toEqual([]);
    });

    it('refuses a second decision by the same approver', async () => {
      await store().transaction((tx) => tx.insertDecision(decision('R-1', 'P-2', 1)));
      await expect(store().transaction((tx) => tx.insertDecision(decision('R-1', 'P-2', 2, { kind: 'deny' })))).rejects.toThrow();
    });
  });

  describe('grants', () => {
    const insertGrants = (...grants: ReturnType<typeof grant>[]) =>
      store().transaction(async (tx) => { for (const g of grants) await tx.insertGrant(g); });

    it('round-trips a grant', async () => {
      const ended = grant('G-1', {
        target: { type: 'role', scope: 'Exchange', name: 'Exchange\\Role' }, status: 'revoked', endedAt: at(50),
        endedBy: 'P-2', endComment: 'done', expiryNoticeAt: at(40), updatedAt: at(50),
      });
      await insertGrants(ended);
      expect(await store().read((tx) => tx.getGrant('G-1'))).toEqual(ended);
      expect(await store().read((tx) => tx.getGrant('G-404'))).toBeUndefined();
    });

    it('finds the active grant of a principal on a target', async () => {
      await insertGrants(grant('G-1', { status: 'expired' }), grant('G-2'), grant('G-3', { principalId: 'P-2' }));
      expect((await store().read((tx) => tx.findActiveGrant('P-1', 'exchange\\search-mailbox')))?.id).toBe('G-2');
      expect(await store().read((tx) => tx.findActiveGrant('P-1', 'exchange\\other'))).toBeUndefined();
    });

    it('lists grants latest start first, filtered and limited', async () => {
      await insertGrants(
        grant('G-1', { startsAt: at(10) }),
        grant('G-2', { startsAt: at(20), status: 'expired', policyId: 'POL-2' }),
        grant('G-3', { startsAt: at(30), principalId: 'P-2', target: target('Exchange\\Other') }),
      );
      const run = (filter: GrantFilter) => store().read((tx) => tx.listGrants(filter)).then(ids);
      expect(await run({})).toEqual(['G-3', 'G-2', 'G-1']);
      expect(await run({ status: 'active' })).toEqual(['G-3', 'G-1']);
      expect(await run({ principalId: 'P-2' })).toEqual(['G-3']);
      expect(await run({ policyIds: ['POL-2'] })).toEqual(['G-2']);
      expect(await run({ policyIds: [] })).toEqual([]);
      expect(await run({ targetKey: 'exchange\\other' })).toEqual(['G-3']);
      expect(await run({ limit: 1 })).toEqual(['G-3']);
    });

    it('updates an active grant, and nothing once it ended (compare-and-set)', async () => {
      await insertGrants(grant('G-1'));
      const extended = grant('G-1', { endsAt: at(7200), updatedAt: at(60) });
      expect(await store().transaction((tx) => tx.updateGrantIfActive(extended))).toBe(true);
      expect(await store().read((tx) => tx.getGrant('G-1'))).toEqual(extended);
      const revoked = { ...extended, status: 'revoked' as const, endedAt: at(70), endedBy: 'P-2', updatedAt: at(70) };
      expect(await store().transaction((tx) => tx.updateGrantIfActive(revoked))).toBe(true);
      expect(await store().transaction((tx) => tx.updateGrantIfActive({ ...revoked, status: 'relinquished' }))).toBe(false);
      expect(await store().read((tx) => tx.getGrant('G-1'))).toEqual(revoked);
    });

    it('expires many grants in one compare-and-set: only those still active, with the end they were read with, and due', async () => {
      await insertGrants(
        grant('G-1', { endsAt: at(100), principalId: 'P-1' }),
        grant('G-2', { endsAt: at(100), principalId: 'P-2' }),
        grant('G-3', { endsAt: at(100), principalId: 'P-3' }),
        grant('G-4', { endsAt: at(900), principalId: 'P-4' }),
      );
      const read = await store().read((tx) => tx.listGrants({ status: 'active' }));
      // Meanwhile G-2 was revoked and G-3 extended to a time that is also past.
      const g2 = read.find((g) => g.id === 'G-2')!;
      const g3 = read.find((g) => g.id === 'G-3')!;
      await store().transaction((tx) => tx.updateGrantIfActive({ ...g2, status: 'revoked', endedAt: at(150), endedBy: 'P-9', updatedAt: at(150) }));
      await store().transaction((tx) => tx.updateGrantIfActive({ ...g3, endsAt: at(160), updatedAt: at(150) }));
      const expired = read.map((g) => ({ ...g, status: 'expired' as const, endedAt: at(200), updatedAt: at(200), signature: `sig-${g.id}` }));
      const changed = await store().transaction((tx) => tx.expireGrantsIfDue(expired, at(200)));
      expect(changed).toEqual(['G-1']);
      expect(await store().read((tx) => tx.getGrant('G-1'))).toEqual({ ...grant('G-1', { endsAt: at(100) }), status: 'expired', endedAt: at(200), updatedAt: at(200), signature: 'sig-G-1' });
      expect((await store().read((tx) => tx.getGrant('G-2')))?.status).toBe('revoked');
      expect(await store().read((tx) => tx.getGrant('G-3'))).toMatchObject({ status: 'active', endsAt: at(160) });
      expect((await store().read((tx) => tx.getGrant('G-4')))?.status).toBe('active');
      // Run again: nothing is expired twice.
      expect(await store().transaction((tx) => tx.expireGrantsIfDue(expired, at(200)))).toEqual([]);
      expect(await store().transaction((tx) => tx.expireGrantsIfDue([], at(200)))).toEqual([]);
    });

    it('lists active grants past their end, and those to warn, earliest end first', async () => {
      await insertGrants(
        grant('G-1', { endsAt: at(100), principalId: 'P-1' }),
        grant('G-2', { endsAt: at(50), principalId: 'P-2' }),
        grant('G-3', { endsAt: at(200), principalId: 'P-3' }),
        grant('G-4', { endsAt: at(10), status: 'revoked' }),
        grant('G-5', { endsAt: at(60), expiryNoticeAt: at(1), principalId: 'P-5' }),
      );
      expect(ids(await store().read((tx) => tx.listGrantsPastEnd(at(100), 10)))).toEqual(['G-2', 'G-5', 'G-1']);
      expect(ids(await store().read((tx) => tx.listGrantsPastEnd(at(100), 2)))).toEqual(['G-2', 'G-5']);
      expect(ids(await store().read((tx) => tx.listGrantsToWarn(at(150), 10)))).toEqual(['G-2', 'G-1']);
      expect(ids(await store().read((tx) => tx.listGrantsToWarn(at(150), 1)))).toEqual(['G-2']);
    });

    it('keeps scheduled grants apart: due to start by start time, updated only while scheduled', async () => {
      await insertGrants(
        grant('G-1', { status: 'scheduled', startsAt: at(100), endsAt: at(200) }),
        grant('G-2', { status: 'scheduled', startsAt: at(50), endsAt: at(150), principalId: 'P-2' }),
        grant('G-3', { status: 'scheduled', startsAt: at(300), endsAt: at(400), principalId: 'P-3', hook: 'exchange-rbac' }),
        // An active grant of the same person and target beside a scheduled one: allowed.
        grant('G-4', { startsAt: at(0), endsAt: at(60) }),
      );
      expect(ids(await store().read((tx) => tx.listGrantsDueToStart(at(100), 10)))).toEqual(['G-2', 'G-1']);
      expect(ids(await store().read((tx) => tx.listGrantsDueToStart(at(100), 1)))).toEqual(['G-2']);
      expect(ids(await store().read((tx) => tx.listGrantsPastEnd(at(1000), 10)))).toEqual(['G-4']);
      // A scheduled grant (even with a hook whose end has not run) is held by nobody yet.
      expect(ids(await store().read((tx) => tx.listGrantsHeld(10)))).toEqual(['G-4']);
      const started = grant('G-2', { status: 'active', startsAt: at(50), endsAt: at(150), principalId: 'P-2', updatedAt: at(50) });
      expect(await store().transaction((tx) => tx.updateGrantIfActive(started))).toBe(false);
      expect(await store().transaction((tx) => tx.updateGrantIfScheduled(started))).toBe(true);
      expect(await store().transaction((tx) => tx.updateGrantIfScheduled({ ...started, status: 'expired' }))).toBe(false);
      expect(await store().read((tx) => tx.getGrant('G-2'))).toEqual(started);
      expect(ids(await store().read((tx) => tx.listGrantsDueToStart(at(100), 10)))).toEqual(['G-1']);
    });

    it('round-trips the start of a scheduled request', async () => {
      const scheduled = request('R-9', { startsAt: at(3600) });
      await insert(scheduled);
      expect(await store().read((tx) => tx.getRequest('R-9'))).toEqual(scheduled);
    });

    it('holds one active grant per principal and target (a second approval extends the first)', async () => {
      await insertGrants(grant('G-1'), grant('G-2', { status: 'expired' }));
      await expect(insertGrants(grant('G-3'))).rejects.toThrow(WriteConflictError);
      await insertGrants(grant('G-4', { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Other' } }));
    });

    it('marks an active grant warned once', async () => {
      await insertGrants(grant('G-1'), grant('G-2', { status: 'expired' }));
      expect(await store().transaction((tx) => tx.markGrantWarned('G-1', at(5)))).toBe(true);
      expect(await store().transaction((tx) => tx.markGrantWarned('G-1', at(6)))).toBe(false);
      expect(await store().transaction((tx) => tx.markGrantWarned('G-2', at(6)))).toBe(false);
      expect((await store().read((tx) => tx.getGrant('G-1')))?.expiryNoticeAt).toBe(at(5));
    });

    it('lists grants changed since a time (any status), or every active grant', async () => {
      await insertGrants(
        grant('G-1', { updatedAt: at(10) }),
        grant('G-2', { updatedAt: at(20), status: 'revoked' }),
        grant('G-3', { updatedAt: at(30), principalId: 'P-3' }),
        grant('G-4', { updatedAt: at(5), status: 'expired' }),
      );
      expect(ids(await store().listGrantsChangedSince(at(20))).sort()).toEqual(['G-2', 'G-3']);
      expect(ids(await store().listGrantsChangedSince(undefined)).sort()).toEqual(['G-1', 'G-3']);
    });
  });
}
