import type { Grant, GrantStatus } from '../core/model.js';
import type { GrantFilter, VisibleTo } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import { sql, type SqlBool } from 'kysely';
import type { Db, GrantsTable } from './database.js';
import { queryTemplate } from './query-templates.js';
import { batches, beforeCondition, changedOne, LIMIT_ONE, targetColumns, targetOf, visibleToCondition } from './rows.js';

// Rows listGrants returns when the filter names no limit.
const DEFAULT_LIST_LIMIT = 100;

function toRow(grant: Grant): GrantsTable {
  return {
    id: grant.id,
    request_id: grant.requestId,
    principal_id: grant.principalId,
    policy_id: grant.policyId,
    ...targetColumns(grant.target),
    starts_at: grant.startsAt,
    ends_at: grant.endsAt,
    status: grant.status,
    ended_at: grant.endedAt,
    ended_by: grant.endedBy,
    end_comment: grant.endComment,
    expiry_notice_at: grant.expiryNoticeAt,
    updated_at: grant.updatedAt,
    hook: grant.hook,
    hook_started_at: grant.hookStartedAt,
    hook_ended_at: grant.hookEndedAt,
    hook_alerted_at: grant.hookAlertedAt,
    signature: grant.signature,
    break_glass: grant.breakGlass ? 1 : 0,
  };
}

function toGrant(row: GrantsTable): Grant {
  return {
    id: row.id,
    requestId: row.request_id,
    principalId: row.principal_id,
    policyId: row.policy_id,
    target: targetOf(row),
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    status: row.status as GrantStatus,
    endedAt: row.ended_at,
    endedBy: row.ended_by,
    endComment: row.end_comment,
    expiryNoticeAt: row.expiry_notice_at,
    updatedAt: row.updated_at,
    hook: row.hook ?? null,
    hookStartedAt: row.hook_started_at ?? null,
    hookEndedAt: row.hook_ended_at ?? null,
    hookAlertedAt: row.hook_alerted_at ?? null,
    signature: row.signature ?? null,
    ...(Number(row.break_glass ?? 0) === 1 ? { breakGlass: true } : {}),
  };
}

const GET = queryTemplate((db, a: { id: string }) => db.selectFrom('grants').selectAll().where('id', '=', a.id));

export async function getGrant(db: Db, id: string): Promise<Grant | undefined> {
  const row = await GET.first(db, { id });
  return row && toGrant(row);
}

// No `order by`: it would lead SQLite to walk every active grant by end time.
const FIND_ACTIVE = queryTemplate((db, a: { principalId: string; targetKey: string }) => db.selectFrom('grants')
  .selectAll().where('principal_id', '=', a.principalId).where('target_key', '=', a.targetKey)
  .where('status', '=', 'active').limit(LIMIT_ONE));

/** The principal's active grant on the target (the core keeps one: a second approval extends it). */
export async function findActiveGrant(db: Db, principalId: string, targetKey: string): Promise<Grant | undefined> {
  const row = await FIND_ACTIVE.first(db, { principalId, targetKey });
  return row && toGrant(row);
}

/** Latest start first; an empty `policyIds` matches nothing. */
export async function listGrants(db: Db, filter: GrantFilter): Promise<Grant[]> {
  if (filter.policyIds?.length === 0) return [];
  let query = db.selectFrom('grants').selectAll();
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.principalId !== undefined) query = query.where('principal_id', '=', filter.principalId);
  if (filter.policyIds !== undefined) query = query.where('policy_id', 'in', filter.policyIds);
  if (filter.targetKey !== undefined) query = query.where('target_key', '=', filter.targetKey);
  if (filter.visibleTo !== undefined) query = query.where(visibleToCondition('principal_id', filter.visibleTo));
  if (filter.before !== undefined) query = query.where(beforeCondition('starts_at', filter.before.startsAt, filter.before.id));
  const rows = await query.orderBy('starts_at', 'desc').orderBy('id', 'desc')
    .limit(filter.limit ?? DEFAULT_LIST_LIMIT).execute();
  return rows.map(toGrant);
}

const INSERT = queryTemplate((db, a: { row: GrantsTable }) => db.insertInto('grants').values(a.row));

export async function insertGrant(db: Db, grant: Grant): Promise<void> {
  await INSERT.affected(db, { row: toRow(grant) });
}

/** Hook columns: set once at insert (`hook`) or by `markGrantHook`, never by a whole-grant update. */
type HookColumns = 'hook' | 'hook_started_at' | 'hook_ended_at' | 'hook_alerted_at';

const UPDATE_IF_ACTIVE = queryTemplate((db, a: { id: string; set: Omit<GrantsTable, 'id' | HookColumns> }) => db.updateTable('grants')
  .set(a.set).where('id', '=', a.id).where('status', '=', 'active'));

/**
 * Writes every column but id and the hook columns (a concurrent hook mark is never overwritten
 * by a stale copy), if the stored grant is still active.
 */
export async function updateGrantIfActive(db: Db, grant: Grant): Promise<boolean> {
  const { id, hook: _hook, hook_started_at: _started, hook_ended_at: _ended, hook_alerted_at: _alerted, ...set } = toRow(grant);
  return changedOne(await UPDATE_IF_ACTIVE.affected(db, { id, set }));
}

const UPDATE_IF_SCHEDULED = queryTemplate((db, a: { id: string; set: Omit<GrantsTable, 'id' | HookColumns> }) => db.updateTable('grants')
  .set(a.set).where('id', '=', a.id).where('status', '=', 'scheduled'));

/** As `updateGrantIfActive`, if the stored grant is still scheduled (its window has not started). */
export async function updateGrantIfScheduled(db: Db, grant: Grant): Promise<boolean> {
  const { id, hook: _hook, hook_started_at: _started, hook_ended_at: _ended, hook_alerted_at: _alerted, ...set } = toRow(grant);
  return changedOne(await UPDATE_IF_SCHEDULED.affected(db, { id, set }));
}

// The new signatures and the ends read, per grant, as a derived table joined to the update:
// `update … from (values …)` (SQLite 3.33+, PostgreSQL), whose columns both name column1, column2…
const EXPIRE_IF_DUE = queryTemplate((db, a: { at: Instant; grants: Array<{ id: string; endsAt: string; signature: string | null }> }) => {
  const read = sql`(values ${sql.join(a.grants.map((grant) => sql`(${grant.id}, ${grant.endsAt}, ${grant.signature})`))})`.as('r');
  return db.updateTable('grants')
    .from(read)
    .set({ status: 'expired', ended_at: a.at, ended_by: null, end_comment: null, updated_at: a.at, signature: sql<string>`r.column3` })
    .where(sql<SqlBool>`grants.id = r.column1`)
    .where(sql<SqlBool>`grants.ends_at = r.column2`)
    .where('grants.status', '=', 'active')
    .where('grants.ends_at', '<=', a.at)
    .returning('grants.id');
});

/**
 * One `update … where status = 'active' and ends_at <= at … returning id` per 500 grants, each
 * row joined to the id and end it was read with (see `StoreTx.expireGrantsIfDue`).
 */
export async function expireGrantsIfDue(db: Db, expired: Grant[], at: Instant): Promise<string[]> {
  const changed: string[] = [];
  for (const batch of batches(expired)) {
    const rows = await EXPIRE_IF_DUE.rows(db, { at, grants: batch.map((grant) => ({ id: grant.id, endsAt: grant.endsAt, signature: grant.signature })) });
    changed.push(...rows.map((row) => row.id));
  }
  return changed;
}

const HOOK_MARK_COLUMNS = { started: 'hook_started_at', ended: 'hook_ended_at', alerted: 'hook_alerted_at' } as const;

/** Sets one hook progress time once (compare-and-set on null), whatever the grant's status. */
export async function markGrantHook(db: Db, id: string, mark: keyof typeof HOOK_MARK_COLUMNS, at: Instant): Promise<boolean> {
  const column = HOOK_MARK_COLUMNS[mark];
  const result = await db.updateTable('grants').set({ [column]: at }).where('id', '=', id).where(column, 'is', null).executeTakeFirst();
  return changedOne(result.numUpdatedRows);
}

/**
 * Active grants, and ended grants with a hook whose end hook has not succeeded; latest start
 * first. Scheduled grants are held by nobody yet.
 */
export async function listGrantsHeld(db: Db, limit: number, filter: { targetKey?: string; visibleTo?: VisibleTo } = {}): Promise<Grant[]> {
  let query = db.selectFrom('grants').selectAll()
    .where((eb) => eb.or([
      eb('status', '=', 'active'),
      eb.and([eb('hook_ended_at', 'is', null), eb('hook', 'is not', null), eb('status', '!=', 'scheduled')]),
    ]));
  if (filter.targetKey !== undefined) query = query.where('target_key', '=', filter.targetKey);
  if (filter.visibleTo !== undefined) query = query.where(visibleToCondition('principal_id', filter.visibleTo));
  const rows = await query.orderBy('starts_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toGrant);
}

// Due-time lists order by the indexed time only: a tie-breaker on id would make SQLite sort
// every due row (its index already returns ties in insertion order).
const PAST_END = queryTemplate((db, a: { at: Instant; limit: number }) => db.selectFrom('grants').selectAll()
  .where('status', '=', 'active').where('ends_at', '<=', a.at)
  .orderBy('ends_at').limit(a.limit));

export async function listGrantsPastEnd(db: Db, at: Instant, limit: number): Promise<Grant[]> {
  return (await PAST_END.rows(db, { at, limit })).map(toGrant);
}

const DUE_TO_START = queryTemplate((db, a: { at: Instant; limit: number }) => db.selectFrom('grants').selectAll()
  .where('status', '=', 'scheduled').where('starts_at', '<=', a.at)
  .orderBy('starts_at').limit(a.limit));

/** Scheduled grants whose window starts at or before `at`, earliest first. */
export async function listGrantsDueToStart(db: Db, at: Instant, limit: number): Promise<Grant[]> {
  return (await DUE_TO_START.rows(db, { at, limit })).map(toGrant);
}

const TO_WARN = queryTemplate((db, a: { endsBefore: Instant; limit: number }) => db.selectFrom('grants').selectAll()
  .where('status', '=', 'active').where('ends_at', '<=', a.endsBefore).where('expiry_notice_at', 'is', null)
  .orderBy('ends_at').limit(a.limit));

export async function listGrantsToWarn(db: Db, endsBefore: Instant, limit: number): Promise<Grant[]> {
  return (await TO_WARN.rows(db, { endsBefore, limit })).map(toGrant);
}

const MARK_WARNED = queryTemplate((db, a: { id: string; at: Instant }) => db.updateTable('grants')
  .set({ expiry_notice_at: a.at, updated_at: a.at })
  .where('id', '=', a.id).where('status', '=', 'active').where('expiry_notice_at', 'is', null));

/** Sets `expiry_notice_at` once, while active. */
export async function markGrantWarned(db: Db, id: string, at: Instant): Promise<boolean> {
  return changedOne(await MARK_WARNED.affected(db, { id, at }));
}

const ACTIVE = queryTemplate((db, _: Record<string, never>) => db.selectFrom('grants').selectAll()
  .where('status', '=', 'active'));
const CHANGED_SINCE = queryTemplate((db, a: { since: Instant }) => db.selectFrom('grants').selectAll()
  .where('updated_at', '>=', a.since));

/**
 * For the check index: every grant, whatever its status, changed at or after `since` (so the
 * index also learns of grants that ended); every active grant when `since` is undefined.
 * In no particular order (each grant appears once; sorting 100,000 rows costs a third more).
 */
export async function listGrantsChangedSince(db: Db, since: Instant | undefined): Promise<Grant[]> {
  const rows = since === undefined ? await ACTIVE.rows(db, {}) : await CHANGED_SINCE.rows(db, { since });
  return rows.map(toGrant);
}

const UNSIGNED = queryTemplate((db, a: { limit: number }) => db.selectFrom('grants').selectAll().where('signature', 'is', null).orderBy('id').limit(a.limit));

/** Grants of an earlier version, which signed none (signed once at start: src/core/use-cases/sign-grants.ts). */
export async function listUnsignedGrants(db: Db, limit: number): Promise<Grant[]> {
  return (await UNSIGNED.rows(db, { limit })).map(toGrant);
}

/** Sets the signature of a grant that has none yet. */
export async function setGrantSignature(db: Db, id: string, signature: string): Promise<boolean> {
  return changedOne(await db.updateTable('grants').set({ signature }).where('id', '=', id).where('signature', 'is', null).executeTakeFirst().then((r) => r.numUpdatedRows));
}
