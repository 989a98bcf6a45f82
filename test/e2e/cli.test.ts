import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';

// The compiled CLI, exactly as `npm start` and users run it (npm test builds first).
const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');
let dir: string;
let env: NodeJS.ProcessEnv;
// Each CLI run starts a process, over a second on a busy 2-core machine: a lifecycle of ~25 runs

function elevate(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-'));
  env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'),
    ELEVATE_ADMINS: 'slack:UADMIN', ELEVATE_AUDITORS: 'slack:UAUDIT', LOG_LEVEL: 'silent' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each command is a new process (about 1 s of start-up on a busy 2-core machine): generous timeouts.
describe('the elevate CLI, end to end on a SQLite file', { timeout: 120_000 }, () => {
  it('runs the whole lifecycle', () => {
    expect(elevate('migrate')).toMatchObject({ code: 0, out: 'database is up to date' });
    expect(elevate('group', 'new', 'approvers').code).toBe(0);
    expect(elevate('group', 'add-member', 'approvers', 'slack:UCAROL').code).toBe(0);
    expect(elevate('group', 'add-member', 'approvers', 'slack:UDAVE').code).toBe(0);
    const created = elevate('policy', 'new', '--task', 'Exchange\\Search-Mailbox', '--approval', 'manual', '--approver-group', 'approvers', '--max-duration', '8h');
    expect(created).toMatchObject({ code: 0, out: expect.stringContaining('done: create task policy Exchange\\Search-Mailbox') });
    expect(elevate('policy', 'get').out).toMatch(/Exchange\\Search-Mailbox\s+task\s+manual\s+approvers\s+1\s+4h\s+8h\s+required/);

    const request = JSON.parse(elevate('--json', '--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Search-Mailbox', '--duration', '2h', '--reason', 'INC-7').out);
    const id: string = request.request.id;
    expect(request.request.status).toBe('pending');
    expect(elevate('--as', 'slack:UURSULA', 'request', 'approve', id)).toMatchObject({ code: 2, err: 'error: you cannot decide your own request' });
    expect(elevate('--as', 'slack:UCAROL', 'request', 'approve', id, '--comment', 'ok')).toMatchObject({ code: 0, out: expect.stringMatching(/approved: access until .* \(grant G-/) });
    expect(elevate('authorization', 'check', 'slack:UURSULA', 'Exchange\\Search-Mailbox')).toMatchObject({ code: 0, out: expect.stringMatching(/^allowed until/) });
    expect(elevate('authorization', 'check', 'slack:UCAROL', 'Exchange\\Search-Mailbox')).toMatchObject({ code: 1, out: 'not allowed' });

    const grants = JSON.parse(elevate('--json', 'authorization', 'get').out);
    expect(grants).toHaveLength(1);
    expect(elevate('--as', 'slack:UURSULA', 'authorization', 'extend', grants[0].id, '3h', '--reason', 'INC-7 again').out).toMatch(/waiting for approval/);
    expect(elevate('authorization', 'revoke', grants[0].id, '--comment', 'incident closed').out).toMatch(/revoked at/);
    expect(elevate('authorization', 'check', 'slack:UURSULA', 'Exchange\\Search-Mailbox').code).toBe(1);

    expect(elevate('request', 'get', id).out).toMatch(/signature\s+[0-9a-f]{64} \(valid\)/);
    expect(elevate('report', 'usage', '--format', 'csv').out.split('\n')[1]).toMatch(/^Exchange\\\\?Search-Mailbox,2,1,0,0,0,0,1,1,/);
    expect(elevate('pam', 'status').out).toMatch(/PAM\s+enabled/);
    expect(elevate('audit', 'verify')).toMatchObject({ code: 0, out: expect.stringMatching(/^audit log intact: \d+ records verified$/) });

    const exported = join(dir, 'audit.jsonl');
    expect(elevate('audit', 'export', '--action', 'grant.revoked', '--output', exported).code).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ action: 'grant.revoked', actor: 'operator', origin: 'cli' })]);
    expect(elevate('audit', 'export', '--format', 'csv', '--actor', 'slack:UCAROL').out.split('\n')[0]).toBe('seq,at,actor,actor_identity,origin,action,subject,details,prev_hash,hash');

    const db = new BetterSqlite3(env.DATABASE_URL!);
    db.prepare("update audit_log set subject = 'forged' where seq = 5").run();
    db.close();
    expect(elevate('audit', 'verify')).toMatchObject({ code: 1, out: 'AUDIT LOG BROKEN: record 5 was altered (its hash does not match its content) (4 records verified before it)' });
  });

  it('refuses bad input with one clear line and a non-zero exit', () => {
    expect(elevate('--as', 'slack:UX', 'request', 'new', 'Exchange\\Search-Mailbx', '--reason', 'x')).toMatchObject({
      code: 2, err: 'error: no policy for Exchange\\Search-Mailbx; closest targets: Exchange\\Search-Mailbox',
    });
    expect(elevate('--as', 'slack:UX', 'request', 'new', 'Exchange\\Search-Mailbox', '--duration', 'forever', '--reason', 'x').err)
      .toBe('error: duration "forever" is not a duration: write it like 30m, 2h, 1d or 1h30m');
    expect(elevate('policy', 'new', '--task', 'Nope', '--approval', 'manual').err).toBe('error: target "Nope" must be written Scope\\Name, e.g. Exchange\\Search-Mailbox');
    expect(elevate('request', 'new', 'Exchange\\Search-Mailbox').err).toMatch(/requests are made by a person/);
    const badConfig = spawnSync(process.execPath, [CLI, 'pam', 'status'], { env: { ...env, PORT: 'eighty' }, encoding: 'utf8' });
    expect(badConfig.status).toBe(2);
    expect(badConfig.stderr.trim()).toMatch(/^error: invalid configuration: PORT: /);
  });

  it('creates, lists and revokes API tokens; the served API honours them', async () => {
    expect(elevate('token', 'new', '--name', 'ci', '--scope', 'admin')).toMatchObject({ code: 2, err: 'error: admin tokens act as a principal: name one with --as' });
    const created = JSON.parse(elevate('--json', 'token', 'new', '--name', 'gate', '--scope', 'checker', '--expires', '90d').out);
    expect(created).toMatchObject({ name: 'gate', scope: 'checker', secret: expect.stringMatching(/^elv_TOK-/) });
    expect(created).not.toHaveProperty('secretHash');
    expect(elevate('token', 'list').out).toMatch(new RegExp(`${created.id}\\s+gate\\s+checker\\s+—\\s+active`));
    const server = spawn(process.execPath, [CLI, 'serve'], { env: { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ELEVATE_SHUTDOWN_DELAY: '0s' } });
    const port = await new Promise<number>((resolve, reject) => {
      let buffer = '';
      server.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const match = /"port":(\d+).*"msg":"Elevate is serving"/.exec(buffer);
        if (match) resolve(Number(match[1]));
      });
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    try {
      const check = () => fetch(`http://127.0.0.1:${port}/api/v1/check?principal=slack:UURSULA&target=Exchange%5CSearch-Mailbox`, { headers: { authorization: `Bearer ${created.secret}` } });
      const allowed = await check();
      expect(allowed.status).toBe(200);
      expect(await allowed.json()).toEqual({ allowed: false, grantId: null, endsAt: null });
      expect(elevate('token', 'revoke', 'gate').out).toMatch(new RegExp(`^token ${created.id} \\(gate\\) revoked at`));
      expect(elevate('token', 'revoke', created.id)).toMatchObject({ code: 2, err: `error: token ${created.id} is already revoked` });
      let status = 200;
      for (let i = 0; i < 50 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await check()).status;
      }
      expect(status).toBe(401);
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('serves /healthz and says which variables enable each platform', async () => {
    const server = spawn(process.execPath, [CLI, 'serve'], { env: { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ELEVATE_SHUTDOWN_DELAY: '2s' } });
    const lines: Array<Record<string, unknown>> = [];
    let buffer = '';
    const serving = new Promise<number>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        for (const part of parts) {
          const line = JSON.parse(part) as Record<string, unknown>;
          lines.push(line);
          if (line.msg === 'Elevate is serving') resolve(line.port as number);
        }
      });
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
      const port = await serving;
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      expect(lines.filter((l) => /is not configured: set/.test(String(l.msg))).map((l) => l.msg)).toEqual([
        'slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it',
        'teams is not configured: set TEAMS_APP_ID and TEAMS_APP_PASSWORD to enable it',
      ]);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      server.kill('SIGTERM');
      // Draining: still serving, but no longer ready, so a load balancer takes it out first.
      await new Promise((r) => setTimeout(r, 300));
      const draining = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ status: 'not ready', checks: { shutdown: 'shutting down' } });
      expect(await exited).toBe(0);
      expect(lines.map((l) => l.msg)).toContain('Elevate stopped');
    } finally {
      server.kill('SIGKILL');
    }
  });
});
