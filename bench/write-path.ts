/**
 * The write path's section of postgres.bench.ts (issue 17), run after its own figures:
 *  - SQLite, one instance: request→approve cycles per second with 1 chain and with CHAINS chains at
 *    once (each Elevate its own process, as postgres.bench.ts runs it), and the ratio (target ≥ 0.9:
 *    the process's transactions queue for the single writer instead of contending);
 *  - one scheduler pass expiring DUE of GRANTS active grants, on SQLite and on PostgreSQL
 *    (target ≤ 1 s each; also the CPU time Elevate's process used, which a busy machine disturbs
 *    less than the wall clock), and `audit verify` of the chain it wrote.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { DEFAULT_MAX_GRANT_SECONDS } from '../src/core/context.js';
import { Elevate } from '../src/core/elevate.js';
import type { KeySet } from '../src/core/keyring.js';
import type { Actor, Clock } from '../src/core/ports.js';
import { signGrant, signRequest } from '../src/core/signature.js';
import { keyringFromSecret } from '../src/keys.js';
import { openDatabase } from '../src/main.js';
import { Re2Patterns } from '../src/patterns.js';
import type { Database, GrantsTable, RequestsTable } from '../src/store/database.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { randomIds, systemClock } from '../src/system.js';
import { workerMessage } from './bench-kit.js';
import { seedApprovalSetup } from './grant-fixture.js';

const CYCLES = Number(process.env.CYCLES ?? 2000);
const CHAINS = Number(process.env.CHAINS ?? 8);
const GRANTS = Number(process.env.GRANTS ?? 100_000);
const DUE = Number(process.env.DUE ?? 10_000);
const KEYS = keyringFromSecret('bench-key-0123456789abcdef0123456789abcdef');
const WORKER = join(import.meta.dirname, 'postgres-worker.js');
const OPERATOR: Actor = { kind: 'operator', origin: 'cli' };
// Rows per seeding insert: 27 columns × 500 stays far below both databases' bound-parameter limits.
const SEED_BATCH = 500;

class SteppingClock implements Clock {
  ms = Date.parse('2026-11-27T09:00:00.000Z');
  now() { return new Date(this.ms).toISOString(); }
}

function engine(store: KyselyStore, clock: Clock): Elevate {
  return new Elevate({
    patterns: new Re2Patterns(),
    store, clock, ids: randomIds, directory: { resolveGroupMembers: async () => [] },
    config: { keys: KEYS, maxGrantSeconds: DEFAULT_MAX_GRANT_SECONDS, requestTimeoutSeconds: 86400, defaultApproverGroup: 'admins', expiryWarningSeconds: 900, reminderAfterSeconds: 3600, feedPlatforms: ['slack'] },
  });
}

/** Cycles per second of one Elevate process on the SQLite file `path` running `chains` chains at once. */
async function sqliteCycles(path: string, chains: number): Promise<number> {
  const { db, store } = await openDatabase(path, systemClock);
  await seedApprovalSetup(engine(store, systemClock));
  await db.destroy();
  const worker = fork(WORKER, [path, '0', String(CYCLES), String(chains)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await workerMessage(worker, 'ready');
  const finished = workerMessage(worker, 'done');
  const started = performance.now();
  worker.send('go');
  const done = await finished;
  return done.done! / ((performance.now() - started) / 1000);
}

/**
 * Bulk-loads `count` active signed grants of `Exchange\Search-Mailbox` (with their requests and
 * holders `slack:US0`…) through Kysely, so SQLite and PostgreSQL get the same rows: a fixture,
 * not what is measured. The first DUE end at 09:30, the rest at 17:00.
 */
async function seedGrantRows(db: Kysely<Database>, keys: KeySet, count: number): Promise<void> {
  const now = '2026-11-27T09:00:00.000Z';
  const policyId = (await db.selectFrom('policies').select('id').executeTakeFirstOrThrow()).id;
  const name = 'Exchange\\Search-Mailbox';
  const target = { type: 'task' as const, scope: 'Exchange', name };
  const targetColumns = { target_key: name.toLowerCase(), target_type: 'task', target_scope: 'Exchange', target_name: name };
  await db.transaction().execute(async (trx) => {
    for (let first = 0; first < count; first += SEED_BATCH) {
      const ids = Array.from({ length: Math.min(SEED_BATCH, count - first) }, (_, k) => first + k);
      await trx.insertInto('principals').values(ids.map((i) => ({ id: `P-S${i}`, display_name: null, email: null, created_at: now }))).execute();
      await trx.insertInto('principal_identities').values(ids.map((i) => ({ identity: `slack:US${i}`, principal_id: `P-S${i}`, added_at: now, email: null, display_name: null, updated_at: now }))).execute();
      await trx.insertInto('requests').values(ids.map((i): RequestsTable => ({
        id: `R-S${i}`, requester_id: `P-S${i}`, requester_identity: null, policy_id: policyId, policy_version: null, extends_grant_id: null, ...targetColumns,
        duration_seconds: 3600, reason: 'seed', ticket: null, status: 'approved', created_at: now, deadline_at: now, decided_at: now, decided_by: null,
        decision_comment: null, approvals_required: 1, grant_id: `G-S${i}`, change_json: null, origin: 'cli', reminded_at: null, starts_at: null, reminders_sent: 0,
        signature: signRequest(keys, {
          id: `R-S${i}`, requesterId: `P-S${i}`, requesterIdentity: null, policyId, policyVersion: null, target, durationSeconds: 3600,
          reason: 'seed', ticket: null, createdAt: now, deadlineAt: now, change: null, approvalsRequired: 1, origin: 'cli', extendsGrantId: null,
        }),
        updated_at: now,
      }))).execute();
      await trx.insertInto('grants').values(ids.map((i): GrantsTable => {
        const endsAt = i < DUE ? '2026-11-27T09:30:00.000Z' : '2026-11-27T17:00:00.000Z';
        return {
          id: `G-S${i}`, request_id: `R-S${i}`, principal_id: `P-S${i}`, policy_id: policyId, ...targetColumns, starts_at: now, ends_at: endsAt, status: 'active',
          ended_at: null, ended_by: null, end_comment: null, expiry_notice_at: now, updated_at: now,
          hook: null, hook_started_at: null, hook_ended_at: null, hook_alerted_at: null,
          signature: signGrant(keys, { id: `G-S${i}`, requestId: `R-S${i}`, principalId: `P-S${i}`, policyId, target, startsAt: now, endsAt, status: 'active', endedAt: null }),
        };
      })).execute();
    }
  });
}

/** Seconds one scheduler pass takes to expire DUE of GRANTS grants on `url`, and whether the audit chain verifies after it. */
async function expiryPass(url: string): Promise<{ seconds: number; cpuSeconds: number; expired: number; verified: boolean }> {
  const clock = new SteppingClock();
  const { db, store } = await openDatabase(url, clock, { poolSize: 2 });
  try {
    const elevate = engine(store, clock);
    await elevate.bootstrap({ admins: ['slack:UADMIN'], auditors: [] });
    await elevate.createPolicy(OPERATOR, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'auto' });
    await seedGrantRows(db, KEYS.signing, GRANTS);
    // PostgreSQL's autovacuum would gather statistics on the new rows within a minute; the fixture
    // does not wait for it (without them the planner guesses the bulk-loaded tables are empty).
    if (store.dialect === 'postgres') await sql`analyze`.execute(db);
    clock.ms = Date.parse('2026-11-27T10:00:00.000Z');
    const started = performance.now();
    const cpu = process.cpuUsage();
    const done = await elevate.runDueJobs();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const verified = (await elevate.verifyAudit(OPERATOR)).ok;
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6, expired: done.grantsExpired, verified };
  } finally {
    await db.destroy();
  }
}

/** Runs the section and prints its figures; `postgresUrl` is where it makes (and drops) a schema of its own. */
export async function benchWritePath(postgresUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-write-path-'));
  const schema = `elevate_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  try {
    const one = await sqliteCycles(join(dir, 'one.db'), 1);
    const many = await sqliteCycles(join(dir, 'many.db'), CHAINS);
    console.log(`SQLite 1 chain vs ${CHAINS} chains (one instance, ${CYCLES} request→approve cycles each):`);
    console.log(`  SQLite file, 1 chain:             ${one.toFixed(0)}`);
    console.log(`  SQLite file, ${CHAINS} chains:            ${many.toFixed(0)}`);
    console.log(`ratio: SQLite ${CHAINS} chains / 1 chain = ${(many / one).toFixed(2)}  (target ≥ 0.90)`);
    const sqlite = await expiryPass(join(dir, 'expiry.db'));
    await admin(`create schema ${schema}`);
    const url = new URL(postgresUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const postgres = await expiryPass(url.toString());
    console.log(`scheduler pass expiring ${DUE} due grants among ${GRANTS} (batches of 500, set-based):`);
    for (const [name, pass] of [['SQLite file', sqlite], ['PostgreSQL', postgres]] as const) {
      console.log(`  ${name.padEnd(12)} ${pass.seconds.toFixed(2)} s  (target ≤ 1 s; Elevate's own CPU ${pass.cpuSeconds.toFixed(2)} s; ${pass.expired} expired; audit verify ${pass.verified ? 'ok' : 'FAILED'})`);
    }
  } finally {
    await admin(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
