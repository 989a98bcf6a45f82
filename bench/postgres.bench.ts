/**
 * PostgreSQL benchmark (issue: PostgreSQL and several instances). Request→approve cycles per
 * second through the use cases, each Elevate instance its own process with its own connection
 * pool, in one run:
 *  - raw PostgreSQL: the statements of one cycle replayed with `pg` alone (bench/postgres-raw.ts);
 *  - SQLite file, one instance (the default store, for reference);
 *  - PostgreSQL, one instance;
 *  - PostgreSQL, two instances on the same database.
 * Prints the figures and the ratios. Each instance runs CHAINS request→approve chains at once (as
 * an HTTP server answers several people at once); the instances start together on a signal and
 * the rate is all cycles over the wall time until the last finished.
 * Needs the PostgreSQL of ELEVATE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
 * where it works in schemas of its own and drops them.
 * Run: npm run bench:postgres   (CYCLES=2000 CHAINS=8 to change: CYCLES per configuration)
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEFAULT_MAX_GRANT_SECONDS } from '../src/core/context.js';
import { Elevate } from '../src/core/elevate.js';
import { keyringFromSecret } from '../src/keys.js';
import { Re2Patterns } from '../src/patterns.js';
import { openDatabase } from '../src/main.js';
import { randomIds, systemClock } from '../src/system.js';
import type { Actor } from '../src/core/ports.js';
import { workerMessage } from './bench-kit.js';
import { seedApprovalSetup } from './grant-fixture.js';
import { auditHeadStatements, captureCycle, measureRaw } from './postgres-raw.js';

const CYCLES = Number(process.env.CYCLES ?? 2000);
const CHAINS = Number(process.env.CHAINS ?? 8);
const POSTGRES_URL = process.env.ELEVATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WORKER = join(import.meta.dirname, 'postgres-worker.js');
// Node options for the instances, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them (as bench-kit's BENCH_NODE_ARGS).
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Migrates and seeds (admins, approvers, a manual policy) the database at `url`; `then` runs before it is closed. */
async function prepare(url: string, then?: (elevate: Elevate) => Promise<void>): Promise<void> {
  await withElevate(url, async (elevate) => {
    await seedApprovalSetup(elevate);
    await then?.(elevate);
  });
}

/** Runs `work` with an Elevate on the database at `url` (migrated), then closes it. */
async function withElevate(url: string, work: (elevate: Elevate) => Promise<void>): Promise<void> {
  const { db, store } = await openDatabase(url, systemClock, { poolSize: 1 });
  const elevate = new Elevate({
    patterns: new Re2Patterns(),
    store, clock: systemClock, ids: randomIds, directory: { resolveGroupMembers: async () => [] },
    config: { keys: keyringFromSecret('bench-key-0123456789abcdef0123456789abcdef'), maxGrantSeconds: DEFAULT_MAX_GRANT_SECONDS, requestTimeoutSeconds: 86400, defaultApproverGroup: 'admins', expiryWarningSeconds: 900, reminderAfterSeconds: 3600, feedPlatforms: ['slack'] },
  });
  try {
    await work(elevate);
  } finally {
    await db.destroy();
  }
}

/** The raw floor (bench/postgres-raw.ts): one cycle captured through the use cases on `url`, replayed CYCLES times by CHAINS clients. */
async function measureRawFloor(url: string): Promise<{ rate: number; statements: number; left: number }> {
  let captured: Awaited<ReturnType<typeof captureCycle>> | undefined;
  await prepare(url, async (elevate) => {
    const actor = async (identity: string): Promise<Actor> => ({ kind: 'principal', principalId: (await elevate.principalFor(identity)).id, origin: 'slack' });
    captured = await captureCycle(elevate, await actor('slack:URAWREQ'), await actor('slack:UAPPROVER1'));
  });
  const rate = await measureRaw(url, captured!, CYCLES, CHAINS);
  return { rate, statements: captured!.statements.length, left: auditHeadStatements(captured!.statements) };
}

// What `audit verify` said after each configuration: the chain stays one and whole under load.
const verifications: string[] = [];

/** Runs CYCLES cycles split over `instances` processes on `url`; cycles per second. */
async function measure(url: string, instances: number): Promise<number> {
  await prepare(url);
  const share = Math.ceil(CYCLES / instances);
  const workers = Array.from({ length: instances }, (_, i) => fork(WORKER, [url, String(i), String(share), String(CHAINS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: NODE_ARGS }));
  await Promise.all(workers.map((w) => workerMessage(w, 'ready')));
  const started = performance.now();
  const finished = workers.map((w) => workerMessage(w, 'done'));
  for (const worker of workers) worker.send('go');
  const done = await Promise.all(finished);
  const seconds = (performance.now() - started) / 1000;
  await withElevate(url, async (elevate) => {
    const verified = await elevate.verifyAudit({ kind: 'operator', origin: 'cli' });
    verifications.push(`${instances} instance(s) on ${url.includes('search_path') ? 'PostgreSQL' : 'SQLite'}: audit verify ${verified.ok ? 'ok' : 'FAILED'}, ${verified.checked} records, ${verified.pending} pending`);
  });
  return done.reduce((n, d) => n + d.done!, 0) / seconds;
}

try {
  await admin('select 1');
} catch (error) {
  console.error(`PostgreSQL at ${POSTGRES_URL} is unreachable (${(error as Error).message}); set ELEVATE_TEST_POSTGRES_URL`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'elevate-pg-bench-'));
const schemas: string[] = [];
const schemaUrl = async () => {
  const schema = `elevate_bench_${randomBytes(6).toString('hex')}`;
  await admin(`create schema ${schema}`);
  schemas.push(schema);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
};
try {
  const raw = await measureRawFloor(await schemaUrl());
  const sqlite = await measure(join(dir, 'elevate.db'), 1);
  const pg1 = await measure(await schemaUrl(), 1);
  const pg2 = await measure(await schemaUrl(), 2);
  console.log(`request→approve cycles/s, ${CYCLES} cycles per configuration, ${CHAINS} concurrent chains per instance, each instance its own process:`);
  console.log(`  raw PostgreSQL (pg, prepared), ${CHAINS} clients: ${raw.rate.toFixed(0)}   (${raw.statements} statements per cycle as captured, ${raw.left} on the audit head left out)`);
  console.log(`  SQLite file, 1 instance:          ${sqlite.toFixed(0)}`);
  console.log(`  PostgreSQL, 1 instance:           ${pg1.toFixed(0)}`);
  console.log(`  PostgreSQL, 2 instances, one DB:  ${pg2.toFixed(0)}`);
  console.log(`targets: PostgreSQL 1 instance / raw = ${(pg1 / raw.rate).toFixed(2)} (≥ 0.40); PostgreSQL 2 instances / 1 instance = ${(pg2 / pg1).toFixed(2)} (≥ 1.0)`);
  for (const line of verifications) console.log(`  ${line}`);
  console.log(`ratios: PostgreSQL 1 / SQLite 1 = ${(pg1 / sqlite).toFixed(2)}; PostgreSQL 2 / PostgreSQL 1 = ${(pg2 / pg1).toFixed(2)}; PostgreSQL 2 / SQLite 1 = ${(pg2 / sqlite).toFixed(2)}`);
} finally {
  for (const schema of schemas) await admin(`drop schema if exists ${schema} cascade`);
  rmSync(dir, { recursive: true, force: true });
}

// The write path (issue 17): SQLite 1 chain vs CHAINS chains, and the expiry pass on both databases.
const { benchWritePath } = await import('./write-path.js');
await benchWritePath(POSTGRES_URL);
