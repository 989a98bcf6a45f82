import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHookReceiver } from '../fakes/fake-hook-receiver.js';

// The compiled CLI, exactly as users run it (npm test builds first).
const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');
// A time as the CLI prints it: local, with its offset.
const LOCAL_TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d';
const SECRET = 'receiver-secret-0123456789';
const ORG = 'Exchange\\Organization Management';
let dir: string;
let env: NodeJS.ProcessEnv;
let receiver: FakeHookReceiver;

// Each CLI run starts a process (over a second on a busy machine): the tests get generous timeouts.
const E2E_TIMEOUT_MS = 120_000;

/** Runs the CLI without blocking this process (the fake receiver answers the server meanwhile). */
function elevate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout.trim(), err: stderr.trim() });
    });
  });
}

/** Waits (without a timed assertion) until `done` holds; the test's own timeout bounds it. */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 100));
}

beforeAll(async () => {
  receiver = await new FakeHookReceiver(SECRET).start();
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-hooks-'));
  env = {
    PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'),
    ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent', ELEVATE_SHUTDOWN_DELAY: '0s',
    ELEVATE_HOOKS: JSON.stringify({ 'exchange-rbac': { url: receiver.url, secret: SECRET } }),
  };
});
afterAll(async () => {
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('provisioning hooks from the CLI and the server', () => {
  it('policy --hook / --no-hook, refused on tasks and for unknown hooks', async () => {
    expect((await elevate('group', 'new', 'approvers')).code).toBe(0);
    expect((await elevate('group', 'add-member', 'approvers', 'slack:UCAROL')).code).toBe(0);
    expect(await elevate('policy', 'new', '--task', 'Exchange\\Search-Mailbox', '--approval', 'manual', '--approver-group', 'approvers', '--hook', 'exchange-rbac'))
      .toMatchObject({ code: 2, err: 'error: hooks run for role and role group policies only; a task policy cannot name hook exchange-rbac' });
    expect(await elevate('policy', 'new', '--role', 'Exchange\\Mail Recipients', '--approval', 'auto', '--approver-group', 'approvers', '--hook', 'nope'))
      .toMatchObject({ code: 2, err: 'error: unknown hook "nope": known hooks: exchange-rbac' });
    expect(await elevate('policy', 'new', '--role-group', ORG, '--approval', 'auto', '--approver-group', 'approvers', '--hook', 'exchange-rbac', '--no-reason-required'))
      .toMatchObject({ code: 0, out: `done: create roleGroup policy ${ORG}: approval auto, approvers approvers, reason optional, hook exchange-rbac` });
    expect((await elevate('policy', 'get')).out).toMatch(/Exchange\\Organization Management\s+roleGroup\s+auto\s+approvers\s+1\s+4h\s+—\s+optional\s+exchange-rbac/);
    expect((await elevate('policy', 'get', ORG)).out).toMatch(/^hook\s+exchange-rbac$/m);
    expect((await elevate('policy', 'set', ORG, '--no-hook')).out).toBe(`done: change policy ${ORG}: hook none`);
    expect((await elevate('policy', 'set', ORG, '--hook', 'exchange-rbac')).code).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('the server calls the hook; authorization get --effective shows the holder and the hook state', async () => {
    const requested = JSON.parse((await elevate('--json', '--as', 'slack:UURSULA', 'request', 'new', ORG, '--duration', '1h')).out);
    const grantId: string = requested.grant.id;
    // No server yet: the grant is active, its start hook not run.
    expect((await elevate('authorization', 'get', '--effective')).out)
      .toMatch(new RegExp(`Exchange\\\\Organization Management\\s+roleGroup\\s+slack:UURSULA\\s+${grantId}\\s+${LOCAL_TIME}\\s+${LOCAL_TIME}\\s+exchange-rbac\\s+starting`));

    const server = spawn(process.execPath, [CLI, 'serve'], { env: { ...env, PORT: '0', HOST: '127.0.0.1' } });
    try {
      await until(() => receiver.acceptedIds().includes(`${grantId}:start`));
      await until(async () => JSON.parse((await elevate('--json', 'authorization', 'get', '--effective')).out)[0]?.holders[0]?.hookState === 'started');
      const effective = JSON.parse((await elevate('--json', '--as', 'slack:UURSULA', 'authorization', 'get', '--effective', '--target', ORG)).out);
      expect(effective).toEqual([{
        target: { type: 'roleGroup', scope: 'Exchange', name: ORG },
        holders: [expect.objectContaining({ identities: ['slack:UURSULA'], grantId, grantStatus: 'active', hook: 'exchange-rbac', hookState: 'started' })],
      }]);
      expect(JSON.parse((await elevate('--json', '--as', 'slack:UMALLORY', 'authorization', 'get', '--effective')).out)).toEqual([]);

      expect((await elevate('--as', 'slack:UURSULA', 'authorization', 'relinquish', grantId)).code).toBe(0);
      await until(() => receiver.acceptedIds().includes(`${grantId}:end`));
      await until(async () => (await elevate('authorization', 'get', '--effective')).out.endsWith('(none)'));
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(receiver.badSignatures).toBe(0);
    const attempts = (await elevate('audit', 'export', '--action', 'hook.attempt')).out.split('\n').map((l) => JSON.parse(l).details.outcome);
    expect(attempts).toEqual(['succeeded', 'succeeded']);
    expect((await elevate('audit', 'verify')).code).toBe(0);
  }, E2E_TIMEOUT_MS);
});
