/**
 * Web console (issue 14): pages per second of the approvals page for an approver who may decide
 * 10,000 pending requests (target p99 ≤ 200 ms on a 2-core machine), and session checks per
 * second (target ≥ 20,000/s). Elevate runs as its own process (`elevate serve` with the
 * development sign-in on 127.0.0.1) and the load comes from another; the session checks run in
 * this process against the same SQLite file.
 * Run: npm run bench:web   (PENDING, CONNECTIONS, SECONDS, SESSIONS to change)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { createEngine } from '../src/main.js';
import { openSqlite } from '../src/store/sqlite.js';
import { WebSessions } from '../src/store/web-sessions.js';
import { systemClock } from '../src/system.js';
import { hashSecret, SessionManager } from '../src/web/sessions.js';

const PENDING = Number(process.env.PENDING ?? 10_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 4);
const SECONDS = Number(process.env.SECONDS ?? 5);
const SESSIONS = Number(process.env.SESSIONS ?? 10_000);
const dist = import.meta.dirname;

interface Figures { pages: number; perSecond: number; p50: number; p99: number; max: number; failed: number; bytes: number }

/** Bulk-loads pending requests straight into the file (a fixture, not what is measured). */
function seedPending(path: string, count: number): void {
  const db = new BetterSqlite3(path);
  const now = Date.now();
  const policyId = (db.prepare('select id from policies limit 1').get() as { id: string }).id;
  const principal = db.prepare('insert into principals (id, display_name, email, created_at) values (?, ?, null, ?)');
  const identity = db.prepare('insert into principal_identities (identity, principal_id, added_at) values (?, ?, ?)');
  const request = db.prepare(`insert into requests (id, requester_id, policy_id, target_key, target_type, target_scope, target_name, duration_seconds, reason, ticket, status,
    created_at, deadline_at, decided_at, decided_by, decision_comment, approvals_required, grant_id, change_json, origin, reminded_at, signature, updated_at)
    values (?, ?, ?, ?, 'task', 'Exchange', ?, 7200, ?, null, 'pending', ?, ?, null, null, null, 1, null, null, 'cli', null, 'x', ?)`);
  const target = 'Exchange\\Search-Mailbox';
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const at = new Date(now - (count - i) * 1000).toISOString();
      principal.run(`P-W${i}`, `Requester ${i}`, at);
      identity.run(`slack:UW${i}`, `P-W${i}`, at);
      request.run(`R-W${i}`, `P-W${i}`, policyId, target.toLowerCase(), target, `INC-${i} mailbox search`, at, new Date(now + 86_400_000).toISOString(), at);
    }
  })();
  db.close();
}

function startElevate(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(dist, '../src/cli/main.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+)/.exec(buffer);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`elevate serve exited with ${code}`)));
  });
}

function load(url: string, cookie: string, marker: string): Promise<Figures> {
  const child = spawn(process.execPath, [join(dist, 'web-load-client.js'), url, cookie, String(CONNECTIONS), String(SECONDS), marker], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as Figures) : reject(new Error(`load client exited with ${code}`)))));
}

const dir = mkdtempSync(join(tmpdir(), 'elevate-web-bench-'));
const env = {
  ...process.env, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY: 'w'.repeat(40), ELEVATE_ADMINS: 'slack:UADMIN', PORT: '0', HOST: '127.0.0.1',
  LOG_LEVEL: 'info', ELEVATE_SHUTDOWN_DELAY: '0s', ELEVATE_WEB_DEV_SIGNIN: 'true', ELEVATE_SCHEDULER_INTERVAL: '1h',
};
let elevate: ChildProcess | undefined;
try {
  const engine = await createEngine(loadConfig(env));
  const operator = { kind: 'operator', origin: 'cli' } as const;
  await engine.elevate.createGroup(operator, 'approvers');
  await engine.elevate.addGroupMember(operator, 'approvers', 'slack:UAPPROVER');
  await engine.elevate.addGroupMember(operator, 'approvers', 'slack:UAPPROVER2');
  await engine.elevate.createPolicy(operator, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers' });
  await engine.close();
  seedPending(env.DATABASE_URL, PENDING);

  const started = await startElevate(env);
  elevate = started.child;
  const base = `http://127.0.0.1:${started.port}`;
  const signIn = await fetch(`${base}/signin/dev`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: 'principal=slack%3AUAPPROVER',
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (!cookie.startsWith('elevate_session=')) throw new Error(`could not sign in: ${signIn.status}`);
  const page = await load(`${base}/approvals`, cookie, `R-W${PENDING - 1}`);
  console.log(`GET /approvals, ${PENDING} pending requests the approver may decide (25 a page), ${CONNECTIONS} keep-alive connections, ${SECONDS} s:`);
  console.log(`  ${page.perSecond.toFixed(1)} pages/s, p50 ${page.p50.toFixed(1)} ms, p99 ${page.p99.toFixed(1)} ms (target ≤ 200), max ${page.max.toFixed(1)} ms, ${page.failed} failed, ${(page.bytes / 1024).toFixed(1)} KiB a page`);
  elevate.kill('SIGTERM');
  elevate = undefined;

  // Session checks: what every console request does first (a primary-key read; activity is written at most every few seconds).
  const db = openSqlite(env.DATABASE_URL);
  const sessions = new SessionManager(new WebSessions(db), systemClock, { idleSeconds: 1800, maxSeconds: 43_200, secure: false });
  const secrets: string[] = [];
  for (let i = 0; i < SESSIONS; i++) secrets.push((await sessions.create(`P-W${i % PENDING}`, `slack:UW${i}`, { method: 'dev', authTime: systemClock.now(), acr: null })).secret);
  const measure = async (check: (i: number) => Promise<boolean>) => {
    for (let i = 0; i < 2000; i++) await check(i); // warm-up
    let checks = 0;
    let failed = 0;
    const begun = performance.now();
    const until = begun + SECONDS * 1000;
    while (performance.now() < until) {
      for (let i = 0; i < 500; i++) if (!(await check(checks + i))) failed += 1;
      checks += 500;
    }
    if (failed > 0) throw new Error(`${failed} session checks failed`);
    return checks / ((performance.now() - begun) / 1000);
  };
  const store = new WebSessions(db);
  // Each check reads the database: what a page costs when its session was not read in the last second.
  const hashes = secrets.map(hashSecret);
  const reads = await measure(async (i) => (await store.getSession(hashes[(i * 7919) % hashes.length]!)) !== undefined);
  // What the console does: the session manager (expiry checks, activity recorded at most every minute, a one-second cache).
  const checks = await measure(async (i) => (await sessions.check(secrets[(i * 7919) % secrets.length])) !== null);
  await db.destroy();
  console.log(`Session checks (SQLite, ${SESSIONS} sessions, one process): ${checks.toFixed(0)} checks/s (target ≥ 20000), ${(1e6 / checks).toFixed(1)} µs each;`);
  console.log(`  uncached (every check reads the database): ${reads.toFixed(0)} reads/s, ${(1e6 / reads).toFixed(1)} µs each`);
} finally {
  elevate?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
