import type { BreakGlassReviewStatus, BreakGlassUse } from '../core/model.js';
import type { BreakGlassFilter } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import type { BreakGlassUsesTable, Db } from './database.js';
import { changedOne } from './rows.js';

// Rows listBreakGlassUses returns when the filter names no limit.
const DEFAULT_LIST_LIMIT = 100;

function toRow(use: BreakGlassUse): BreakGlassUsesTable {
  return {
    grant_id: use.grantId, request_id: use.requestId, principal_id: use.principalId, policy_id: use.policyId, target_name: use.targetName,
    reason: use.reason, used_at: use.usedAt, ends_at: use.endsAt, review_due_at: use.reviewDueAt, status: use.status,
    reviewed_at: use.reviewedAt, reviewed_by: use.reviewedBy, review_comment: use.reviewComment, reminded_at: use.remindedAt,
    reminders_sent: use.remindersSent, escalated_at: use.escalatedAt,
  };
}

function toUse(row: BreakGlassUsesTable): BreakGlassUse {
  return {
    grantId: row.grant_id, requestId: row.request_id, principalId: row.principal_id, policyId: row.policy_id, targetName: row.target_name,
    reason: row.reason, usedAt: row.used_at, endsAt: row.ends_at, reviewDueAt: row.review_due_at, status: row.status as BreakGlassReviewStatus,
    reviewedAt: row.reviewed_at, reviewedBy: row.reviewed_by, reviewComment: row.review_comment, remindedAt: row.reminded_at,
    remindersSent: Number(row.reminders_sent), escalatedAt: row.escalated_at,
  };
}

export async function insertBreakGlassUse(db: Db, use: BreakGlassUse): Promise<void> {
  await db.insertInto('break_glass_uses').values(toRow(use)).execute();
}

export async function getBreakGlassUse(db: Db, grantId: string): Promise<BreakGlassUse | undefined> {
  const row = await db.selectFrom('break_glass_uses').selectAll().where('grant_id', '=', grantId).executeTakeFirst();
  return row && toUse(row);
}

/** Uses by a person on a policy after `since` (the per-day limit: a use exactly a day old no longer counts). */
export async function countBreakGlassUses(db: Db, principalId: string, policyId: string, since: Instant): Promise<number> {
  const row = await db.selectFrom('break_glass_uses').select((eb) => eb.fn.countAll().as('n'))
    .where('principal_id', '=', principalId).where('policy_id', '=', policyId).where('used_at', '>', since).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Compare-and-set: records the review of a use still pending; false when it was reviewed already. */
export async function reviewBreakGlassUse(db: Db, use: BreakGlassUse): Promise<boolean> {
  const result = await db.updateTable('break_glass_uses')
    .set({ status: use.status, reviewed_at: use.reviewedAt, reviewed_by: use.reviewedBy, review_comment: use.reviewComment })
    .where('grant_id', '=', use.grantId).where('status', '=', 'pending').executeTakeFirst();
  return changedOne(result.numUpdatedRows);
}

/** Pending uses last reminded (never: used) at or before `before`, reminded fewer than `maxReminders` times, oldest first. */
export async function listBreakGlassToRemind(db: Db, before: Instant, limit: number, maxReminders: number): Promise<BreakGlassUse[]> {
  const rows = await db.selectFrom('break_glass_uses').selectAll()
    .where('status', '=', 'pending').where('reminders_sent', '<', maxReminders)
    .where((eb) => eb.or([
      eb.and([eb('reminded_at', 'is', null), eb('used_at', '<=', before)]),
      eb('reminded_at', '<=', before),
    ]))
    .orderBy('used_at').orderBy('grant_id').limit(limit).execute();
  return rows.map(toUse);
}

/** Compare-and-set on the previous reminder's time (null: the first): one instance of several wins. */
export async function markBreakGlassReminded(db: Db, grantId: string, at: Instant, previous: Instant | null): Promise<boolean> {
  let query = db.updateTable('break_glass_uses')
    .set((eb) => ({ reminded_at: at, reminders_sent: eb('reminders_sent', '+', 1) }))
    .where('grant_id', '=', grantId).where('status', '=', 'pending');
  query = previous === null ? query.where('reminded_at', 'is', null) : query.where('reminded_at', '=', previous);
  return changedOne((await query.executeTakeFirst()).numUpdatedRows);
}

/** Pending uses past their review deadline whose admins were not told yet, oldest deadline first. */
export async function listBreakGlassOverdue(db: Db, at: Instant, limit: number): Promise<BreakGlassUse[]> {
  const rows = await db.selectFrom('break_glass_uses').selectAll()
    .where('status', '=', 'pending').where('review_due_at', '<=', at).where('escalated_at', 'is', null)
    .orderBy('review_due_at').orderBy('grant_id').limit(limit).execute();
  return rows.map(toUse);
}

/** Compare-and-set: marks a pending use escalated once; false when it was already. */
export async function markBreakGlassEscalated(db: Db, grantId: string, at: Instant): Promise<boolean> {
  const result = await db.updateTable('break_glass_uses').set({ escalated_at: at })
    .where('grant_id', '=', grantId).where('status', '=', 'pending').where('escalated_at', 'is', null).executeTakeFirst();
  return changedOne(result.numUpdatedRows);
}

/** Uses newest first; an empty `policyIds` or `visibleTo` matching nothing gives nothing. */
export async function listBreakGlassUses(db: Db, filter: BreakGlassFilter): Promise<BreakGlassUse[]> {
  if (filter.policyIds?.length === 0) return [];
  let query = db.selectFrom('break_glass_uses').selectAll();
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.policyIds !== undefined) query = query.where('policy_id', 'in', filter.policyIds);
  if (filter.principalId !== undefined) query = query.where('principal_id', '=', filter.principalId);
  if (filter.from !== undefined) query = query.where('used_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('used_at', '<=', filter.to);
  const rows = await query.orderBy('used_at', 'desc').orderBy('grant_id', 'desc').limit(filter.limit ?? DEFAULT_LIST_LIMIT).execute();
  return rows.map(toUse);
}
