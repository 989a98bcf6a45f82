import type { Approval, Policy } from '../core/model.js';
import type { Db, PoliciesTable } from './database.js';
import { queryTemplate } from './query-templates.js';
import { targetColumns, targetOf } from './rows.js';

function toRow(policy: Policy): PoliciesTable {
  return {
    id: policy.id,
    ...targetColumns(policy.target),
    approval: policy.approval,
    approver_group_id: policy.approverGroupId,
    approvals_required: policy.approvalsRequired,
    default_duration_seconds: policy.defaultDurationSeconds,
    max_duration_seconds: policy.maxDurationSeconds,
    reason_required: policy.reasonRequired ? 1 : 0,
    reason_pattern: policy.reasonPattern,
    reason_hint: policy.reasonHint,
    eligible_group_id: policy.eligibleGroupId,
    escalation_group_id: policy.escalationGroupId,
    approvers_channel: policy.approversChannel,
    approver_dms: policy.approverDms ? 1 : 0,
    hook: policy.hook,
    approval_step_up: policy.approvalStepUp ? 1 : 0,
    on_call: policy.onCall.length > 0 ? JSON.stringify(policy.onCall) : null,
    break_glass_group_id: policy.breakGlassGroupId,
    break_glass_max_duration_seconds: policy.breakGlassMaxDurationSeconds,
    break_glass_per_day: policy.breakGlassPerDay,
    created_at: policy.createdAt,
    updated_at: policy.updatedAt,
  };
}

function toPolicy(row: PoliciesTable): Policy {
  return {
    id: row.id,
    target: targetOf(row),
    approval: row.approval as Approval,
    approverGroupId: row.approver_group_id,
    approvalsRequired: row.approvals_required,
    defaultDurationSeconds: row.default_duration_seconds,
    maxDurationSeconds: row.max_duration_seconds,
    reasonRequired: row.reason_required === 1,
    reasonPattern: row.reason_pattern,
    reasonHint: row.reason_hint,
    eligibleGroupId: row.eligible_group_id,
    escalationGroupId: row.escalation_group_id,
    approversChannel: row.approvers_channel,
    approverDms: row.approver_dms === 1,
    hook: row.hook ?? null,
    approvalStepUp: row.approval_step_up === 1,
    onCall: row.on_call ? (JSON.parse(row.on_call) as string[]) : [],
    breakGlassGroupId: row.break_glass_group_id ?? null,
    breakGlassMaxDurationSeconds: row.break_glass_max_duration_seconds ?? null,
    breakGlassPerDay: Number(row.break_glass_per_day ?? 2),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const GET = queryTemplate((db, a: { id: string }) => db.selectFrom('policies').selectAll().where('id', '=', a.id));

export async function getPolicy(db: Db, id: string): Promise<Policy | undefined> {
  const row = await GET.first(db, { id });
  return row && toPolicy(row);
}

const FIND_BY_TARGET = queryTemplate((db, a: { targetKey: string }) => db.selectFrom('policies').selectAll()
  .where('target_key', '=', a.targetKey));

/** `targetKey` is the lower-cased target name (src/core/targets.ts `targetKey`). */
export async function findPolicyByTargetKey(db: Db, targetKey: string): Promise<Policy | undefined> {
  const row = await FIND_BY_TARGET.first(db, { targetKey });
  return row && toPolicy(row);
}

/** All policies, by target. */
export async function listPolicies(db: Db): Promise<Policy[]> {
  const rows = await db.selectFrom('policies').selectAll().orderBy('target_key').execute();
  return rows.map(toPolicy);
}

const INSERT = queryTemplate((db, a: { row: PoliciesTable }) => db.insertInto('policies').values(a.row));

/** Throws (unique constraint) when the target already has a policy. */
export async function insertPolicy(db: Db, policy: Policy): Promise<void> {
  await INSERT.affected(db, { row: toRow(policy) });
}

const UPDATE = queryTemplate((db, a: { id: string; set: Omit<PoliciesTable, 'id' | 'created_at'> }) =>
  db.updateTable('policies').set(a.set).where('id', '=', a.id));

/** Replaces every column but id and created_at. */
export async function updatePolicy(db: Db, policy: Policy): Promise<void> {
  const { id, created_at: _createdAt, ...set } = toRow(policy);
  await UPDATE.affected(db, { id, set });
}

export async function deletePolicy(db: Db, id: string): Promise<void> {
  await db.deleteFrom('policies').where('id', '=', id).execute();
}
