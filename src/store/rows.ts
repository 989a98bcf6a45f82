import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Target, TargetType } from '../core/model.js';
import type { VisibleTo } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import { targetKey } from '../core/targets.js';
import type { TargetColumns } from './database.js';

// Rows per multi-row insert or `in (…)` list: far below SQLite's 32,766 and PostgreSQL's
// 65,535 bound parameters, even for the widest table.
export const BATCH_SIZE = 500;

/** Splits a list into batches of at most `size` items. */
export function batches<T>(items: readonly T[], size = BATCH_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function targetColumns(target: Target): TargetColumns {
  return {
    target_key: targetKey(target.name),
    target_type: target.type,
    target_scope: target.scope,
    target_name: target.name,
  };
}

export function targetOf(row: TargetColumns): Target {
  return { type: row.target_type as TargetType, scope: row.target_scope, name: row.target_name };
}

/** Counts and sums come back as strings (int8) on PostgreSQL, numbers on SQLite. */
export function toNumber(value: string | number | bigint | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** True when exactly one row changed (`numUpdatedRows` and friends are bigints). */
export function changedOne(count: bigint | undefined): boolean {
  return count === 1n;
}

/**
 * `limit 1` written into the SQL: Kysely binds limits as parameters, and SQLite runs a small
 * indexed `select … limit ?` several times slower than the same query with a literal limit.
 */
export const LIMIT_ONE = sql.lit(1);

/** Rows `visibleTo` may see: its own (`ownerColumn`) and those of the policies it approves. */
export function visibleToCondition(ownerColumn: 'requester_id' | 'principal_id', visibleTo: VisibleTo): RawBuilder<SqlBool> {
  const parts = [
    ...(visibleTo.principalId !== null ? [sql`${sql.ref(ownerColumn)} = ${visibleTo.principalId}`] : []),
    ...(visibleTo.policyIds.length > 0 ? [sql`policy_id in (${sql.join(visibleTo.policyIds)})`] : []),
  ];
  return parts.length > 0 ? sql<SqlBool>`(${sql.join(parts, sql` or `)})` : sql<SqlBool>`1 = 0`;
}

/** Rows after (`time`, `id`) in a listing ordered by time then id, both descending (paging). */
export function beforeCondition(timeColumn: 'created_at' | 'starts_at', time: Instant, id: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.ref(timeColumn)} < ${time} or (${sql.ref(timeColumn)} = ${time} and id < ${id}))`;
}
