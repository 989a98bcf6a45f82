import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describePlanText } from '../../src/cli/commands/policy-document.js';
import { readAccessTests } from '../../src/policy-document/access-tests.js';
import { policyDocumentJsonSchema, readPolicyDocument, writePolicyDocument } from '../../src/policy-document/document.js';
import { applyPolicyDocument, planPolicyDocument } from '../../src/policy-document/run.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

beforeEach(async () => {
  t = await createTestEngine();
  people = await seedTypicalSetup(t);
});
afterEach(async () => t.close());

async function exported(): Promise<string> {
  return writePolicyDocument(await t.elevate.exportConfiguration(t.operator));
}

async function plan(text: string) {
  return planPolicyDocument(t.elevate, t.operator, text, 'elevate.yaml');
}

describe('policies as code: export, plan, apply', () => {
  it('round trip: export -> apply -> export is identical, and the plan of an export is empty', async () => {
    const first = await exported();
    expect(first).toContain('task: Exchange\\Search-Mailbox');
    expect((await plan(first)).changes).toEqual([]);
    const outcome = await applyPolicyDocument(t.elevate, t.operator, first, 'elevate.yaml');
    expect(outcome.status).toBe('unchanged');
    expect(await exported()).toBe(first);

    // Into a fresh installation: the document rebuilds the same configuration.
    const other = await createTestEngine();
    try {
      await other.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: ['slack:UAUDIT'] });
      const applied = await applyPolicyDocument(other.elevate, other.operator, first, 'elevate.yaml');
      expect(applied.status).toBe('applied');
      expect(writePolicyDocument(await other.elevate.exportConfiguration(other.operator))).toBe(first);
    } finally {
      await other.close();
    }
  });

  it('plans each kind of change: added, changed field by field, removed, members and settings', async () => {
    const changed = (await exported())
      .replace('maxDuration: 8h', 'maxDuration: 4h\n    approvalsRequired: 2')
      .replace(/(task: Exchange\\Search-Mailbox\n(?:.*\n)*?) {4}approvalsRequired: 1\n/, '$1')
      .replace('      - slack:UERIN\n', '      - slack:UERIN\n      - slack:UFRED\n')
      .replace('      - slack:UDAVE\n', '')
      .replace('protectedConfiguration: auto', 'protectedConfiguration: "on"')
      .replace(/ {2}- role: Exchange\\View-Only Recipients\n(?: {4}.*\n)*/, '')
      .replace('policies:\n', 'policies:\n  - roleGroup: Exchange\\Organization Management\n    approval: manual\n    approverGroup: approvers\n    approvalsRequired: 2\n')
      .replace('groups:\n', 'groups:\n  oncall:\n    description: People on call\n    members: [slack:UERIN]\n');
    const result = await plan(changed);
    expect(describePlanText(result).split('\n')).toEqual([
      '~ setting protectedConfiguration: protectedConfiguration: auto -> on',
      '+ group oncall',
      '+ member oncall slack:UERIN',
      '+ member approvers slack:UFRED',
      '- member approvers slack:UDAVE',
      '+ policy Exchange\\Organization Management',
      '~ policy Exchange\\Search-Mailbox: approvalsRequired: 1 -> 2, maxDuration: 8h -> 4h',
      '- policy Exchange\\View-Only Recipients',
      '8 change(s): 4 added, 2 changed, 2 removed',
    ]);
    // Nothing changed yet; applying does it all as one change, audited with the plan.
    expect((await plan(await exported())).changes).toEqual([]);
    const outcome = await applyPolicyDocument(t.elevate, t.operator, changed, 'elevate.yaml');
    expect(outcome.status).toBe('applied');
    expect((await plan(changed)).changes).toEqual([]);
    const [record] = await t.store.listAudit({ action: 'configuration.documentApplied', limit: 5 });
    expect(record!.details.plan).toHaveLength(8);
    expect((await t.elevate.getPolicy('Exchange\\Search-Mailbox')).approvalsRequired).toBe(2);
  });

  it('removing a policy with active grants needs end or keep; end revokes them', async () => {
    await t.elevate.requestAccess(people.ursula, { target: 'Exchange\\View-Only Recipients', reason: 'INC-1' });
    const without = (await exported()).replace(/ {2}- role: Exchange\\View-Only Recipients\n(?: {4}.*\n)*/, '');
    expect(describePlanText(await plan(without))).toContain('- policy Exchange\\View-Only Recipients (1 active grant(s))');
    await expect(applyPolicyDocument(t.elevate, t.operator, without, 'elevate.yaml'))
      .rejects.toThrow('policy Exchange\\View-Only Recipients has 1 active grant(s): say whether to end them now (--end-grants) or let them run to their end (--keep-grants)');
    expect((await t.elevate.listPolicies()).map((p) => p.target.name)).toContain('Exchange\\View-Only Recipients');
    await applyPolicyDocument(t.elevate, t.operator, without, 'elevate.yaml', { activeGrants: 'end' });
    expect(await t.elevate.listGrants(t.operator, { status: 'active' })).toEqual([]);
  });

  it('under protected configuration an admin apply is one request with the whole plan, applied exactly on approval', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    const bob = await t.as('slack:UBOB');
    const changed = (await exported()).replace('maxDuration: 8h', 'maxDuration: 6h').replace('      - slack:UERIN\n', '      - slack:UERIN\n      - slack:UFRED\n');
    const outcome = await applyPolicyDocument(t.elevate, people.alice, changed, 'elevate.yaml');
    expect(outcome.status).toBe('pending');
    if (outcome.status !== 'pending') return;
    expect(outcome.request.reason).toBe('apply a configuration document (2 change(s)):\n+ member approvers slack:UFRED\n~ policy Exchange\\Search-Mailbox: maxDuration: 8h -> 6h');
    // Nothing applied before the approval.
    expect((await t.elevate.getPolicy('Exchange\\Search-Mailbox')).maxDurationSeconds).toBe(8 * 3600);
    await expect(t.elevate.approve(people.alice, { requestId: outcome.request.id })).rejects.toThrow();
    expect((await t.elevate.approve(bob, { requestId: outcome.request.id })).outcome).toBe('approved');
    expect((await t.elevate.getPolicy('Exchange\\Search-Mailbox')).maxDurationSeconds).toBe(6 * 3600);
    expect((await plan(changed)).changes).toEqual([]);
    const [applied] = await t.store.listAudit({ action: 'configuration.documentApplied', limit: 5 });
    expect(applied!.details.approval).toMatchObject({ requestId: outcome.request.id, approvedBy: bob.kind === 'principal' ? bob.principalId : '' });
    // The operator applies directly (break-glass), audited.
    const again = (await exported()).replace('maxDuration: 6h', 'maxDuration: 5h');
    expect((await applyPolicyDocument(t.elevate, t.operator, again, 'elevate.yaml')).status).toBe('applied');
  });

  it('refuses invalid documents with the line and field, changing nothing', async () => {
    const good = await exported();
    const lines = good.split('\n');
    const at = lines.findIndex((l) => l.includes('approvalsRequired: 1')) + 1;
    const bad = good.replace('approvalsRequired: 1', 'approvalsRequired: one').replace('maxDuration: 8h', 'maxDuration: 8h\n    colour: blue');
    await expect(plan(bad)).rejects.toThrow(`elevate.yaml:${at}: policies[0].approvalsRequired: Invalid input: expected number, received string\nelevate.yaml:${at + 3}: policies[0].colour: Unrecognized key: "colour"`);
    await expect(plan('policies:\n  - task: [unclosed\n')).rejects.toThrow(/^elevate\.yaml:3: Flow sequence/);
    await expect(plan('policies:\n  - task: A\\B\n    approval: manual\n    approverGroup: nobody\n')).rejects.toMatchObject({
      message: 'elevate.yaml:4: policies[0].approverGroup: policy A\\B: group "nobody" does not exist: add it under groups',
    });
    const pattern = good.replace('approval: manual', 'approval: manual\n    reasonPattern: "(a"');
    await expect(plan(pattern)).rejects.toMatchObject({ details: expect.objectContaining({ line: expect.any(Number), field: 'policies[0].reasonPattern' }) });
    await expect(plan(good.replace(/ {2}auditors:\n(?: {4}.*\n)*/, ''))).rejects.toThrow('group auditors is not in the document: a document cannot remove groups yet');
    expect(await exported()).toBe(good);
  });

  it('applies the README example as written, and exports it back field for field', async () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Policies as code\n'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const fresh = await createTestEngine({ config: { hooks: ['exchange-rbac'] } });
    try {
      await fresh.elevate.bootstrap({ admins: ['slack:UADMIN'], auditors: ['slack:UAUDIT'] });
      fresh.directory.groups.set('slack:S0123ONCALL', ['slack:UOSCAR']);
      const outcome = await applyPolicyDocument(fresh.elevate, fresh.operator, example, 'README.md');
      expect(outcome.status).toBe('applied');
      expect((await planPolicyDocument(fresh.elevate, fresh.operator, example, 'README.md')).changes).toEqual([]);
      const back = readPolicyDocument(writePolicyDocument(await fresh.elevate.exportConfiguration(fresh.operator))).document;
      expect(back.policies!.find((p) => p.target.name === 'Exchange\\Search-Mailbox')).toMatchObject({ approvalsRequired: 2, defaultDurationSeconds: 7200, reasonPattern: '^(INC|CHG)[0-9]+', eligibleGroup: 'helpdesk' });
      // The README's access tests pass against it.
      const testsSection = readme.slice(readme.indexOf('\n### Access tests\n'));
      const tests = readAccessTests(/```yaml\n([\s\S]*?)```/.exec(testsSection)![1]!, 'README.md').cases;
      expect((await fresh.elevate.runAccessTests(fresh.operator, tests)).filter((r) => !r.pass)).toEqual([]);
      expect(back.groups!.find((g) => g.name === 'oncall')).toEqual({ name: 'oncall', description: null, platformGroup: 'slack:S0123ONCALL', members: [] });
    } finally {
      await fresh.close();
    }
  });

  it('publishes a JSON Schema, committed in the repository as generated', () => {
    const committed = JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/policy-document.schema.json'), 'utf8'));
    expect(committed).toEqual(policyDocumentJsonSchema());
    expect(committed.properties.policies.items.properties).toHaveProperty('approvalStepUp');
    expect(readPolicyDocument('settings:\n  pam: disabled\n').document.settings).toEqual({ pamEnabled: false });
  });
});
