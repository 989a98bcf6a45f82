import { mkdtempSync, rmSync } from 'node:fs';
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
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-on-call-'));
  env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'), ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each command is a new process (about 1 s of start-up on a busy 2-core machine): generous timeouts.
describe('on-call schedules from the CLI', { timeout: 120_000 }, () => {
  it('sets them as the README shows, shows, exports and removes them, refuses bad ones', () => {
    expect(elevate('group', 'new', 'approvers').code).toBe(0);
    expect(elevate('group', 'add-member', 'approvers', 'slack:UCAROL').code).toBe(0);
    expect(elevate('policy', 'new', '--task', 'Exchange\\Search-Mailbox', '--approval', 'manual', '--approver-group', 'approvers').code).toBe(0);
    // The README's command.
    expect(elevate('policy', 'set', 'Exchange\\Search-Mailbox', '--on-call', 'pagerduty:PABC123', '--on-call', 'opsgenie:Exchange Ops').out)
      .toBe('done: change policy Exchange\\Search-Mailbox: on call pagerduty:PABC123, opsgenie:Exchange Ops');
    expect(elevate('policy', 'get', 'Exchange\\Search-Mailbox').out).toMatch(/on call\s+pagerduty:PABC123, opsgenie:Exchange Ops/);
    expect(elevate('policy', 'export').out).toContain('onCall:\n      - pagerduty:PABC123\n      - opsgenie:Exchange Ops');
    expect(elevate('policy', 'set', 'Exchange\\Search-Mailbox', '--on-call', 'pagerduty:abc')).toMatchObject({ code: 2, err: expect.stringContaining('is not a PagerDuty id') });

    // No verified address from the CLI and no provider configured: the request waits for people, saying why.
    const asked = elevate('--json', '--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Search-Mailbox', '--reason', 'INC-9');
    expect(JSON.parse(asked.out).request).toMatchObject({ status: 'pending', onCall: { outcome: 'not on call' } });

    expect(elevate('policy', 'set', 'Exchange\\Search-Mailbox', '--no-on-call').out).toBe('done: change policy Exchange\\Search-Mailbox: on call none');
    expect(elevate('policy', 'get', 'Exchange\\Search-Mailbox').out).toMatch(/on call\s+none/);
  });
});
