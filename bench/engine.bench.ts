/**
 * Engine benchmark (issue: engine). Prints, on the SQLite file store:
 *  - request→approve cycles per second through the use cases, a raw better-sqlite3 baseline writing
 *    the same transactions and rows, and the ratio core / raw (target ≥ 0.4);
 *  - authorization checks per second with 100,000 active grants stored (target ≥ 200,000/s);
 *  - one scheduler pass expiring 10,000 due grants among 100,000 (target < 2 s);
 *  - peak RSS.
 * Run: npm run bench   (CYCLES=2000 GRANTS=100000 DUE=10000 to change sizes)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Elevate } from '../src/core/elevate.js';
import type { Actor, Clock } from '../src/core/ports.js';
import { KyselyStore } from '../src/store/kysely-store.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { openSqlite } from '../src/store/sqlite.js';
import { randomIds } from '../src/system.js';

const CYCLES = Number(process.env.CYCLES ?? 2000);
const GRANTS = Number(process.env.GRANTS ?? 100_000);
const DUE = Number(process.env.DUE ?? 10_000);
const CHECKS = 2_000_000;

class SteppingClock implements Clock {
  ms = Date.parse('2026-11-27T09:00:00.000Z');
  now() { return new Date(this.ms).toISOString(); }
}

let peakRss = 0;
const sampleRss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
const rssTimer = setInterval(sampleRss, 20);

async function engineOn(path: string, clock: Clock) {
  const db = openSqlite(path);
  await migrateToLatest(db);
  const store = new KyselyStore(db, 'sqlite');
  const elevate = new Elevate({
    store, clock, ids: randomIds, directory: { resolveGroupMembers: async () => [] },
    config: { signingKey: 'bench-key-0123456789abcdef0123456789abcdef', requestTimeoutSeconds: 86400, defaultApproverGroup: 'admins', expiryWarningSeconds: 900, reminderAfterSeconds: 3600, feedPlatforms: ['slack'] },
  });
  return { db, store, elevate };
}

async function benchCycles(dir: string) {
  const clock = new SteppingClock();
  const { db, elevate } = await engineOn(join(dir, 'cycles.db'), clock);
  const operator: Actor = { kind: 'operator', origin: 'cli' };
  await elevate.bootstrap({ admins: ['slack:UADMIN'], auditors: [] });
  await elevate.createGroup(operator, 'approvers');
  await elevate.addGroupMember(operator, 'approvers', 'slack:UAPPROVER1');
  await elevate.addGroupMember(operator, 'approvers', 'slack:UAPPROVER2');
  await elevate.createPolicy(operator, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers' });
  const approver: Actor = { kind: 'principal', principalId: (await elevate.principalFor('slack:UAPPROVER1')).id, origin: 'slack' };
  const requesters: Actor[] = [];
  for (let i = 0; i < CYCLES; i++) requesters.push({ kind: 'principal', principalId: (await elevate.principalFor(`slack:UREQ${i}`)).id, origin: 'slack' });
  const count = async (table: 'outbox' | 'audit_log' | 'cards') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const before = { outbox: await count('outbox'), audit: await count('audit_log'), cards: await count('cards') };

  const started = performance.now();
  for (const requester of requesters) {
    const { request } = await elevate.requestAccess(requester, { target: 'Exchange\\Search-Mailbox', duration: '1h', reason: 'INC-1 bench' });
    await elevate.approve(approver, { requestId: request.id });
  }
  const seconds = (performance.now() - started) / 1000;
  const perCycle = {
    outbox: (await count('outbox') - before.outbox) / CYCLES,
    audit: (await count('audit_log') - before.audit) / CYCLES,
    cards: (await count('cards') - before.cards) / CYCLES,
  };
  await db.destroy();
  return { rate: CYCLES / seconds, perCycle };
}

/** The same transactions and rows with plain prepared statements: the floor of what SQLite costs. */
function benchRaw(dir: string, perCycle: { outbox: number; audit: number; cards: number }) {
  const db = new BetterSqlite3(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`create table requests (id text primary key, requester text, target text, status text, payload text, created_at text, updated_at text);
    create table decisions (request_id text, approver text, kind text, at text, primary key (request_id, approver));
    create table grants (id text primary key, request_id text, principal text, target text, ends_at text, status text);
    create table audit (seq integer primary key, at text, action text, subject text, details text, prev_hash text, hash text);
    create table head (id integer primary key, seq integer, hash text);
    create table outbox (id integer primary key autoincrement, channel text, kind text, payload text, created_at text);
    create table cards (card_key text primary key, version integer, card text);
    insert into head values (1, 0, '');`);
  const insertRequest = db.prepare('insert into requests values (?, ?, ?, ?, ?, ?, ?)');
  const updateRequest = db.prepare("update requests set status = 'approved', updated_at = ? where id = ? and status = 'pending'");
  const insertDecision = db.prepare('insert into decisions values (?, ?, ?, ?)');
  const insertGrant = db.prepare('insert into grants values (?, ?, ?, ?, ?, ?)');
  const insertAudit = db.prepare('insert into audit values (?, ?, ?, ?, ?, ?, ?)');
  const readHead = db.prepare('select seq, hash from head where id = 1');
  const writeHead = db.prepare('update head set seq = ?, hash = ? where id = 1');
  const insertOutbox = db.prepare('insert into outbox (channel, kind, payload, created_at) values (?, ?, ?, ?)');
  const upsertCard = db.prepare('insert into cards values (?, 1, ?) on conflict (card_key) do update set version = version + 1, card = excluded.card');
  const half = (n: number) => Math.round(n / 2);
  const write = (rows: { audit: number; outbox: number; cards: number }, id: string, now: string) => {
    const head = readHead.get() as { seq: number; hash: string };
    let seq = head.seq;
    for (let i = 0; i < rows.audit; i++) insertAudit.run(++seq, now, 'action', id, '{"k":"v"}', head.hash, 'h'.repeat(64));
    writeHead.run(seq, 'h'.repeat(64));
    for (let i = 0; i < rows.outbox; i++) insertOutbox.run(`slack:user:U${i}`, 'card.post', '{"card":"x"}', now);
    for (let i = 0; i < rows.cards; i++) upsertCard.run(`request:${id}:${i}`, '{"title":"card"}');
  };
  const created = db.transaction((id: string, now: string) => {
    insertRequest.run(id, 'P-1', 'Exchange\\Search-Mailbox', 'pending', '{"reason":"INC-1"}', now, now);
    write({ audit: half(perCycle.audit), outbox: half(perCycle.outbox), cards: half(perCycle.cards) }, id, now);
  });
  const approved = db.transaction((id: string, now: string) => {
    updateRequest.run(now, id);
    insertDecision.run(id, 'P-2', 'approve', now);
    insertGrant.run(`G-${id}`, id, 'P-1', 'Exchange\\Search-Mailbox', now, 'active');
    write({ audit: perCycle.audit - half(perCycle.audit), outbox: perCycle.outbox - half(perCycle.outbox), cards: perCycle.cards - half(perCycle.cards) }, id, now);
  });
  const started = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    const now = new Date().toISOString();
    created(`R-${i}`, now);
    approved(`R-${i}`, now);
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return CYCLES / seconds;
}

/** Bulk-loads `GRANTS` active grants (and their requests) directly: a fixture, not what is measured. */
function seedGrants(path: string, endsAt: (i: number) => string) {
  const db = new BetterSqlite3(path);
  const now = '2026-11-27T09:00:00.000Z';
  const principal = db.prepare('insert into principals (id, display_name, email, created_at) values (?, null, null, ?)');
  const identity = db.prepare('insert into principal_identities (identity, principal_id, added_at) values (?, ?, ?)');
  const request = db.prepare(`insert into requests (id, requester_id, policy_id, target_key, target_type, target_scope, target_name, duration_seconds, reason, ticket, status,
    created_at, deadline_at, decided_at, decided_by, decision_comment, approvals_required, grant_id, change_json, origin, reminded_at, signature, updated_at)
    values (?, ?, ?, ?, 'task', 'Exchange', ?, 3600, 'seed', null, 'approved', ?, ?, ?, null, null, 1, ?, null, 'cli', null, 'x', ?)`);
  const grant = db.prepare(`insert into grants (id, request_id, principal_id, policy_id, target_key, target_type, target_scope, target_name, starts_at, ends_at, status,
    ended_at, ended_by, end_comment, expiry_notice_at, updated_at) values (?, ?, ?, ?, ?, 'task', 'Exchange', ?, ?, ?, 'active', null, null, null, ?, ?)`);
  const policyId = (db.prepare('select id from policies limit 1').get() as { id: string }).id;
  const target = 'Exchange\\Search-Mailbox';
  db.transaction(() => {
    for (let i = 0; i < GRANTS; i++) {
      principal.run(`P-S${i}`, now);
      identity.run(`slack:US${i}`, `P-S${i}`, now);
      request.run(`R-S${i}`, `P-S${i}`, policyId, target.toLowerCase(), target, now, now, now, `G-S${i}`, now);
      grant.run(`G-S${i}`, `R-S${i}`, `P-S${i}`, policyId, target.toLowerCase(), target, now, endsAt(i), now, now);
    }
  })();
  db.close();
}

async function benchChecksAndExpiry(dir: string) {
  const path = join(dir, 'grants.db');
  const clock = new SteppingClock();
  const setup = await engineOn(path, clock);
  await setup.elevate.bootstrap({ admins: ['slack:UADMIN', 'slack:UADMIN2'], auditors: [] });
  await setup.elevate.createPolicy({ kind: 'operator', origin: 'cli' }, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'auto' });
  await setup.db.destroy();
  // The first DUE grants end in 30 minutes, the rest in 8 hours.
  seedGrants(path, (i) => (i < DUE ? '2026-11-27T09:30:00.000Z' : '2026-11-27T17:00:00.000Z'));

  const { db, elevate } = await engineOn(path, clock);
  const loadStarted = performance.now();
  await elevate.authorizations.refresh();
  const loadMs = performance.now() - loadStarted;
  let allowed = 0;
  const started = performance.now();
  for (let i = 0; i < CHECKS; i++) {
    if (elevate.checkAuthorization(`slack:US${i % GRANTS}`, 'Exchange\\Search-Mailbox', '2026-11-27T09:10:00.000Z').allowed) allowed += 1;
  }
  const checkSeconds = (performance.now() - started) / 1000;
  if (allowed !== CHECKS) throw new Error(`expected every check allowed, got ${allowed}`);

  clock.ms = Date.parse('2026-11-27T10:00:00.000Z');
  const passStarted = performance.now();
  const done = await elevate.runDueJobs();
  const passSeconds = (performance.now() - passStarted) / 1000;
  if (done.grantsExpired !== DUE) throw new Error(`expected ${DUE} expired, got ${done.grantsExpired}`);
  await db.destroy();
  return { checksPerSecond: CHECKS / checkSeconds, indexLoadMs: loadMs, passSeconds, done };
}

const dir = mkdtempSync(join(tmpdir(), 'elevate-bench-'));
try {
  const cycles = await benchCycles(dir);
  const raw = benchRaw(dir, cycles.perCycle);
  const ratio = cycles.rate / raw;
  console.log(`request→approve cycles/s (use cases, SQLite file): ${cycles.rate.toFixed(0)}  [${CYCLES} cycles; per cycle: ${cycles.perCycle.audit} audit records, ${cycles.perCycle.outbox} deliveries, ${cycles.perCycle.cards} card rows]`);
  console.log(`raw better-sqlite3 baseline cycles/s (same transactions and rows): ${raw.toFixed(0)}`);
  console.log(`ratio core / raw: ${ratio.toFixed(2)}  (target ≥ 0.40, least acceptable 0.25)`);
  const grants = await benchChecksAndExpiry(dir);
  console.log(`authorization checks/s with ${GRANTS} active grants (in-process): ${grants.checksPerSecond.toFixed(0)}  (target ≥ 200000; index load ${grants.indexLoadMs.toFixed(0)} ms)`);
  console.log(`scheduler pass expiring ${DUE} due grants among ${GRANTS}: ${grants.passSeconds.toFixed(2)} s  (target < 2 s; ${JSON.stringify(grants.done)})`);
  sampleRss();
  console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
} finally {
  clearInterval(rssTimer);
  rmSync(dir, { recursive: true, force: true });
}
