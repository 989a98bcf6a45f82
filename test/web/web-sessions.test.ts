import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/store/database.js';
import { WebSessions } from '../../src/store/web-sessions.js';
import { SessionManager } from '../../src/web/sessions.js';
import { webConfig } from '../../src/web/web-config.js';
import { startServer } from '../../src/main.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { databases, openTestDatabase, reusedPostgres } from '../helpers/databases.js';
import { settledAudit } from '../helpers/audit.js';

const SETTINGS = { idleSeconds: 1800, maxSeconds: 7200, secure: false };
const SIGN_IN = { method: 'oidc' as const, authTime: '2026-11-27T09:00:00.000Z', acr: 'urn:mfa' };

describe.each(await databases())('web sessions on %s', (kind) => {
  const postgres = reusedPostgres();
  let db: Kysely<Database>;
  let close: () => Promise<void> = async () => undefined;
  let clock: FakeClock;
  let sessions: SessionManager;

  beforeEach(async () => {
    if (kind === 'postgres') db = await postgres.fresh();
    else {
      const opened = await openTestDatabase('sqlite');
      db = opened.db;
      close = opened.close;
    }
    clock = new FakeClock();
    sessions = new SessionManager(new WebSessions(db), clock, SETTINGS);
  });
  afterAll(async () => {
    await close();
    await postgres.drop();
  });

  it('keeps only the hash of the secret; finds the session by the secret; any instance finds it', async () => {
    const { secret, session } = await sessions.create('P-1', 'oidc:ursula', SIGN_IN);
    const rows = await db.selectFrom('web_sessions').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
    const another = new SessionManager(new WebSessions(db), clock, SETTINGS);
    expect(await another.check(secret)).toMatchObject({ principalId: 'P-1', identity: 'oidc:ursula', signIn: SIGN_IN, csrfToken: session.csrfToken });
    expect(await another.check(`${secret}x`)).toBeNull();
    expect(await another.check(undefined)).toBeNull();
  });

  it('ends a session idle for longer than allowed; activity keeps it', async () => {
    const { secret } = await sessions.create('P-1', 'oidc:ursula', SIGN_IN);
    clock.advance(1700);
    expect(await sessions.check(secret)).not.toBeNull();
    clock.advance(1700); // 3400 s after sign-in, 1700 s after the last activity
    expect(await new SessionManager(new WebSessions(db), clock, SETTINGS).check(secret)).not.toBeNull();
    clock.advance(1800);
    expect(await sessions.check(secret)).toBeNull();
    expect(await db.selectFrom('web_sessions').selectAll().execute()).toEqual([]);
  });

  it('ends a session at its absolute end however active it is', async () => {
    const { secret } = await sessions.create('P-1', 'oidc:ursula', SIGN_IN);
    for (let minutes = 20; minutes < 120; minutes += 20) {
      clock.advance(1200);
      expect(await sessions.check(secret), `after ${minutes} minutes`).not.toBeNull();
    }
    clock.advance(1200);
    expect(await sessions.check(secret)).toBeNull();
  });

  it('signing out ends it for every instance', async () => {
    const { secret } = await sessions.create('P-1', 'oidc:ursula', SIGN_IN);
    expect(await sessions.end(secret)).toBe(true);
    expect(await sessions.check(secret)).toBeNull();
    expect(await new SessionManager(new WebSessions(db), clock, SETTINGS).check(secret)).toBeNull();
  });

  it('uses a sign-in in progress once, and not after ten minutes', async () => {
    const login = { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/approvals', stepUp: true };
    const first = await sessions.beginLogin(login);
    expect(await sessions.takeLogin(first)).toMatchObject(login);
    expect(await sessions.takeLogin(first)).toBeUndefined();
    const late = await sessions.beginLogin(login);
    clock.advance(601);
    expect(await sessions.takeLogin(late)).toBeUndefined();
  });
});

describe('web console configuration', () => {
  const base = { DATABASE_URL: ':memory:', ELEVATE_SIGNING_KEY: 'k'.repeat(40) };

  it('runs the development sign-in only on a loopback address (127.0.0.1 when HOST is unset)', () => {
    expect(webConfig(loadConfig({ ...base, ELEVATE_WEB_DEV_SIGNIN: 'true' })).host).toBe('127.0.0.1');
    expect(webConfig(loadConfig({ ...base, ELEVATE_WEB_DEV_SIGNIN: 'true', HOST: '::1' })).host).toBe('::1');
    expect(() => webConfig(loadConfig({ ...base, ELEVATE_WEB_DEV_SIGNIN: 'true', HOST: '0.0.0.0' }))).toThrow(/ELEVATE_WEB_DEV_SIGNIN: .*loopback/);
  });

  it('needs the identity provider variables together, with an https public URL', () => {
    const oidc = { ELEVATE_OIDC_ISSUER: 'https://login.example.com', ELEVATE_OIDC_CLIENT_ID: 'elevate', ELEVATE_OIDC_CLIENT_SECRET: 'secret' };
    expect(() => webConfig(loadConfig({ ...base, ELEVATE_OIDC_ISSUER: oidc.ELEVATE_OIDC_ISSUER }))).toThrow(/ELEVATE_OIDC_CLIENT_ID, ELEVATE_OIDC_CLIENT_SECRET/);
    expect(() => webConfig(loadConfig({ ...base, ...oidc }))).toThrow(/ELEVATE_PUBLIC_URL/);
    expect(() => webConfig(loadConfig({ ...base, ...oidc, ELEVATE_PUBLIC_URL: 'http://elevate.example.com' }))).toThrow(/must be https/);
    expect(webConfig(loadConfig({ ...base, ...oidc, ELEVATE_PUBLIC_URL: 'https://elevate.example.com/' }))).toMatchObject({
      publicUrl: 'https://elevate.example.com', stepUp: { available: true, maxAgeSeconds: 300 },
    });
  });

  it('with the development sign-in: anyone signs in by name, every page carries the banner, and the start warns', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
    const server = await startServer(loadConfig({ ...base, PORT: '0', ELEVATE_WEB_DEV_SIGNIN: 'true', ELEVATE_ADMINS: 'slack:UALICE', ELEVATE_SCHEDULER_INTERVAL: '1h' }), { logger });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      expect(lines.some((l) => l.includes('"level":40') && l.includes('ANYONE sign in as ANYONE'))).toBe(true);
      const signIn = await fetch(`${url}/signin/dev`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url }, body: 'principal=ursula',
      });
      expect(signIn.status).toBe(303);
      const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
      const home = await fetch(`${url}/`, { headers: { cookie, accept: 'text/html' } });
      const text = await home.text();
      expect(text).toContain('Development sign-in:</strong> anyone can sign in as anyone here');
      expect(text).toContain('oidc:ursula');
      expect((await settledAudit(server.engine, { action: 'web.signedIn', limit: 10 }))[0]).toMatchObject({ subject: 'oidc:ursula', origin: 'web', details: { method: 'dev' } });
    } finally {
      await server.stop();
    }
  });
});
