import type { AuditRecord, Origin } from '../core/model.js';
import type { AuditFilter } from '../core/ports.js';
import type { AuditLogTable, Db } from './database.js';
import { queryTemplate } from './query-templates.js';
import { batches } from './rows.js';

// Records listAudit returns when the filter names no limit.
const DEFAULT_LIST_LIMIT = 1000;
const HEAD_ID = 1;

export interface AuditHead {
  seq: number;
  hash: string;
}

function toHead(row: { seq: number | string; hash: string } | undefined): AuditHead | undefined {
  const seq = row ? Number(row.seq) : 0;
  return row && seq > 0 ? { seq, hash: row.hash } : undefined;
}

const LOCK_HEAD = queryTemplate((db, _: Record<string, never>) => db.updateTable('audit_head')
  .set((eb) => ({ seq: eb.ref('seq') })).where('id', '=', HEAD_ID).returning(['seq', 'hash']));
const CREATE_HEAD = queryTemplate((db, _: Record<string, never>) => db.insertInto('audit_head')
  .values({ id: HEAD_ID, seq: 0, hash: '' }).onConflict((oc) => oc.column('id').doNothing()));

/**
 * The chain head, locked until the transaction ends: the no-op update takes the row lock on
 * PostgreSQL (a concurrent appender waits here, then reads the head it wrote) and the write lock
 * on SQLite. Portable; the migration creates the head row, and this recreates it if missing.
 */
export async function lockAuditHead(db: Db): Promise<AuditHead | undefined> {
  let row = await LOCK_HEAD.first(db, {});
  if (!row) {
    await CREATE_HEAD.affected(db, {});
    row = await LOCK_HEAD.first(db, {});
  }
  return toHead(row);
}

const GET_HEAD = queryTemplate((db, _: Record<string, never>) => db.selectFrom('audit_head').select(['seq', 'hash'])
  .where('id', '=', HEAD_ID));

/** The chain head without locking (for `audit verify`); undefined when the log is empty. */
export async function getAuditHead(db: Db): Promise<AuditHead | undefined> {
  return toHead(await GET_HEAD.first(db, {}));
}

const INSERT_RECORDS = queryTemplate((db, a: { rows: AuditLogTable[] }) => db.insertInto('audit_log').values(a.rows));
const MOVE_HEAD = queryTemplate((db, a: { seq: number; hash: string }) => db.insertInto('audit_head')
  .values({ id: HEAD_ID, seq: a.seq, hash: a.hash })
  .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ seq: eb.ref('excluded.seq'), hash: eb.ref('excluded.hash') }))));

/**
 * Appends records (already numbered and hashed by the core, after `lockAuditHead`) and moves
 * the head to the last one. A duplicate `seq` throws (primary key): the chain never forks.
 */
export async function insertAuditRecords(db: Db, records: AuditRecord[]): Promise<void> {
  const last = records.at(-1);
  if (!last) return;
  for (const batch of batches(records)) {
    await INSERT_RECORDS.affected(db, { rows: batch.map((record): AuditLogTable => ({
      seq: record.seq, ...contentColumns(record), prev_hash: record.prevHash, hash: record.hash,
    })) });
  }
  await MOVE_HEAD.affected(db, { seq: last.seq, hash: last.hash });
}

/** In sequence order; `from` / `to` are inclusive bounds on `at`; filters are exact matches. */
export async function listAudit(db: Db, filter: AuditFilter): Promise<AuditRecord[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<=', filter.to);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.afterSeq !== undefined) query = query.where('seq', '>', filter.afterSeq);
  const rows = await query.orderBy('seq').limit(filter.limit ?? DEFAULT_LIST_LIMIT).execute();
  return rows.map((row) => ({ seq: Number(row.seq), ...contentOf(row), prevHash: row.prev_hash, hash: row.hash }));
}

/** A record's content (all but its place in the chain): the same columns in `audit_log` and `audit_pending`. */
type AuditContent = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;
export type AuditContentColumns = Omit<AuditLogTable, 'seq' | 'prev_hash' | 'hash'>;

export function contentColumns(record: AuditContent): AuditContentColumns {
  return {
    at: record.at,
    actor: record.actor,
    actor_identity: record.actorIdentity,
    origin: record.origin,
    action: record.action,
    subject: record.subject,
    details: JSON.stringify(record.details),
    key_id: record.keyId,
    mac: record.mac,
  };
}

export function contentOf(row: AuditContentColumns): AuditContent {
  return {
    at: row.at,
    actor: row.actor,
    actorIdentity: row.actor_identity,
    origin: row.origin as Origin,
    action: row.action,
    subject: row.subject,
    details: JSON.parse(row.details) as Record<string, unknown>,
    keyId: row.key_id,
    mac: row.mac,
  };
}

/** Replaces key, MAC and hashes of records (by sequence) and moves the head to the last: the one-time keying of an unkeyed chain. */
export async function rewriteAuditRecords(db: Db, records: AuditRecord[]): Promise<void> {
  for (const record of records) {
    await db.updateTable('audit_log').set({ key_id: record.keyId, mac: record.mac, prev_hash: record.prevHash, hash: record.hash })
      .where('seq', '=', record.seq).execute();
  }
  const last = records.at(-1);
  if (last) await MOVE_HEAD.affected(db, { seq: last.seq, hash: last.hash });
}
