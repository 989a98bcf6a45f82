/**
 * Engine benchmark (issue: engine). Prints, on the SQLite file store:
 *  - request→approve cycles per second through the use cases, a raw better-sqlite3 baseline writing
 *    the same transactions and rows, and the ratio core / raw (target ≥ 0.4);
 *  - authorization checks per second with 100,000 active grants stored (target ≥ 200,000/s);
 *  - one scheduler pass expiring 10,000 due grants among 100,000 (target ≤ 1 s; set-based batches of 500);
 *  - peak RSS.
 * Run: npm run bench   (CYCLES=2000 GRANTS=100000 DUE=10000 to change sizes)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_MAX_GRANT_SECONDS } from '../src/core/context.js';
import { Elevate } from '../src/core/elevate.js';
import { keyringFromSecret } from '../src/keys.js';
import { Re2Patterns } from '../src/patterns.js';
import type { Actor, Clock } from '../src/core/ports.js';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from '../src/store/database.js';
import { KyselyStore } from '../src/store/kysely-store.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { openSqlite } from '../src/store/sqlite.js';
import { randomIds } from '../src/system.js';
import { seedApprovalSetup, seedGrants } from './grant-fixture.js';

const CYCLES = Number(process.env.CYCLES ?? 2000);
const GRANTS = Number(process.env.GRANTS ?? 100_000);
const DUE = Number(process.env.DUE ?? 10_000);
const CHECKS = 2_000_000;
const BENCH_KEYS = keyringFromSecret('bench-key-0123456789abcdef0123456789abcdef');

class SteppingClock implements Clock {
  ms = Date.parse('2026-11-27T09:00:00.000Z');
  now() { return new Date(this.ms).toISOString(); }
}

let peakRss = 0;
const sampleRss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
const rssTimer = setInterval(sampleRss, 20);

/** A Kysely database on better-sqlite3, as the store opens it, optionally recording every write. */
function openRecorded(path: string, transactions?: Write[][]): Kysely<Database> {
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  const statements = new Map<string, BetterSqlite3.Statement>();
  let current: Write[] | undefined;
  const database: SqliteDatabase = {
    close: () => sqlite.close(),
    prepare: (sql) => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = sqlite.prepare(sql)));
      if (!transactions) return statement as unknown as SqliteStatement;
      const write = !/^\s*select/i.test(sql);
      const record = (parameters: unknown[]) => {
        if (/^begin/i.test(sql)) current = [];
        else if (/^commit/i.test(sql)) { transactions.push(current!); current = undefined; }
        else if (write && current) current.push({ sql, parameters });
      };
      return {
        reader: statement.reader,
        all: (parameters: ReadonlyArray<unknown>) => { record([...parameters]); return statement.all(...parameters); },
        run: (parameters: ReadonlyArray<unknown>) => { record([...parameters]); return statement.run(...parameters); },
        iterate: (parameters: ReadonlyArray<unknown>) => statement.iterate(...parameters),
      } as unknown as SqliteStatement;
    },
  };
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

interface Write { sql: string; parameters: unknown[] }

async function engineOn(path: string, clock: Clock, transactions?: Write[][]) {
  const db = transactions ? openRecorded(path, transactions) : openSqlite(path);
  await migrateToLatest(db);
  const store = new KyselyStore(db, 'sqlite', { clock });
  const elevate = new Elevate({
    patterns: new Re2Patterns(),
    store, clock, ids: randomIds, directory: { resolveGroupMembers: async () => [] },
    config: { keys: BENCH_KEYS, maxGrantSeconds: DEFAULT_MAX_GRANT_SECONDS, requestTimeoutSeconds: 86400, defaultApproverGroup: 'admins', expiryWarningSeconds: 900, reminderAfterSeconds: 3600, feedPlatforms: ['slack'] },
  });
  return { db, store, elevate };
}

/** Runs CYCLES request→approve cycles; with `transactions`, records each transaction's writes. */
async function runCycles(path: string, transactions?: Write[][]) {
  const clock = new SteppingClock();
  const { db, elevate } = await engineOn(path, clock, transactions);
  await seedApprovalSetup(elevate);
  const approver: Actor = { kind: 'principal', principalId: (await elevate.principalFor('slack:UAPPROVER1')).id, origin: 'slack' };
  const requesters: Actor[] = [];
  for (let i = 0; i < CYCLES; i++) requesters.push({ kind: 'principal', principalId: (await elevate.principalFor(`slack:UREQ${i}`)).id, origin: 'slack' });
  transactions?.splice(0);
  const started = performance.now();
  for (const requester of requesters) {
    clock.ms += 1000;
    const { request } = await elevate.requestAccess(requester, { target: 'Exchange\\Search-Mailbox', duration: '1h', reason: 'INC-1 bench' });
    await elevate.approve(approver, { requestId: request.id });
  }
  const seconds = (performance.now() - started) / 1000;
  await db.destroy();
  return CYCLES / seconds;
}

/**
 * The floor: the very same transactions and rows the use cases wrote (recorded from a separate
 * run), replayed with plain prepared better-sqlite3 statements on the same schema, without the
 * reads, the rules and Kysely. The ratio core / raw is what the engine costs above SQLite itself.
 */
async function runRawReplay(path: string, transactions: Write[][]) {
  const setup = openSqlite(path);
  await migrateToLatest(setup);
  await setup.destroy();
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (sql: string) => statements.get(sql) ?? statements.set(sql, db.prepare(sql)).get(sql)!;
  const replay = db.transaction((writes: Write[]) => {
    for (const { sql, parameters } of writes) {
      const statement = prepared(sql);
      if (statement.reader) statement.all(...parameters);
      else statement.run(...parameters);
    }
  });
  const started = performance.now();
  for (const writes of transactions) replay(writes);
  const seconds = (performance.now() - started) / 1000;
  const rows = transactions.reduce((n, t) => n + t.length, 0);
  db.close();
  return { rate: CYCLES / seconds, transactionsPerCycle: transactions.length / CYCLES, writesPerCycle: rows / CYCLES };
}

async function benchChecksAndExpiry(dir: string) {
  const path = join(dir, 'grants.db');
  const clock = new SteppingClock();
  const setup = await engineOn(path, clock);
  await setup.elevate.bootstrap({ admins: ['slack:UADMIN', 'slack:UADMIN2'], auditors: [] });
  await setup.elevate.createPolicy({ kind: 'operator', origin: 'cli' }, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'auto' });
  await setup.db.destroy();
  // The first DUE grants end in 30 minutes, the rest in 8 hours.
  seedGrants(path, BENCH_KEYS.signing, GRANTS, (i) => (i < DUE ? '2026-11-27T09:30:00.000Z' : '2026-11-27T17:00:00.000Z'));

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
  const coreRate = await runCycles(join(dir, 'core.db'));
  const recorded: Write[][] = [];
  await runCycles(join(dir, 'recorded.db'), recorded);
  const raw = await runRawReplay(join(dir, 'raw.db'), recorded);
  console.log(`request→approve cycles/s (use cases, SQLite file): ${coreRate.toFixed(0)}  [${CYCLES} cycles]`);
  console.log(`raw better-sqlite3 baseline cycles/s (same ${raw.transactionsPerCycle} transactions and ${raw.writesPerCycle.toFixed(0)} row writes per cycle, prepared statements): ${raw.rate.toFixed(0)}`);
  console.log(`ratio core / raw: ${(coreRate / raw.rate).toFixed(2)}  (target ≥ 0.40, least acceptable 0.25)`);
  const grants = await benchChecksAndExpiry(dir);
  console.log(`authorization checks/s with ${GRANTS} active grants (in-process): ${grants.checksPerSecond.toFixed(0)}  (target ≥ 200000; index load ${grants.indexLoadMs.toFixed(0)} ms)`);
  console.log(`scheduler pass expiring ${DUE} due grants among ${GRANTS}: ${grants.passSeconds.toFixed(2)} s  (target ≤ 1 s; ${JSON.stringify(grants.done)})`);
  sampleRss();
  console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
} finally {
  clearInterval(rssTimer);
  rmSync(dir, { recursive: true, force: true });
}
