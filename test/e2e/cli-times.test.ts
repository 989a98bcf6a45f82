import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The compiled CLI, exactly as users run it (npm test builds first).
const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');
let dir: string;
let env: NodeJS.ProcessEnv;

function elevate(tz: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...env, TZ: tz }, encoding: 'utf8' });
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-times-'));
  env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'), ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI prints local times with their offset, --utc in UTC, JSON in ISO UTC', { timeout: 120_000 }, () => {
  it('one request, three ways', () => {
    expect(elevate('UTC', 'migrate').code).toBe(0);
    expect(elevate('UTC', 'group', 'new', 'approvers').code).toBe(0);
    expect(elevate('UTC', 'group', 'add-member', 'approvers', 'slack:UCAROL').code).toBe(0);
    expect(elevate('UTC', 'group', 'add-member', 'approvers', 'slack:UDAVE').code).toBe(0);
    expect(elevate('UTC', 'policy', 'new', '--task', 'Exchange\\Search-Mailbox', '--approval', 'manual', '--approver-group', 'approvers').code).toBe(0);
    const created = elevate('Asia/Kolkata', '--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Search-Mailbox', '--duration', '1h', '--reason', 'INC-1');
    expect(created.code).toBe(0);
    // India is UTC+05:30 all year: the deadline is written in local time with that offset.
    expect(created.out).toMatch(/decide by \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+05:30/);
    expect(created.out).not.toMatch(/T\d{2}:\d{2}:\d{2}/);
    const id = /R-[0-9A-Z]{8}/.exec(created.out)![0];

    const json = JSON.parse(elevate('Asia/Kolkata', '--json', 'request', 'get', id).out) as { request: { deadlineAt: string } };
    expect(json.request.deadlineAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const deadline = new Date(json.request.deadlineAt);

    const utc = elevate('Asia/Kolkata', '--utc', 'request', 'get', id).out;
    expect(utc).toContain(`${json.request.deadlineAt.slice(0, 10)} ${json.request.deadlineAt.slice(11, 19)} UTC`);
    const local = elevate('America/New_York', 'request', 'get', id).out;
    const offset = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'longOffset' }).formatToParts(deadline).find((p) => p.type === 'timeZoneName')!.value;
    expect(local).toContain(offset.replace('GMT', ' ').trimEnd().replace(/^ /, ''));
  });
});
