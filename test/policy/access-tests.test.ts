import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeAccessResults } from '../../src/cli/commands/policy-document.js';
import { readAccessTests } from '../../src/policy-document/access-tests.js';
import { readPolicyDocument, writePolicyDocument } from '../../src/policy-document/document.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

let t: TestEngine;

beforeEach(async () => {
  t = await createTestEngine();
  await seedTypicalSetup(t);
  await t.elevate.createGroup(t.operator, 'helpdesk');
  await t.elevate.addGroupMember(t.operator, 'helpdesk', 'slack:UURSULA');
  await t.elevate.createPolicy(t.operator, {
    target: { type: 'roleGroup', scope: 'Exchange', name: 'Exchange\\Organization Management' }, approval: 'manual', approverGroup: 'approvers',
    approvalsRequired: 2, eligibleGroup: 'helpdesk', reasonPattern: '^(INC|CHG)[0-9]+', maxDurationSeconds: 3600,
  });
});
afterEach(async () => t.close());

const TESTS = `cases:
  - name: helpdesk asks for org management with an incident
    person: slack:UURSULA
    target: Exchange\\Organization Management
    duration: 1h
    reason: INC42
    expect: approval
    group: approvers
    count: 2
  - name: view-only is automatic
    memberOf: [anyone]
    target: Exchange\\View-Only Recipients
    reason: looking
    expect: auto
  - name: not in helpdesk
    person: slack:UMALLORY
    target: Exchange\\Organization Management
    reason: INC1
    expect: refused
    code: not_eligible
  - name: by group membership only
    memberOf: [helpdesk]
    target: Exchange\\Organization Management
    reason: CHG7
    expect: approval
    group: approvers
    count: 2
  - name: too long
    memberOf: [helpdesk]
    target: Exchange\\Organization Management
    duration: 2h
    reason: INC1
    expect: refused
    code: duration_too_long
  - name: no incident number
    memberOf: [helpdesk]
    target: Exchange\\Organization Management
    reason: because
    expect: refused
    code: reason_pattern
  - name: reason missing
    person: slack:UURSULA
    target: Exchange\\Search-Mailbox
    expect: refused
    code: reason_required
  - name: unknown target
    person: slack:UURSULA
    target: Exchange\\Nothing
    expect: refused
    code: no_policy
`;

describe('access tests', () => {
  it('passes every case that matches the current configuration', async () => {
    const { cases } = readAccessTests(TESTS, 'access-tests.yaml');
    const results = await t.elevate.runAccessTests(t.operator, cases);
    expect(results.filter((r) => !r.pass)).toEqual([]);
    expect(results.map((r) => r.actual.outcome)).toEqual(['approval', 'auto', 'refused', 'approval', 'refused', 'refused', 'refused', 'refused']);
  });

  it('reports mismatches, with the line of each case, and runs against a planned document', async () => {
    const { cases, source } = readAccessTests(TESTS, 'access-tests.yaml');
    const planned = (writePolicyDocument(await t.elevate.exportConfiguration(t.operator)))
      .replace(/(roleGroup: Exchange\\Organization Management\n(?:.*\n)*?) {4}approvalsRequired: 2\n/, '$1    approvalsRequired: 3\n')
      .replace('      - slack:UERIN\n', '      - slack:UERIN\n      - slack:UFRED\n')
      .replace(/ {4}eligibleGroup: helpdesk\n/, '');
    const results = await t.elevate.runAccessTests(t.operator, cases, readPolicyDocument(planned).document);
    const text = describeAccessResults(results, (i) => source.lineOf(['cases', i]));
    expect(text.split('\n').filter((l) => l.includes('FAIL'))).toEqual([
      expect.stringMatching(/^2 +helpdesk asks for org management with an incident +approval \(approvers, 2\) +approval \(approvers, 3\) +FAIL$/),
      expect.stringMatching(/^15 +not in helpdesk +refused \(not_eligible\) +approval \(approvers, 3\) +FAIL$/),
      expect.stringMatching(/^21 +by group membership only +approval \(approvers, 2\) +approval \(approvers, 3\) +FAIL$/),
    ]);
    expect(text).toMatch(/8 case\(s\): 5 passed, 3 failed$/);
    // The current configuration is unchanged by a planned run.
    expect((await t.elevate.runAccessTests(t.operator, cases)).every((r) => r.pass)).toBe(true);
  });

  it('refuses malformed test files with line and field, and non-auditors', async () => {
    expect(() => readAccessTests('cases:\n  - person: slack:U1\n    target: A\\B\n    expect: refused\n    code: nope\n', 'a.yaml'))
      .toThrow(/^a\.yaml:5: cases\[0\]\.code: Invalid option/);
    expect(() => readAccessTests('cases:\n  - person: slack:U1\n    target: A\\B\n    expect: approval\n', 'a.yaml'))
      .toThrow('a.yaml:2: cases[0]: an expected approval names its group and count');
    await expect(t.elevate.runAccessTests(await t.as('slack:UMALLORY'), [])).rejects.toThrow('only admins and auditors may run access tests');
  });
});

describe('access tests: break-glass cases', () => {
  it('says whether a break-glass ask would grant at once, and why not', async () => {
    await t.elevate.updatePolicy(t.operator, 'Exchange\\Search-Mailbox', { breakGlassGroup: 'helpdesk', breakGlassMaxDurationSeconds: 1800 });
    const { cases } = readAccessTests(`cases:
  - { person: slack:UURSULA, target: Exchange\\Search-Mailbox, reason: INC42, breakGlass: true, expect: break-glass }
  - { person: slack:UMALLORY, target: Exchange\\Search-Mailbox, reason: INC42, breakGlass: true, expect: refused, code: not_break_glass }
  - { person: slack:UURSULA, target: Exchange\\Search-Mailbox, duration: 1h, reason: INC42, breakGlass: true, expect: refused, code: duration_too_long }
  - { person: slack:UURSULA, target: Exchange\\Search-Mailbox, breakGlass: true, expect: refused, code: reason_required }
  - { person: slack:UURSULA, target: Exchange\\View-Only Recipients, reason: x, breakGlass: true, expect: refused, code: no_break_glass }
`, 'break-glass.yaml');
    const results = await t.elevate.runAccessTests(t.operator, cases);
    expect(results.map((r) => [r.actual.outcome, r.actual.outcome === 'refused' ? r.actual.code : null, r.pass])).toEqual([
      ['break-glass', null, true], ['refused', 'not_break_glass', true], ['refused', 'duration_too_long', true], ['refused', 'reason_required', true], ['refused', 'no_break_glass', true],
    ]);
  });
});
