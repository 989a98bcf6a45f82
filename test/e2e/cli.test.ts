import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';

// The compiled CLI, exactly as `npm start` and users run it (npm test builds first).
const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');
let dir: string;
let env: NodeJS.ProcessEnv;
// Each CLI run starts a process, over a second on a busy 2-core machine: a lifecycle of ~25 runs

function elevate(...args: string[]) {
  return elevateWith(env, ...args);
}

function elevateWith(environment: NodeJS.ProcessEnv, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: environment, encoding: 'utf8' });
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}

/** Polls `check` every 100 ms until it holds, for at most `boundMs` (generous: the machine is shared). */
async function eventually(check: () => Promise<boolean> | boolean, boundMs = 30_000): Promise<boolean> {
  const until = Date.now() + boundMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Json = Record<string, unknown>;

/** Starts `elevate serve`; resolves with its port once it logs that it is serving. Its JSON log lines are collected in `lines`. */
function serve(environment: NodeJS.ProcessEnv) {
  const server = spawn(process.execPath, [CLI, 'serve'], { env: { ...environment, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' } });
  const lines: Json[] = [];
  let buffer = '';
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  const port = new Promise<number>((resolve, reject) => {
    server.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const part of parts) {
        const line = JSON.parse(part) as Json;
        lines.push(line);
        if (line.msg === 'Elevate is serving') resolve(line.port as number);
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { server, lines, port, exited };
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

    expect(elevate('request', 'get', id).out).toMatch(/signature\s+s1:s-[0-9a-f]{8}:[0-9a-f]{64} \(valid\)/);
    // The revoked grant's pending extension was closed with it (cancelled), so nothing is pending.
    expect(elevate('report', 'usage', '--format', 'csv').out.split('\n')[1]).toMatch(/^Exchange\\\\?Search-Mailbox,2,1,0,0,0,1,0,1,/);
    expect(elevate('pam', 'status').out).toMatch(/PAM\s+enabled/);
    const verified = elevate('audit', 'verify');
    expect(verified).toMatchObject({ code: 0, out: expect.stringMatching(/^audit log intact: \d+ records verified\nhead \d+:[0-9a-f]{64}\n/) });
    const head = /^head (\d+:[0-9a-f]{64})$/m.exec(verified.out)![1]!;
    // A head published earlier (here: just printed) must still be in the log as it was.
    expect(elevate('audit', 'verify', '--anchor', head)).toMatchObject({ code: 0, out: expect.stringContaining(`ok   anchor ${head.split(':')[0]}: record ${head.split(':')[0]} is in the log as anchored`) });
    expect(elevate('audit', 'verify', '--anchor', `99999:${'a'.repeat(64)}`)).toMatchObject({ code: 1, out: expect.stringMatching(/^AUDIT LOG CUT OR REPLACED: .*\nFAIL anchor 99999: record 99999 is missing: the log ends at record \d+, so it was cut after the anchor was published/) });
    expect(elevate('audit', 'verify', '--anchor', '12:xyz')).toMatchObject({ code: 2, err: expect.stringMatching(/anchor "12:xyz" must be written <sequence>:<64 hex characters>/) });

    // Keys: listed without secrets; a rotation adds keys, audited, and everything still verifies.
    const keys = elevate('key', 'list');
    expect(keys).toMatchObject({ code: 0, out: expect.stringMatching(/^key file .*signing\.key\nsigning +s-[0-9a-f]{8} +created .* \(signs new records\)\naudit +a-[0-9a-f]{8} +created .* \(signs new records\)$/) });
    expect(elevate('key', 'rotate', '--audit')).toMatchObject({ code: 0, out: expect.stringMatching(/^added audit key a-[0-9a-f]{8}: it signs from the next start/) });
    expect(elevate('audit', 'export', '--action', 'key.rotated').out).toMatch(/"action":"key.rotated"/);
    expect(elevate('audit', 'verify', '--anchor', head)).toMatchObject({ code: 0 });
    expect(elevate('--as', 'slack:UCAROL', 'key', 'rotate')).toMatchObject({ code: 2, err: expect.stringMatching(/only the operator/) });

    const exported = join(dir, 'audit.jsonl');
    expect(elevate('audit', 'export', '--action', 'grant.revoked', '--output', exported).code).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ action: 'grant.revoked', actor: 'operator', origin: 'cli' })]);
    expect(elevate('audit', 'export', '--format', 'csv', '--actor', 'slack:UCAROL').out.split('\n')[0]).toBe('seq,at,actor,actor_identity,origin,action,subject,details,prev_hash,hash');

    const db = new BetterSqlite3(env.DATABASE_URL!);
    db.prepare("update audit_log set subject = 'forged' where seq = 5").run();
    db.close();
    expect(elevate('audit', 'verify')).toMatchObject({ code: 1, out: 'AUDIT LOG BROKEN: record 5 was altered (its content does not match its MAC) (4 records verified before it)' });
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
      // Tokens are cached for a second: the revocation is honoured once the cache entry lapses.
      let status = 200;
      expect(await eventually(async () => (status = (await check()).status) !== 200)).toBe(true);
      expect(status).toBe(401);
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('serves /healthz and says which variables enable each platform', async () => {
    // The drain lasts long enough for this test to look at /readyz once the server says it is draining.
    const { server, lines, port: serving, exited } = serve({ ...env, ELEVATE_SHUTDOWN_DELAY: '6s' });
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
      expect(await eventually(() => lines.some((l) => String(l.msg).startsWith('shutting down: not ready any more')))).toBe(true);
      const draining = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ status: 'not ready', checks: { shutdown: 'shutting down' } });
      expect(await exited).toBe(0);
      expect(lines.map((l) => l.msg)).toContain('Elevate stopped');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('lists the deliveries a platform refused for good (delivery list --status failed)', async () => {
    // A Slack whose token lacks chat:write.public, and an audit channel the bot was never invited to.
    const slack = await FakeSlackApi.start({ scopes: ['commands', 'chat:write', 'im:write', 'users:read', 'users:read.email'] });
    for (const id of ['UURSULA', 'UCAROL', 'UDAVE']) slack.addUser({ id, realName: id });
    slack.addChannel({ id: 'CFEED', members: ['UCAROL'] });
    const withSlack = {
      ...env, DATABASE_URL: join(dir, 'deliveries.db'), SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 's'.repeat(32),
      SLACK_API_URL: slack.url, SLACK_AUDIT_CHANNEL: 'CFEED', SLACK_PACE_MS: '0', ELEVATE_SHUTDOWN_DELAY: '0s',
    };
    const cli = (...args: string[]) => elevateWith(withSlack, ...args);
    expect(cli('group', 'new', 'approvers').code).toBe(0);
    expect(cli('group', 'add-member', 'approvers', 'slack:UCAROL').code).toBe(0);
    expect(cli('group', 'add-member', 'approvers', 'slack:UDAVE').code).toBe(0);
    expect(cli('policy', 'new', '--task', 'Exchange\\Search-Mailbox', '--approval', 'manual', '--approver-group', 'approvers').code).toBe(0);
    expect(cli('--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Search-Mailbox', '--reason', 'INC-9').code).toBe(0);
    const { server, port, exited } = serve(withSlack);
    try {
      await port;
      // Each run is a new process (about a second here): poll until the outbox has nothing pending.
      expect(await eventually(() => JSON.parse(cli('--json', 'delivery', 'list', '--status', 'pending').out).length === 0, 60_000)).toBe(true);
      const failed = JSON.parse(cli('--json', 'delivery', 'list', '--status', 'failed').out) as Json[];
      // Everything for the feed: the configuration changes' messages, the request's card and its thread.
      expect(failed.map((d) => d.kind)).toEqual(['thread.reply', 'card.post', 'message', 'message', 'message', 'message']);
      expect(new Set(failed.map((d) => JSON.stringify([d.status, d.platform, d.channel, d.attempts, d.lastError])))).toEqual(new Set([
        JSON.stringify(['failed', 'slack', 'slack:feed', 1, 'Slack refused: not_in_channel']),
      ]));
      const table = cli('delivery', 'list', '--status', 'failed').out.split('\n');
      expect(table[0]).toMatch(/^ID\s+STATUS\s+PLATFORM\s+CHANNEL\s+KIND\s+ATTEMPTS\s+LAST ERROR\s+CREATED$/);
      expect(table.slice(2).every((row) => /^\d+\s+failed\s+slack\s+slack:feed\s+\S+\s+1\s+Slack refused: not_in_channel\s+\d{4}-/.test(row))).toBe(true);
      expect(table).toHaveLength(2 + failed.length);
      // The DMs went out: approvers and requester.
      for (const dm of ['DUCAROL', 'DUDAVE', 'DUURSULA']) expect(slack.messagesIn(dm)).toHaveLength(1);
      expect(cli('--as', 'slack:UURSULA', 'delivery', 'list')).toMatchObject({ code: 2, err: 'error: only admins and auditors may list deliveries' });
      expect(cli('delivery', 'list', '--limit', '0')).toMatchObject({ code: 2, err: 'error: --limit must be a whole number from 1 to 1000' });
    } finally {
      server.kill('SIGTERM');
      await exited;
      await slack.close();
    }
  });
});
