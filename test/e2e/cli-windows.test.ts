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
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-windows-'));
  env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'),
    ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent', ELEVATE_MAX_SCHEDULE_AHEAD: '7d' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each command is a new process (about 1 s of start-up on a busy 2-core machine): generous timeouts.
describe('scheduled windows from the CLI', { timeout: 120_000 }, () => {
  it('asks for a window, approves it early, shows it, refuses bad starts, cancels before the start', () => {
    expect(elevate('group', 'new', 'approvers').code).toBe(0);
    expect(elevate('group', 'add-member', 'approvers', 'slack:UCAROL').code).toBe(0);
    expect(elevate('policy', 'new', '--task', 'Exchange\\Search-Mailbox', '--approval', 'manual', '--approver-group', 'approvers', '--max-duration', '8h').code).toBe(0);

    expect(elevate('--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Search-Mailbox', '--reason', 'CHG-7', '--start', '+8d'))
      .toMatchObject({ code: 2, err: expect.stringMatching(/^error: start .* is more than 7d ahead \(ELEVATE_MAX_SCHEDULE_AHEAD\)/) });
    expect(elevate('--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Search-Mailbox', '--reason', 'CHG-7', '--start', '2026-12-02T22:00'))
      .toMatchObject({ code: 2, err: expect.stringContaining('with its zone') });

    const asked = elevate('--json', '--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Search-Mailbox', '--duration', '4h', '--reason', 'CHG-7 maintenance', '--start', '+3h');
    expect(asked.code).toBe(0);
    const request = JSON.parse(asked.out).request as { id: string; startsAt: string; deadlineAt: string };
    expect(Date.parse(request.deadlineAt) - Date.parse(request.startsAt)).toBe(4 * 3600_000);
    expect(elevate('request', 'get', request.id).out).toMatch(/window\s+\S.* → \S.*/);

    expect(elevate('--as', 'slack:UCAROL', 'request', 'approve', request.id).out).toMatch(/approved: access scheduled from \S.* until \S.* \(grant G-/);
    expect(elevate('authorization', 'get', '--status', 'scheduled').out).toContain('Exchange\\Search-Mailbox');
    expect(elevate('authorization', 'check', 'slack:UURSULA', 'Exchange\\Search-Mailbox')).toMatchObject({ code: 1, out: 'not allowed' });

    expect(elevate('--as', 'slack:UURSULA', 'request', 'cancel', request.id).out).toMatch(/its window was cancelled before its start \(grant G-\w+ given up\)/);
    expect(elevate('authorization', 'get', '--status', 'relinquished').out).toContain('Exchange\\Search-Mailbox');
    expect(elevate('audit', 'verify').code).toBe(0);
  });
});
