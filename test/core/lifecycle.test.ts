import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotAllowedError, NotFoundError, NotSupportedError } from '../../src/core/errors.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const VIEW = 'Exchange\\View-Only Recipients';

let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

beforeEach(async () => {
  t = await createTestEngine();
  people = await seedTypicalSetup(t);
});
afterEach(async () => t.close());

async function auditActions(): Promise<string[]> {
  return (await t.store.listAudit({ limit: 10_000 })).map((r) => r.action);
}

describe('the access lifecycle', () => {
  it('request → approve → grant → check → extend → revoke, fully audited', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '2h', reason: 'INC-42 mailbox search' });
    expect(request).toMatchObject({ status: 'pending', durationSeconds: 7200, deadlineAt: '2026-11-28T09:00:00.000Z' });
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);

    t.clock.advance(600);
    const decided = await t.elevate.approve(people.carol, { requestId: request.id, comment: 'ok' });
    expect(decided.outcome).toBe('approved');
    expect(decided.grant).toMatchObject({ status: 'active', startsAt: '2026-11-27T09:10:00.000Z', endsAt: '2026-11-27T11:10:00.000Z' });
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH)).toEqual({ allowed: true, grantId: decided.grant!.id, endsAt: '2026-11-27T11:10:00.000Z' });
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH, '2026-11-27T11:10:00.000Z').allowed).toBe(false);
    expect(t.elevate.checkAuthorization('slack:UCAROL', SEARCH).allowed).toBe(false);
    expect(await t.elevate.pamStatus()).toMatchObject({ enabled: true, policies: 2, pendingRequests: 0, activeGrants: 1 });

    // Four more hours after the current end (11:10), within the policy's 8 h from now.
    const extension = await t.elevate.extendGrant(people.ursula, { grantId: decided.grant!.id, duration: '4h', reason: 'INC-42 still running' });
    await t.elevate.approve(people.dave, { requestId: extension.request.id });
    const [grant] = await t.elevate.listGrants(people.ursula, { status: 'active' });
    expect(grant).toMatchObject({ id: decided.grant!.id, endsAt: '2026-11-27T15:10:00.000Z' });

    await t.elevate.revokeGrant(people.erin, { grantId: grant!.id, comment: 'done with the incident' });
    await t.deliverAll();
    // Both the first request's cards and the extension's now say the access was revoked.
    for (const id of [request.id, extension.request.id]) {
      expect((await t.store.getCard(`request:${id}:requester`))!.card.status!.text).toMatch(/Access revoked by slack:UERIN/);
    }
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
    expect(await auditActions()).toEqual(expect.arrayContaining([
      'request.created', 'request.approved', 'grant.created', 'grant.extended', 'grant.revoked',
    ]));
    expect((await t.elevate.verifyAudit(t.operator)).ok).toBe(true);
  });

  it('auto policies approve at once, still audited and notified', async () => {
    const outcome = await t.elevate.requestAccess(people.ursula, { target: VIEW, reason: 'read-only look' });
    expect(outcome.request).toMatchObject({ status: 'approved', decidedBy: null });
    expect(outcome.grant).toMatchObject({ status: 'active', endsAt: '2026-11-27T13:00:00.000Z' });
    expect(await auditActions()).toEqual(expect.arrayContaining(['request.autoApproved', 'grant.created']));
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UURSULA').map((s) => s.card.title)).toContain(`Access to ${VIEW} granted`);
    expect(t.chat.postsTo('slack:UCAROL')).toHaveLength(1);
  });

  it('a second pending request for the same target returns the first', async () => {
    const first = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    const second = await t.elevate.requestAccess(people.ursula, { target: 'exchange\\search-mailbox', reason: 'INC-2' });
    expect(second).toMatchObject({ existing: true, request: { id: first.request.id } });
  });

  it('N of M: two distinct approvals approve; the counter shows on the card', async () => {
    await t.elevate.updatePolicy(t.operator, SEARCH, { approvalsRequired: 2 });
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-7' });
    const first = await t.elevate.approve(people.carol, { requestId: request.id });
    expect(first).toMatchObject({ outcome: 'recorded', approvals: 1 });
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(/already approved/);
    await t.deliverAll();
    const card = [...t.chat.messages.values()].find((m) => m.destination === 'slack:UDAVE')!.card;
    expect(card.facts.find((f) => f.label === 'Approvals')!.value).toBe('1 of 2 (slack:UCAROL) — waiting for 1 more from approvers');
    expect((await t.elevate.approve(people.dave, { requestId: request.id })).outcome).toBe('approved');
  });

  it('one deny denies, with the comment, and the requester is told', async () => {
    await t.elevate.updatePolicy(t.operator, SEARCH, { approvalsRequired: 2 });
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-7' });
    await t.elevate.approve(people.carol, { requestId: request.id });
    const denied = await t.elevate.deny(people.dave, { requestId: request.id, comment: 'use the runbook' });
    expect(denied.request).toMatchObject({ status: 'denied', decisionComment: 'use the runbook' });
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UURSULA').some((s) => s.card.summary.includes('use the runbook'))).toBe(true);
    await expect(t.elevate.approve(people.erin, { requestId: request.id })).rejects.toThrow(/already denied by slack:UDAVE at 2026-11-27T09:00:00.000Z/);
  });

  it('relinquish ends access for the holder only', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-9' });
    const { grant } = await t.elevate.approve(people.carol, { requestId: request.id });
    await expect(t.elevate.relinquishGrant(people.carol, { grantId: grant!.id })).rejects.toThrow(NotAllowedError);
    const ended = await t.elevate.relinquishGrant(people.ursula, { grantId: grant!.id });
    expect(ended.status).toBe('relinquished');
    await expect(t.elevate.relinquishGrant(people.ursula, { grantId: grant!.id })).rejects.toThrow(ConflictError);
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
  });

  it('the requester cancels a pending request', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-9' });
    await expect(t.elevate.cancelRequest(people.mallory, request.id)).rejects.toThrow(NotAllowedError);
    expect((await t.elevate.cancelRequest(people.ursula, request.id)).status).toBe('cancelled');
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(/already cancelled/);
  });
});

/**
 * Tries `action` twice: both are refused with `error` and `message`, requests, grants and group
 * members are unchanged, and the audit log gained exactly one `refusal` record per try (a refusal
 * of what one may not do), or nothing (bad input: nothing to audit).
 */
async function expectNoChange(action: () => Promise<unknown>, error: new (...args: never[]) => Error, message: RegExp, refusal?: string) {
  const state = () => t.store.read(async (tx) => ({
    requests: await tx.listRequests({ limit: 1000 }),
    grants: await tx.listGrants({ limit: 1000 }),
    members: await Promise.all((await tx.listGroups()).map(async (g) => [g.name, await tx.listGroupMemberIds(g.id)])),
  }));
  const before = await t.store.listAudit({ limit: 10_000 });
  const stateBefore = await state();
  await expect(action()).rejects.toThrow(error);
  await expect(action()).rejects.toThrow(message);
  const after = await t.store.listAudit({ limit: 10_000 });
  expect(after.slice(before.length).map((r) => r.action)).toEqual(refusal ? [refusal, refusal] : []);
  expect(await state()).toEqual(stateBefore);
}

describe('bad input changes nothing', () => {
  it('unknown target: refused with the closest targets', async () => {
    await expectNoChange(() => t.elevate.requestAccess(people.ursula, { target: 'Exchange\\Search-Mailbx', reason: 'x' }), NotFoundError,
      /no policy for Exchange\\Search-Mailbx; closest targets: Exchange\\Search-Mailbox/, 'request.create.refused');
  });
  it('duration over the max or malformed', async () => {
    await expectNoChange(() => t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '9h', reason: 'x' }), InvalidInputError,
      /9h is longer than the 8h allowed/, 'request.create.refused');
    await expectNoChange(() => t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: 'soon', reason: 'x' }), InvalidInputError,
      /not a duration/, 'request.create.refused');
  });
  it('missing reason, with the hint', async () => {
    await expectNoChange(() => t.elevate.requestAccess(people.ursula, { target: SEARCH }), InvalidInputError,
      /a reason is required to request Exchange\\Search-Mailbox \(Give the incident number\)/, 'request.create.refused');
  });
  it('reason pattern for ticket numbers', async () => {
    await t.elevate.updatePolicy(t.operator, SEARCH, { reasonPattern: '^INC-[0-9]+' });
    await expectNoChange(() => t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'because' }), InvalidInputError, /must match/, 'request.create.refused');
    const ok = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'because', ticket: 'INC-7' });
    expect(ok.request.ticket).toBe('INC-7');
  });
  it('self-approval and non-approvers are refused, and audited as refused', async () => {
    await t.elevate.addGroupMember(t.operator, 'approvers', 'slack:UURSULA');
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    await expectNoChange(() => t.elevate.approve(people.ursula, { requestId: request.id }), NotAllowedError, /your own request/, 'request.approve.refused');
    await expectNoChange(() => t.elevate.approve(people.mallory, { requestId: request.id }), NotAllowedError, /only members of approvers/, 'request.approve.refused');
    const refused = (await t.store.listAudit({ action: 'request.approve.refused', limit: 100 }));
    const [ursula, mallory] = [people.ursula, people.mallory].map((a) => (a.kind === 'principal' ? a.principalId : ''));
    expect(refused.map((r) => r.actor)).toEqual([ursula, ursula, mallory, mallory]);
    expect((await t.elevate.getRequest(t.operator, request.id)).request.status).toBe('pending');
  });
  it('unknown request id', async () => {
    await expect(t.elevate.approve(people.carol, { requestId: 'R-NOPE' })).rejects.toThrow(NotFoundError);
  });
  it('PAM disabled: no new requests, and the answer says so', async () => {
    await t.elevate.disablePam(t.operator);
    await expect(t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'x' })).rejects.toThrow(NotSupportedError);
    await expect(t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'x' })).rejects.toThrow(/PAM is disabled/);
    await t.elevate.enablePam(t.operator);
    expect((await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'x' })).request.status).toBe('pending');
    expect(await auditActions()).toEqual(expect.arrayContaining(['pam.disabled', 'pam.enabled']));
  });
});

describe('refusals: what one may not do is refused, audited, and changes nothing', () => {
  async function activeGrantOfUrsula() {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '2h', reason: 'INC-60' });
    return (await t.elevate.approve(people.carol, { requestId: request.id })).grant!;
  }

  it("revoking someone else's grant without being its policy's approver or an admin", async () => {
    const grant = await activeGrantOfUrsula();
    // Mallory approves nothing; the auditor reads everything but changes nothing.
    for (const who of [people.mallory, people.auditor]) {
      await expectNoChange(() => t.elevate.revokeGrant(who, { grantId: grant.id }), NotAllowedError,
        new RegExp(`only approvers of Exchange\\\\Search-Mailbox or admins may revoke grant ${grant.id}`), 'grant.revoke.refused');
    }
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(true);
    // An approver of its policy and an admin may.
    expect((await t.elevate.revokeGrant(people.alice, { grantId: grant.id })).status).toBe('revoked');
  });

  it('extending a grant one does not hold', async () => {
    const grant = await activeGrantOfUrsula();
    for (const who of [people.mallory, people.carol, people.alice]) {
      await expectNoChange(() => t.elevate.extendGrant(who, { grantId: grant.id, duration: '1h', reason: 'mine now' }), NotAllowedError,
        new RegExp(`only the holder may extend grant ${grant.id}`), 'grant.extend.refused');
    }
    await expectNoChange(() => t.elevate.extendGrant(t.operator, { grantId: grant.id, duration: '1h' }), NotAllowedError, /only the holder may extend a grant/);
  });

  it('extending an ended grant', async () => {
    const grant = await activeGrantOfUrsula();
    await t.elevate.relinquishGrant(people.ursula, { grantId: grant.id });
    await expectNoChange(() => t.elevate.extendGrant(people.ursula, { grantId: grant.id, duration: '1h', reason: 'more' }), ConflictError,
      new RegExp(`grant ${grant.id} is relinquished: request access again instead`), 'grant.extend.refused');
    // Past its end, before the scheduler has marked it expired, and after.
    const other = await activeGrantOfUrsula();
    t.clock.advance(2 * 3600);
    await expectNoChange(() => t.elevate.extendGrant(people.ursula, { grantId: other.id, duration: '1h', reason: 'more' }), ConflictError,
      new RegExp(`grant ${other.id} ended at ${other.endsAt}: request access again instead`), 'grant.extend.refused');
    await t.elevate.runDueJobs();
    await expectNoChange(() => t.elevate.extendGrant(people.ursula, { grantId: other.id, duration: '1h', reason: 'more' }), ConflictError,
      new RegExp(`grant ${other.id} is expired`), 'grant.extend.refused');
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
  });

  it('removing the last admin', async () => {
    // Alice is the only admin: neither she nor the operator may leave Elevate without one.
    for (const who of [people.alice, t.operator]) {
      await expectNoChange(() => t.elevate.removeGroupMember(who, 'admins', 'slack:UALICE'), ConflictError,
        /the last admin cannot be removed: add another admin first/, 'configuration.change.refused');
    }
    const admins = (await t.elevate.listGroups()).find((g) => g.name === 'admins')!;
    expect(await t.store.read((tx) => tx.listGroupMemberIds(admins.id))).toEqual([(await t.elevate.principalFor('slack:UALICE')).id]);
  });

  it('approving a request whose policy was removed', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-61' });
    await t.elevate.removePolicy(t.operator, SEARCH);
    // Without its policy, the default approver group (admins) is who could decide; nothing can be granted.
    await expectNoChange(() => t.elevate.approve(people.alice, { requestId: request.id }), ConflictError,
      new RegExp(`the policy for Exchange\\\\Search-Mailbox was removed: request ${request.id} cannot be approved`), 'request.approve.refused');
    await expectNoChange(() => t.elevate.approve(people.carol, { requestId: request.id }), NotAllowedError, /only members of admins may decide/, 'request.approve.refused');
    expect((await t.elevate.getRequest(t.operator, request.id)).request.status).toBe('pending');
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
    // Denying it still works: the requester learns it will not be granted.
    expect((await t.elevate.deny(people.alice, { requestId: request.id, comment: 'policy retired' })).outcome).toBe('denied');
  });
});

describe('decisions are compare-and-set', () => {
  it('50 simultaneous approvals on one request give one outcome and one grant', async () => {
    const approvers = [];
    for (let i = 0; i < 50; i++) {
      await t.elevate.addGroupMember(t.operator, 'approvers', `slack:UAPPROVER${i}`);
      approvers.push(await t.as(`slack:UAPPROVER${i}`));
    }
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-50' });
    const results = await Promise.allSettled(approvers.map((a, i) =>
      i % 2 === 0 ? t.elevate.approve(a, { requestId: request.id }) : t.elevate.deny(a, { requestId: request.id })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(losers.every((r) => r.reason instanceof ConflictError && /already (approved|denied) by/.test(r.reason.message))).toBe(true);
    const grants = await t.elevate.listGrants(t.operator, { status: 'active' });
    expect(grants.length).toBe((won[0] as PromiseFulfilledResult<{ outcome: string }>).value.outcome === 'approved' ? 1 : 0);
    expect((await t.elevate.verifyAudit(t.operator)).ok).toBe(true);
  });
});

describe('visibility', () => {
  it('requesters see their own, approvers their policies, admins and auditors everything', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    expect((await t.elevate.listRequests(people.ursula)).map((r) => r.id)).toEqual([request.id]);
    expect((await t.elevate.listRequests(people.carol)).map((r) => r.id)).toEqual([request.id]);
    expect(await t.elevate.listRequests(people.mallory)).toEqual([]);
    await expect(t.elevate.getRequest(people.mallory, request.id)).rejects.toThrow(NotFoundError);
    await expect(t.elevate.listRequests(people.mallory, { requester: 'slack:UURSULA' })).rejects.toThrow(NotAllowedError);
    expect((await t.elevate.listRequests(people.auditor, { requester: 'slack:UURSULA' })).map((r) => r.id)).toEqual([request.id]);
    expect((await t.elevate.listRequests(people.carol, { decidable: true })).map((r) => r.id)).toEqual([request.id]);
    expect(await t.elevate.listRequests(people.alice, { decidable: true })).toEqual([]);
  });
  it('request get shows and verifies the signature', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    expect((await t.elevate.getRequest(people.ursula, request.id)).signatureValid).toBe(true);
    await t.db.updateTable('requests').set({ duration_seconds: 28800 }).where('id', '=', request.id).execute();
    expect((await t.elevate.getRequest(people.ursula, request.id)).signatureValid).toBe(false);
  });
});

describe('policies', () => {
  it('one policy per target: a second one is a conflict', async () => {
    await expect(t.elevate.createPolicy(t.operator, { target: { type: 'task', scope: 'Exchange', name: 'exchange\\SEARCH-mailbox' }, approval: 'auto' }))
      .rejects.toThrow(/already exists \(manual approval\)/);
  });
  it('a policy nobody can approve is refused with the reason (a lone approver is a warning: see approver-groups.test.ts)', async () => {
    await t.elevate.createGroup(t.operator, 'empty');
    await t.elevate.createGroup(t.operator, 'solo');
    await t.elevate.addGroupMember(t.operator, 'solo', 'slack:USOLO');
    const target = { type: 'role' as const, scope: 'Exchange', name: 'Exchange\\Role Management' };
    await expect(t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'empty' })).rejects.toThrow(/has no members/);
    await expect(t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'ghosts' })).rejects.toThrow(/group "ghosts" does not exist/);
    await expect(t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'approvers', approvalsRequired: 4 })).rejects.toThrow(/3 member\(s\) but Exchange\\Role Management needs 4 approvals/);
    await t.elevate.createGroup(t.operator, 'helpdesk');
    await t.elevate.addGroupMember(t.operator, 'helpdesk', 'slack:UURSULA');
    const created = await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'solo', eligibleGroup: 'helpdesk' });
    expect(created).toMatchObject({ status: 'applied', warnings: [] });
    await expect(t.elevate.requestAccess(people.mallory, { target: target.name, reason: 'x' })).rejects.toThrow(/not eligible/);
  });
  it('the default approver group is used when a policy names none', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    await t.elevate.setProtectedConfiguration(t.operator, 'off');
    await t.elevate.createPolicy(people.alice, { target: { type: 'task', scope: 'Teams', name: 'Teams\\Set-Policy' }, approval: 'manual', reasonRequired: false });
    const { request } = await t.elevate.requestAccess(people.ursula, { target: 'Teams\\Set-Policy' });
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(/only members of admins/);
    expect((await t.elevate.approve(people.alice, { requestId: request.id })).outcome).toBe('approved');
  });
  it('only admins manage policies and groups', async () => {
    await expect(t.elevate.removePolicy(people.carol, SEARCH)).rejects.toThrow(/only Elevate admins/);
    await expect(t.elevate.addGroupMember(people.ursula, 'admins', 'slack:UURSULA')).rejects.toThrow(NotAllowedError);
  });
});

describe('protected configuration', () => {
  it('with two admins, an admin change waits for another admin and is applied exactly as requested', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    const bob = await t.as('slack:UBOB');
    const outcome = await t.elevate.updatePolicy(people.alice, SEARCH, { approval: 'auto' });
    expect(outcome.status).toBe('pending');
    const request = outcome.status === 'pending' ? outcome.request : undefined;
    expect(request!.target.name).toBe('Elevate\\Configuration');
    expect((await t.elevate.getPolicy(SEARCH)).approval).toBe('manual');
    await expect(t.elevate.approve(people.alice, { requestId: request!.id })).rejects.toThrow(/your own request/);
    await expect(t.elevate.approve(people.carol, { requestId: request!.id })).rejects.toThrow(/only members of admins/);
    await t.elevate.approve(bob, { requestId: request!.id });
    expect((await t.elevate.getPolicy(SEARCH)).approval).toBe('auto');
    const [applied] = await t.store.listAudit({ action: 'policy.updated', limit: 10 }).then((r) => r.slice(-1));
    expect(applied!.details).toMatchObject({ approval: { requestId: request!.id } });
    expect(applied!.actor).toBe((await t.elevate.principalFor('slack:UBOB')).id);
  });
  it('disabling PAM by an admin needs another admin; the operator acts directly (break-glass)', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    expect((await t.elevate.disablePam(people.alice)).status).toBe('pending');
    expect((await t.elevate.pamStatus()).enabled).toBe(true);
    expect((await t.elevate.disablePam(t.operator)).status).toBe('applied');
    expect((await t.elevate.pamStatus()).enabled).toBe(false);
    const [record] = (await t.store.listAudit({ action: 'pam.disabled', limit: 10 }));
    expect(record).toMatchObject({ actor: 'operator', origin: 'cli' });
  });
  it('with one admin, changes apply at once (nobody else could approve)', async () => {
    expect((await t.elevate.removePolicy(people.alice, VIEW)).status).toBe('applied');
  });
});

describe('decisions are re-checked when taken', () => {
  it('an approval by someone since removed from the group no longer counts toward the quorum', async () => {
    await t.elevate.updatePolicy(t.operator, SEARCH, { approvalsRequired: 2 });
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    await t.elevate.approve(people.carol, { requestId: request.id });
    await t.elevate.removeGroupMember(t.operator, 'approvers', 'slack:UCAROL');
    expect(await t.elevate.approve(people.dave, { requestId: request.id })).toMatchObject({ outcome: 'recorded', approvals: 1 });
    expect((await t.elevate.approve(people.erin, { requestId: request.id })).outcome).toBe('approved');
  });

  it('a configuration change by someone who is no longer an admin cannot be approved', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UCAROL');
    const bob = await t.as('slack:UBOB');
    const outcome = await t.elevate.removePolicy(people.alice, SEARCH);
    const id = outcome.status === 'pending' ? outcome.request.id : '';
    await t.elevate.removeGroupMember(t.operator, 'admins', 'slack:UALICE');
    await expect(t.elevate.approve(bob, { requestId: id })).rejects.toThrow(/no longer an admin/);
    expect((await t.elevate.getPolicy(SEARCH)).target.name).toBe(SEARCH);
  });

  it('a configuration change that can no longer be applied is closed with the reason, and audited', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    const bob = await t.as('slack:UBOB');
    const outcome = await t.elevate.disablePam(people.alice);
    const id = outcome.status === 'pending' ? outcome.request.id : '';
    await t.elevate.disablePam(t.operator);
    const decided = await t.elevate.approve(bob, { requestId: id });
    expect(decided.request).toMatchObject({ status: 'denied', decisionComment: 'could not be applied: PAM is already disabled' });
    expect((await t.store.listAudit({ action: 'configuration.applyFailed', limit: 5 })).map((r) => r.subject)).toEqual([id]);
  });

  it('a restart does not bring back an admin who was removed', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    await t.elevate.removeGroupMember(t.operator, 'admins', 'slack:UALICE');
    const again = await t.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: [] });
    expect(again).toEqual({ added: [], ignored: ['slack:UALICE → admins'] });
    expect((await t.elevate.listGroups()).find((g) => g.name === 'admins')!.members).toEqual(['slack:UBOB']);
  });
});

describe('audit log', () => {
  it('a tampered row is detected and named', async () => {
    await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    expect((await t.elevate.verifyAudit(people.auditor)).ok).toBe(true);
    const victim = (await t.store.listAudit({ action: 'request.created', limit: 1 }))[0]!;
    await t.db.updateTable('audit_log').set({ details: JSON.stringify({ reason: 'nothing to see' }) }).where('seq', '=', victim.seq).execute();
    const result = await t.elevate.verifyAudit(people.auditor);
    expect(result).toMatchObject({ ok: false, problem: { kind: 'altered', seq: victim.seq } });
  });
  it('a deleted row is detected as missing', async () => {
    await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    await t.db.deleteFrom('audit_log').where('seq', '=', 3).execute();
    expect((await t.elevate.verifyAudit(t.operator)).problem).toMatchObject({ kind: 'missing', seq: 3 });
  });
  it('only admins and auditors read it', async () => {
    await expect(t.elevate.verifyAudit(people.ursula)).rejects.toThrow(NotAllowedError);
  });
});

describe('usage report', () => {
  it('counts requests and outcomes per policy', async () => {
    const a = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    t.clock.advance(300);
    await t.elevate.approve(people.carol, { requestId: a.request.id });
    const b = await t.elevate.requestAccess(people.mallory, { target: SEARCH, reason: 'INC-2' });
    t.clock.advance(900);
    await t.elevate.deny(people.carol, { requestId: b.request.id });
    await t.elevate.requestAccess(people.ursula, { target: VIEW, reason: 'look' });
    const report = await t.elevate.usageReport(people.auditor, { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    expect(report.policies.find((p) => p.target === SEARCH)).toMatchObject({
      requests: 2, approved: 1, denied: 1, medianSecondsToDecision: 300, p90SecondsToDecision: 900, activeGrantsNow: 1,
    });
    expect(report.policies.find((p) => p.target === VIEW)).toMatchObject({ requests: 1, autoApproved: 1 });
    await expect(t.elevate.usageReport(people.ursula, { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' })).rejects.toThrow(NotAllowedError);
  });
});

describe('listing requests an approver may decide', () => {
  it('fills each page past the approver’s own requests, without gaps or repeats', async () => {
    const asked: string[] = [];
    for (let i = 0; i < 3; i++) {
      asked.push((await t.elevate.requestAccess(await t.as(`slack:UREQ${i}`), { target: SEARCH, reason: `INC-${i}` })).request.id);
      t.clock.advance(1);
    }
    // The newest request is Erin's own: she may not decide it, so a first read of 2 keeps only 1.
    await t.elevate.requestAccess(people.erin, { target: SEARCH, reason: 'own' });
    const pages: string[][] = [];
    let before: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page = await t.elevate.listRequests(people.erin, { decidable: true, limit: 2, before });
      if (page.length === 0) break;
      pages.push(page.map((r) => r.id));
      const last = page[page.length - 1]!;
      before = { createdAt: last.createdAt, id: last.id };
    }
    expect(pages).toEqual([[asked[2], asked[1]], [asked[0]]]);
  });
});
