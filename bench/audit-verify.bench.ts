/**
 * Audit verify benchmark (issue: proof of the audit log). Writes RECORDS keyed audit records
 * (default 1,000,000) to a SQLite file as Elevate chains them, then times `audit verify` over
 * them through the use case (page by page) and prints records/s and the heap and RSS growth
 * during verification: constant memory means the growth does not depend on RECORDS.
 * Run: npm run bench:audit   (RECORDS=200000 for a quicker run). It runs with a 96 MiB heap limit:
 * verifying a log of any size must fit in it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { GENESIS_HASH, keyedRecord } from '../src/core/audit.js';
import { DEFAULT_MAX_GRANT_SECONDS } from '../src/core/context.js';
import { Elevate } from '../src/core/elevate.js';
import { keyringFromSecret } from '../src/keys.js';
import { Re2Patterns } from '../src/patterns.js';
import { KyselyStore } from '../src/store/kysely-store.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { openSqlite } from '../src/store/sqlite.js';
import { randomIds, systemClock } from '../src/system.js';

const RECORDS = Number(process.env.RECORDS ?? 1_000_000);
const keys = keyringFromSecret('bench-audit-key-0123456789abcdef0123456789');

const dir = mkdtempSync(join(tmpdir(), 'elevate-bench-audit-'));
const path = join(dir, 'audit.db');
try {
  const migrated = openSqlite(path);
  await migrateToLatest(migrated);
  await migrated.destroy();

  // Records shaped like a busy installation's: requests, approvals, grants and their details.
  const writeStarted = performance.now();
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  const insert = sqlite.prepare(`insert into audit_log (seq, at, actor, actor_identity, origin, action, subject, details, key_id, mac, prev_hash, hash)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const actions = ['request.created', 'request.approved', 'grant.started', 'grant.expired'];
  let prevHash = GENESIS_HASH;
  const writeBatch = sqlite.transaction((from: number, to: number) => {
    for (let seq = from; seq <= to; seq++) {
      const content = {
        at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + seq * 1000).toISOString(),
        actor: `P-${(seq % 5000).toString().padStart(6, '0')}`, actorIdentity: `slack:U${seq % 5000}@T1`, origin: 'slack' as const,
        action: actions[seq % actions.length]!, subject: `R-${Math.floor(seq / 4).toString(36).toUpperCase()}`,
        details: { target: 'Exchange\\Search-Mailbox', durationSeconds: 14_400, reason: `INC-${seq} mailbox search for the legal hold` },
      };
      const record = keyedRecord(keys.audit, content, seq, prevHash);
      insert.run(seq, record.at, record.actor, record.actorIdentity, record.origin, record.action, record.subject, JSON.stringify(record.details), record.keyId, record.mac, record.prevHash, record.hash);
      prevHash = record.hash;
    }
  });
  for (let from = 1; from <= RECORDS; from += 10_000) writeBatch(from, Math.min(RECORDS, from + 9_999));
  sqlite.prepare('update audit_head set seq = ?, hash = ? where id = 1').run(RECORDS, prevHash);
  sqlite.close();
  console.log(`wrote ${RECORDS} keyed audit records in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s`);

  const db = openSqlite(path);
  const store = new KyselyStore(db, 'sqlite', { clock: systemClock });
  const elevate = new Elevate({
    store, clock: systemClock, ids: randomIds, patterns: new Re2Patterns(),
    directory: { resolveGroupMembers: async () => [] },
    config: { keys, maxGrantSeconds: DEFAULT_MAX_GRANT_SECONDS, requestTimeoutSeconds: 86_400, defaultApproverGroup: 'admins', expiryWarningSeconds: 900, reminderAfterSeconds: 3600, feedPlatforms: [] },
  });
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  let peakHeap = heapBefore;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakRss = Math.max(peakRss, usage.rss);
  }, 20);
  const started = performance.now();
  const result = await elevate.verifyAudit({ kind: 'operator', origin: 'cli' }, { anchors: [{ seq: RECORDS, hash: prevHash }] });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  // better-sqlite3 answers synchronously, so the sampler may rarely run: RSS seldom shrinks, so
  // its value now is close to its peak. The run's heap cap (--max-old-space-size) bounds the rest.
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  await db.destroy();
  if (!result.ok || result.checked !== RECORDS) throw new Error(`verify did not pass: ${JSON.stringify(result.problem ?? result.anchors)}`);
  console.log(`audit verify (keyed chain, SQLite file, with an anchor at the head): ${RECORDS} records in ${seconds.toFixed(1)} s = ${(RECORDS / seconds).toFixed(0)} records/s`);
  const heapLimit = (await import('node:v8')).getHeapStatistics().heap_size_limit;
  console.log(`memory while verifying: heap +${((peakHeap - heapBefore) / 1024 / 1024).toFixed(0)} MiB, RSS +${((peakRss - rssBefore) / 1024 / 1024).toFixed(0)} MiB, within a heap limit of ${(heapLimit / 1024 / 1024).toFixed(0)} MiB (pages of 5,000 records: independent of the log's size)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
