import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../../src/core/errors.js';
import { createTestEngine, type TestEngine } from '../helpers/engine.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const target = { type: 'task' as const, scope: 'Exchange', name: SEARCH };

let t: TestEngine;

beforeEach(async () => {
  t = await createTestEngine();
  await t.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: [] });
});
afterEach(async () => t.close());

async function records(action: string) {
  return t.store.listAudit({ action, limit: 100 });
}

describe('approver groups: refuse only what can never approve', () => {
  it('one approver for one approval is saved, with a warning naming the approver whose own requests could not be approved (the quick start)', async () => {
    await t.elevate.createGroup(t.operator, 'approvers');
    await t.elevate.addGroupMember(t.operator, 'approvers', 'slack:UCAROL');
    const outcome = await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'approvers', maxDurationSeconds: 8 * 3600 });
    expect(outcome.status).toBe('applied');
    expect(outcome.warnings).toEqual([
      `requests for ${SEARCH} by slack:UCAROL could never be approved: nobody decides their own request, and approvers has no other member for 1 approval(s). `
        + 'Add a member to approvers, or limit who may request with an eligible group',
    ]);
    const [created] = await records('policy.created');
    expect(created!.details.warnings).toEqual(outcome.warnings);
    await t.deliverAll();
    expect(t.chat.postsTo('feed').map((s) => s.card.summary)).toContainEqual(expect.stringContaining('Warning: requests for Exchange\\Search-Mailbox by slack:UCAROL'));

    // The policy works for everyone else.
    const ursula = await t.as('slack:UURSULA');
    const { request } = await t.elevate.requestAccess(ursula, { target: SEARCH, reason: 'INC-1' });
    expect((await t.elevate.approve(await t.as('slack:UCAROL'), { requestId: request.id })).outcome).toBe('approved');
  });

  it('names people by display name and identity, and says nothing when the approvers cannot request', async () => {
    await t.identify('slack:UCAROL', { displayName: 'Carol' });
    await t.elevate.createGroup(t.operator, 'approvers');
    await t.elevate.addGroupMember(t.operator, 'approvers', 'slack:UCAROL');
    await t.elevate.addGroupMember(t.operator, 'approvers', 'slack:UDAVE');
    const outcome = await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'approvers', approvalsRequired: 2 });
    expect(outcome.warnings[0]).toMatch(/^requests for Exchange\\Search-Mailbox by Carol \(slack:UCAROL\), slack:UDAVE could never be approved: .* approvers has only 1 other member\(s\) for 2 approval\(s\)/);

    await t.elevate.createGroup(t.operator, 'helpdesk');
    await t.elevate.addGroupMember(t.operator, 'helpdesk', 'slack:UURSULA');
    expect((await t.elevate.updatePolicy(t.operator, SEARCH, { eligibleGroup: 'helpdesk' })).warnings).toEqual([]);
  });

  it('refuses an empty group and fewer approvers than approvals, changing nothing', async () => {
    await t.elevate.createGroup(t.operator, 'empty');
    await t.elevate.createGroup(t.operator, 'pair');
    await t.elevate.addGroupMember(t.operator, 'pair', 'slack:UCAROL');
    await t.elevate.addGroupMember(t.operator, 'pair', 'slack:UDAVE');
    await expect(t.elevate.createPolicy(t.operator, { target, approval: 'auto', approverGroup: 'empty' }))
      .rejects.toThrow(`approver group empty has no members: nobody could approve or revoke ${SEARCH}. Add members to empty first`);
    await expect(t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'empty' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'pair', approvalsRequired: 3 }))
      .rejects.toThrow(`approver group pair has 2 member(s) but ${SEARCH} needs 3 approvals: add approvers to pair or lower the approvals required`);
    expect(await t.elevate.listPolicies()).toEqual([]);
  });

  it('refuses removing a member that would leave a policy short of its approvals, naming the policy', async () => {
    await t.elevate.createGroup(t.operator, 'approvers');
    for (const m of ['slack:UCAROL', 'slack:UDAVE', 'slack:UERIN']) await t.elevate.addGroupMember(t.operator, 'approvers', m);
    await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'approvers', approvalsRequired: 2 });

    const shrunk = await t.elevate.removeGroupMember(t.operator, 'approvers', 'slack:UERIN');
    expect(shrunk.warnings).toEqual([expect.stringMatching(/^requests for Exchange\\Search-Mailbox by slack:UCAROL, slack:UDAVE could never be approved/)]);
    expect((await records('group.memberRemoved'))[0]!.details.warnings).toEqual(shrunk.warnings);

    const alice = await t.as('slack:UALICE');
    const refused = t.elevate.removeGroupMember(alice, 'approvers', 'slack:UDAVE');
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(
      `removing slack:UDAVE from approvers would leave policy ${SEARCH} unable to approve: approver group approvers has 1 member(s) but ${SEARCH} needs 2 approvals: add approvers to approvers or lower the approvals required`,
    );
    expect((await t.elevate.listGroups()).find((g) => g.name === 'approvers')!.members).toEqual(['slack:UCAROL', 'slack:UDAVE']);
    expect((await records('configuration.change.refused')).at(-1)!.details).toMatchObject({ code: 'conflict' });

    // Lowering N first makes the removal possible.
    await t.elevate.updatePolicy(t.operator, SEARCH, { approvalsRequired: 1 });
    expect((await t.elevate.removeGroupMember(t.operator, 'approvers', 'slack:UDAVE')).status).toBe('applied');
  });

  it('refuses a policy change that would need more approvals than the group has', async () => {
    await t.elevate.createGroup(t.operator, 'approvers');
    await t.elevate.addGroupMember(t.operator, 'approvers', 'slack:UCAROL');
    await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'approvers' });
    await expect(t.elevate.updatePolicy(t.operator, SEARCH, { approvalsRequired: 2 })).rejects.toThrow(/approvers has 1 member\(s\) but Exchange\\Search-Mailbox needs 2 approvals/);
    expect((await t.elevate.getPolicy(SEARCH)).approvalsRequired).toBe(1);
  });
});

describe('a platform-linked approver group that shrinks below a policy\'s approvals', () => {
  it('alerts the admins and the feed once when seen, again when it recovers, and audits both', async () => {
    t.directory.groups.set('slack:S0ONCALL', ['slack:U1', 'slack:U2', 'slack:U3']);
    await t.elevate.createGroup(t.operator, 'oncall', { directoryRef: 'slack:S0ONCALL' });
    await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'oncall', approvalsRequired: 2 });
    await t.deliverAll();
    t.chat.sent.length = 0;
    const ursula = await t.as('slack:UURSULA');

    t.directory.groups.set('slack:S0ONCALL', ['slack:U1']);
    const first = await t.elevate.requestAccess(ursula, { target: SEARCH, reason: 'INC-1' });
    await t.elevate.cancelRequest(ursula, first.request.id);
    await t.elevate.requestAccess(ursula, { target: SEARCH, reason: 'INC-2' });
    await t.deliverAll();
    const alerts = t.chat.sent.filter((s) => s.card.title === 'Approver group oncall is too small');
    expect(alerts.map((s) => s.destination).sort()).toEqual(['feed', 'slack:UALICE']);
    expect(alerts[0]!.card.summary).toBe(`oncall (slack:S0ONCALL) now has 1 member(s): ${SEARCH} needs 2 approval(s), so new requests there cannot be approved. `
      + 'Add people to slack:S0ONCALL, or lower the policy\'s approvals required (policy set … --approvals-required N)');
    expect(await records('group.approversShort')).toEqual([expect.objectContaining({
      actor: 'system', origin: 'slack', subject: 'oncall',
      details: expect.objectContaining({ ref: 'slack:S0ONCALL', members: 1, policies: [{ target: SEARCH, approvalsRequired: 2 }] }),
    })]);

    t.directory.groups.set('slack:S0ONCALL', ['slack:U1', 'slack:U4']);
    await t.elevate.requestAccess(await t.as('slack:UVICTOR'), { target: SEARCH, reason: 'INC-3' });
    await t.deliverAll();
    expect(t.chat.sent.filter((s) => s.card.title === 'Approver group oncall can approve again').map((s) => s.destination).sort()).toEqual(['feed', 'slack:UALICE']);
    expect(await records('group.approversRestored')).toHaveLength(1);
    expect(await records('group.approversShort')).toHaveLength(1);
  });

  it('a new instance reading a group already reported short says nothing again', async () => {
    t.directory.groups.set('slack:S0ONCALL', ['slack:U1', 'slack:U2']);
    await t.elevate.createGroup(t.operator, 'oncall', { directoryRef: 'slack:S0ONCALL' });
    await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'oncall', approvalsRequired: 2 });
    t.directory.groups.set('slack:S0ONCALL', ['slack:U1']);
    await t.elevate.requestAccess(await t.as('slack:UURSULA'), { target: SEARCH, reason: 'INC-1' });
    expect(await records('group.approversShort')).toHaveLength(1);

    const { Elevate } = await import('../../src/core/elevate.js');
    const another = new Elevate({ ...t.elevate.ctx, directory: t.directory });
    await another.requestAccess(await t.as('slack:UVICTOR'), { target: SEARCH, reason: 'INC-2' });
    expect(await records('group.approversShort')).toHaveLength(1);
  });
});

describe('policy durations and removal', () => {
  beforeEach(async () => {
    await t.elevate.createGroup(t.operator, 'approvers');
    await t.elevate.addGroupMember(t.operator, 'approvers', 'slack:UCAROL');
  });

  it('a max shorter than the built-in 4 h default shortens the default; an explicit longer default says how to fix it', async () => {
    await t.elevate.createPolicy(t.operator, { target, approval: 'manual', approverGroup: 'approvers', maxDurationSeconds: 3600 });
    expect(await t.elevate.getPolicy(SEARCH)).toMatchObject({ defaultDurationSeconds: 3600, maxDurationSeconds: 3600 });
    await expect(t.elevate.updatePolicy(t.operator, SEARCH, { defaultDurationSeconds: 7200 }))
      .rejects.toThrow('default duration 2h is longer than max duration 1h: lower the default duration to 1h or less as well');
  });

  it('a policy with active grants is removed only when told what happens to them', async () => {
    await t.elevate.createPolicy(t.operator, { target, approval: 'auto', approverGroup: 'approvers' });
    const ursula = await t.as('slack:UURSULA');
    const { grant } = await t.elevate.requestAccess(ursula, { target: SEARCH, reason: 'INC-1' });
    await expect(t.elevate.removePolicy(t.operator, SEARCH)).rejects.toThrow(
      `policy ${SEARCH} has 1 active grant(s): say whether to end them now (--end-grants) or let them run to their end (--keep-grants)`,
    );
    expect((await t.elevate.getPolicy(SEARCH)).target.name).toBe(SEARCH);

    const removed = await t.elevate.removePolicy(t.operator, SEARCH, 'end');
    expect(removed.summary).toBe(`remove policy ${SEARCH}, ending its active grants`);
    expect((await t.elevate.getGrant(t.operator, grant!.id))).toMatchObject({ status: 'revoked', endComment: `policy ${SEARCH} removed` });
    expect((await records('grant.revoked')).map((r) => r.subject)).toEqual([grant!.id]);

    await t.elevate.createPolicy(t.operator, { target, approval: 'auto', approverGroup: 'approvers' });
    const kept = await t.elevate.requestAccess(ursula, { target: SEARCH, reason: 'INC-2' });
    await t.elevate.removePolicy(t.operator, SEARCH, 'keep');
    expect((await t.elevate.getGrant(t.operator, kept.grant!.id)).status).toBe('active');
    expect((await records('policy.removed')).map((r) => r.details.activeGrants)).toEqual(['end', 'keep']);
  });
});
