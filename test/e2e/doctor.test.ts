import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { CHECKS } from '../../src/doctor/checks.js';
import { clockCheck } from '../../src/doctor/checks/clock.js';
import { runDoctor, type CheckResult, type DoctorContext } from '../../src/doctor/doctor.js';
import { Writable } from 'node:stream';
import { createEngine, createLogger } from '../../src/main.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const TOKEN = 'xoxb-doctor-test';
const SECRET = 's'.repeat(32);
let dir: string;
let slack: FakeSlackApi;
let base: NodeJS.ProcessEnv;

/** A port nothing listens on (fetch refuses "bad" ports such as 1, so not those). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the CLI without blocking this process (the fake Slack API answers from here). */
function doctor(env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'doctor'], { env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

/** The lines of one check (`slack token`, …), by check name. */
function byCheck(results: CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(results.map((r) => [r.check, r]));
}

/** A Microsoft identity platform token endpoint on 127.0.0.1 that knows one app and its secret. */
/** Entra tenants of the fake identity platform: the first exists, the second does not. */
const TENANT_1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const TENANT_2 = 'aaaaaaaa-0000-4000-8000-000000000002';

async function fakeLogin(appId: string, secret: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const json = (status: number, value: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url !== `/${TENANT_1}/oauth2/v2.0/token`) return json(400, { error: 'invalid_request', error_description: 'AADSTS90002: Tenant not found.' });
      if (form.get('scope') !== 'https://api.botframework.com/.default' || form.get('grant_type') !== 'client_credentials') return json(400, { error: 'invalid_scope' });
      if (form.get('client_id') !== appId) return json(400, { error: 'unauthorized_client', error_description: 'AADSTS700016: Application not found in the directory.' });
      if (form.get('client_secret') !== secret) return json(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x' });
      return json(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'eyJ.fake.token' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-doctor-'));
  slack = await FakeSlackApi.start({ token: TOKEN });
  base = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'), ELEVATE_ADMINS: 'slack:UALICE' };
  // A server that started once: the database exists, migrated, with its admin.
  const engine = await createEngine(loadConfig(base));
  await engine.close();
});
afterAll(async () => {
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('elevate doctor', { timeout: 60_000 }, () => {
  it('passes a good installation, one line per check: configuration, database, admins, Slack token, scopes, workspace, clock', async () => {
    const results = await runDoctor(CHECKS, { env: { ...base, SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url } });
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    const lines = byCheck(results);
    expect(lines.configuration).toMatchObject({ status: 'ok', message: 'valid (from the environment); chat platforms: Slack' });
    expect(lines.database).toMatchObject({ status: 'ok', message: expect.stringMatching(/^SQLite at .*elevate\.db answers$/) });
    expect(lines['database files']).toMatchObject({ status: 'ok' });
    expect(lines['database migrations']).toMatchObject({ status: 'ok', message: expect.stringMatching(/^all \d+ applied$/) });
    expect(lines['key file']).toMatchObject({ status: 'ok', message: expect.stringMatching(/signing\.key \(mode 600\)$/) });
    expect(lines.keys).toMatchObject({ status: 'ok', message: expect.stringMatching(/^signing s-[0-9a-f]{8}, audit a-[0-9a-f]{8} \(2 keys in all\)$/) });
    expect(lines.admins).toMatchObject({ status: 'ok', message: '1: slack:UALICE' });
    expect(lines['slack token']).toMatchObject({ status: 'ok', message: 'valid: bot @elevate (UBOT)' });
    expect(lines['slack scopes']).toMatchObject({ status: 'ok', message: 'all 7 Elevate needs are granted' });
    expect(lines['slack workspace']).toMatchObject({ status: 'ok', message: expect.stringContaining('Elevate Test (T0ELEVATE)') });
    expect(lines.teams).toMatchObject({ status: 'skip' });
    expect(lines.clock).toMatchObject({ status: 'ok', message: expect.stringContaining('consistent with the audit log, Slack') });
  });

  it('explains a wrong Slack token, missing scopes and an unreachable Slack', async () => {
    const wrong = byCheck(await runDoctor(CHECKS, { env: { ...base, SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url } }));
    expect(wrong['slack token']).toEqual({
      check: 'slack token', status: 'fail', message: 'auth.test answered invalid_auth',
      fix: 'SLACK_BOT_TOKEN is wrong: copy the Bot User OAuth Token again (app settings → OAuth & Permissions; reinstalling the app can change it)',
    });

    const narrow = await FakeSlackApi.start({ token: TOKEN, scopes: ['commands', 'chat:write', 'users:read'] });
    try {
      const scopes = byCheck(await runDoctor(CHECKS, { env: { ...base, SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: narrow.url } }))['slack scopes'];
      expect(scopes).toMatchObject({ status: 'fail', message: expect.stringMatching(/^missing chat:write\.public \(.*\), im:write \(.*\), users:read\.email \(.*\), usergroups:read \(.*\)$/) });
      expect(scopes!.fix).toMatch(/reinstall the app/);
    } finally {
      await narrow.close();
    }

    const port = await closedPort();
    const gone = byCheck(await runDoctor(CHECKS, { env: { ...base, SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: `http://127.0.0.1:${port}/api/` } }));
    expect(gone['slack token']).toMatchObject({ status: 'fail', message: `cannot reach Slack at http://127.0.0.1:${port}/api/: connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('keys: a key file others may read, or one that is not this database\'s, fails with what to do', async () => {
    const keyFile = join(dir, 'signing.key');
    chmodSync(keyFile, 0o644);
    try {
      const exposed = byCheck(await runDoctor(CHECKS, { env: base }));
      expect(exposed['key file']).toMatchObject({ status: 'fail', message: expect.stringContaining('is readable by others (mode 644)'), fix: `chmod 600 ${keyFile}` });
    } finally {
      chmodSync(keyFile, 0o600);
    }
    // Another installation's key file (made for an empty database elsewhere).
    const other = join(dir, 'other.keys');
    const otherEngine = await createEngine(loadConfig({ ...base, DATABASE_URL: join(dir, 'other.db'), ELEVATE_SIGNING_KEY_FILE: other }));
    await otherEngine.close();
    const wrong = byCheck(await runDoctor(CHECKS, { env: { ...base, ELEVATE_SIGNING_KEY_FILE: other } }));
    expect(wrong.keys).toMatchObject({ status: 'fail', message: expect.stringMatching(/^the database's latest records were signed with audit key a-[0-9a-f]{8}, which the key file does not hold/), fix: expect.stringContaining('restore the key file') });
    const postgres = byCheck(await runDoctor(CHECKS, { env: { ...base, DATABASE_URL: 'postgres://elevate@127.0.0.1:1/elevate', ELEVATE_SIGNING_KEY_FILE: undefined } }));
    expect(postgres.keys).toMatchObject({ status: 'fail', message: expect.stringContaining('PostgreSQL needs the key file every instance uses') });
  });

  it('explains a bad DATABASE_URL, an unreachable PostgreSQL, pending migrations and files others may read', async () => {
    const bad = byCheck(await runDoctor(CHECKS, { env: { ...base, DATABASE_URL: 'mysql://x/y' } }));
    expect(bad.configuration).toMatchObject({ status: 'fail', message: expect.stringContaining('DATABASE_URL: must be a SQLite file path'), fix: expect.stringContaining('correct the setting named') });
    expect(bad.database).toMatchObject({ status: 'skip' });

    const postgres = byCheck(await runDoctor(CHECKS, { env: { ...base, DATABASE_URL: 'postgres://elevate:secret@127.0.0.1:1/elevate' } }));
    expect(postgres.database).toMatchObject({
      status: 'fail', message: 'cannot reach PostgreSQL at postgres://elevate:***@127.0.0.1:1/elevate (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:1',
      fix: expect.stringContaining('check DATABASE_URL'),
    });

    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    chmodSync(empty, 0o644);
    const fresh = byCheck(await runDoctor(CHECKS, { env: { ...base, DATABASE_URL: empty } }));
    expect(fresh['database migrations']).toMatchObject({ status: 'fail', message: expect.stringMatching(/^\d+ of \d+ not applied: 0001-initial/), fix: expect.stringContaining('elevate migrate') });
    expect(fresh['database files']).toMatchObject({ status: 'fail', message: expect.stringContaining(`${empty} (644)`), fix: expect.stringContaining('chmod 600') });
  });

  it('Teams: a token is obtained, or the identity platform\'s error is named with the fix', async () => {
    const appId = '11111111-2222-4333-8444-555555555555';
    const login = await fakeLogin(appId, 'right-secret');
    try {
      const teams = { TEAMS_APP_ID: appId, TEAMS_TENANT_ID: TENANT_1 };
      const good = byCheck(await runDoctor(CHECKS, { env: { ...base, ...teams, TEAMS_APP_PASSWORD: 'right-secret' }, teamsLoginUrl: login.url }));
      expect(good['teams tenant']).toMatchObject({ status: 'ok', message: `${TENANT_1}: activities from any other tenant are refused` });
      expect(good['teams token']).toMatchObject({ status: 'ok', message: `a Bot Framework token was issued to app ${appId}` });
      const expired = byCheck(await runDoctor(CHECKS, { env: { ...base, ...teams, TEAMS_APP_PASSWORD: 'old-secret' }, teamsLoginUrl: login.url }));
      expect(expired['teams token']).toMatchObject({
        status: 'fail', message: `no token for app ${appId} from tenant ${TENANT_1}: invalid_client: AADSTS7000215: Invalid client secret provided.`,
        fix: expect.stringMatching(/^TEAMS_APP_PASSWORD is wrong or expired: create a new client secret/),
      });
      const otherTenant = byCheck(await runDoctor(CHECKS, { env: { ...base, ...teams, TEAMS_TENANT_ID: TENANT_2, TEAMS_APP_PASSWORD: 'right-secret' }, teamsLoginUrl: login.url }));
      expect(otherTenant['teams token']!.fix).toMatch(/^TEAMS_TENANT_ID names no tenant/);
    } finally {
      login.server.close();
    }
  });

  it('hooks: undefined, unreachable and not runnable ones fail with what to do', async () => {
    const port = await closedPort();
    const hooks = JSON.stringify({
      missing: { command: [join(dir, 'no-such-script')] }, shell: { command: ['sh', '-c', 'true'] },
      down: { url: `http://127.0.0.1:${port}/hook`, secret: '0123456789abcdef' },
    });
    const lines = byCheck(await runDoctor(CHECKS, { env: { ...base, ELEVATE_HOOKS: hooks } }));
    expect(lines['hook missing']).toMatchObject({ status: 'fail', message: expect.stringContaining('does not exist or may not be run') });
    expect(lines['hook shell']).toMatchObject({ status: 'ok', message: 'command sh can be run' });
    expect(lines['hook down']).toMatchObject({ status: 'fail', message: `cannot reach http://127.0.0.1:${port}/hook: connect ECONNREFUSED 127.0.0.1:${port}` });

    // A policy naming a hook the configuration no longer defines.
    const withHook = { ...base, DATABASE_URL: join(dir, 'hooks.db'), ELEVATE_HOOKS: JSON.stringify({ 'exchange-rbac': { command: ['sh', '-c', 'true'] } }) };
    const engine = await createEngine(loadConfig(withHook));
    try {
      await engine.elevate.createPolicy({ kind: 'operator', origin: 'cli' }, {
        target: { type: 'roleGroup', scope: 'Exchange', name: 'Exchange\\Organization Management' }, approval: 'auto', hook: 'exchange-rbac',
      });
    } finally {
      await engine.close();
    }
    const undefinedHook = byCheck(await runDoctor(CHECKS, { env: { ...withHook, ELEVATE_HOOKS: '{}' } }))['hook exchange-rbac'];
    expect(undefinedHook).toMatchObject({
      status: 'fail', message: 'policy Exchange\\Organization Management names it, but ELEVATE_HOOKS does not define it: its grants\' calls fail',
      fix: expect.stringContaining('--no-hook'),
    });
  });

  it('the clock: behind the audit log, or minutes off Slack\'s, fails', async () => {
    const ctx = (now: number, peers: Array<[string, number]> = []): DoctorContext => ({
      env: {}, fetch, now: () => now, teamsLoginUrl: '', peerClocks: new Map(peers), cleanups: [],
    });
    expect(await clockCheck.run(ctx(Date.now(), [['Slack', 1_000]]))).toEqual([expect.objectContaining({ status: 'ok' })]);
    expect(await clockCheck.run(ctx(Date.now(), [['Slack', 7 * 60_000]]))).toEqual([expect.objectContaining({
      status: 'fail', message: "420 s behind Slack's: Slack refuses requests signed more than 5 minutes off", fix: expect.stringContaining('NTP'),
    })]);
    expect((await clockCheck.run(ctx(Date.now(), [['PostgreSQL', -30_000]])))[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/^30 s ahead of PostgreSQL's/) });
  });

  it('admins: the start-up line and the doctor say how ELEVATE_ADMINS differs from the admins group, and how to change admins', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } }));
    const changed = { ...base, ELEVATE_ADMINS: 'slack:UBOB' };
    const engine = await createEngine(loadConfig(changed), { logger });
    await engine.close();
    expect(lines).toEqual([expect.objectContaining({
      level: 40, group: 'admins', notMembers: ['slack:UBOB'], notConfigured: ['slack:UALICE'],
      msg: expect.stringMatching(/^ELEVATE_ADMINS lists slack:UBOB, not in the admins group; the admins group has slack:UALICE, not in ELEVATE_ADMINS .*: change admins with "elevate group add-member admins <principal>"/),
    })]);
    const admins = (await runDoctor(CHECKS, { env: changed })).filter((r) => r.check === 'admins');
    expect(admins).toEqual([
      expect.objectContaining({ status: 'ok', message: '1: slack:UALICE' }),
      expect.objectContaining({ status: 'warn', message: expect.stringContaining('ELEVATE_ADMINS lists slack:UBOB'), fix: expect.stringContaining('elevate group add-member admins <principal>') }),
    ]);
  });

  it('as a command: a deliberately broken configuration is explained in plain words and exits 1', async () => {
    const run = await doctor({ ...base, DATABASE_URL: 'mysql://x/y', SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}configuration: invalid configuration: DATABASE_URL: must be a SQLite file path .* not "mysql:\/\/x\/y" → correct the setting named/m);
    expect(run.stdout).toMatch(/1 check\(s\) failed\n$/);

    const slackOnly = await doctor({ ...base, SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url });
    expect(slackOnly.status).toBe(1);
    expect(slackOnly.stdout).toContain('FAIL  slack token: auth.test answered invalid_auth → SLACK_BOT_TOKEN is wrong: copy the Bot User OAuth Token again');
  });
});
