import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runElevate } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;

function elevate(...args: string[]) {
  return runElevate(env, ...args);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-doc-'));
  env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'), ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each command is a new process (about 1 s on a busy 2-core machine): generous timeout.
describe('elevate policy export / plan / apply / schema, end to end', { timeout: 120_000 }, () => {
  it('exits 0 with nothing to change, 2 with changes, 1 for a refused document', () => {
    expect(elevate('migrate').code).toBe(0);
    expect(elevate('group', 'new', 'approvers').code).toBe(0);
    expect(elevate('group', 'add-member', 'approvers', 'slack:UCAROL').code).toBe(0);
    const file = join(dir, 'elevate.yaml');
    const exported = elevate('policy', 'export');
    expect(exported.code).toBe(0);
    writeFileSync(file, `${exported.out}\n`);
    expect(elevate('policy', 'plan', '-f', file)).toMatchObject({ code: 0, out: 'no changes: the configuration matches the document' });

    writeFileSync(file, readFileSync(file, 'utf8').replace('policies: []', 'policies:\n  - task: Exchange\\Search-Mailbox\n    approval: auto\n    approverGroup: approvers\n'));
    expect(elevate('policy', 'plan', '-f', file)).toMatchObject({ code: 2, out: '+ policy Exchange\\Search-Mailbox\n1 change(s): 1 added, 0 changed, 0 removed' });
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'policies:\n  - task: Exchange\\Search-Mailbox\n    approval: sometimes\n');
    expect(elevate('policy', 'plan', '-f', broken)).toMatchObject({ code: 1, err: expect.stringMatching(/^error: .*broken\.yaml:3: policies\[0\]\.approval: /) });

    expect(elevate('policy', 'apply', '-f', file)).toMatchObject({ code: 0, out: expect.stringContaining('done: applied') });
    expect(elevate('policy', 'plan', '-f', file).code).toBe(0);
    const full = elevate('policy', 'export').out;
    expect(full).toContain('  - task: Exchange\\Search-Mailbox\n    approval: auto\n    approverGroup: approvers\n    approvalsRequired: 1\n');
    writeFileSync(file, `${full}\n`);
    expect(elevate('policy', 'apply', '-f', file)).toMatchObject({ code: 0, out: 'no changes: the configuration matches the document' });
    const tests = join(dir, 'access-tests.yaml');
    writeFileSync(tests, 'cases:\n  - person: slack:UURSULA\n    target: Exchange\\Search-Mailbox\n    reason: INC1\n    expect: auto\n');
    expect(elevate('policy', 'test', '-f', tests)).toMatchObject({ code: 0, out: expect.stringMatching(/^LINE +CASE +EXPECTED +ACTUAL +RESULT\n.*\n2 +case 1 +auto +auto +pass\n1 case\(s\): 1 passed, 0 failed$/) });
    const stricter = join(dir, 'stricter.yaml');
    writeFileSync(stricter, readFileSync(file, 'utf8').replace('approval: auto', 'approval: manual'));
    expect(elevate('policy', 'test', '-f', tests, '--plan', stricter)).toMatchObject({ code: 1, out: expect.stringContaining('auto      approval (approvers, 1)  FAIL') });
    expect(JSON.parse(elevate('policy', 'schema').out)).toEqual(JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/policy-document.schema.json'), 'utf8')));
  });

  it('starts an access review and reports it as a table and CSV', () => {
    const started = elevate('review', 'start', '--scope', 'groups', '--deadline', '7d');
    expect(started).toMatchObject({ code: 0, out: expect.stringMatching(/^campaign\s+REV-\w+\nscope\s+groups\nmembers to review\s+2\n/) });
    const id = /REV-\w+/.exec(started.out)![0];
    expect(elevate('review', 'report', '--campaign', id).out).toMatch(/approvers\s+slack:UCAROL\s+admins\s+to review/);
    expect(elevate('review', 'report', '--format', 'csv').out.split('\n')).toEqual([
      'campaign,group,member,reviewers,outcome,decided_by,decided_at,note',
      `${id},admins,slack:UADMIN,admins,to review,,,`,
      `${id},approvers,slack:UCAROL,admins,to review,,,`,
    ]);
  });
});
