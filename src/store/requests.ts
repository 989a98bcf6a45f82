import type {
  AccessRequest, ConfigurationChange, Decision, DecisionKind, Origin, RequestStatus,
} from '../core/model.js';
import type { OnCallNote } from '../core/on-call.js';
import type { RequestFilter } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import type { Db, DecisionsTable, RequestsTable } from './database.js';
import { queryTemplate } from './query-templates.js';
import { batches, beforeCondition, changedOne, LIMIT_ONE, targetColumns, targetOf, visibleToCondition } from './rows.js';

// Rows listRequests returns when the filter names no limit.
const DEFAULT_LIST_LIMIT = 100;

/** Every column but `updated_at`, which only the store reads. */
const REQUEST_COLUMNS = [
  'id', 'requester_id', 'requester_identity', 'policy_id', 'policy_version', 'extends_grant_id', 'target_key', 'target_type', 'target_scope', 'target_name',
  'duration_seconds', 'reason', 'ticket', 'status', 'created_at', 'deadline_at', 'decided_at',
  'decided_by', 'decision_comment', 'approvals_required', 'grant_id', 'change_json', 'origin',
  'reminded_at', 'starts_at', 'reminders_sent', 'on_call', 'break_glass', 'signature',
] as const;

type RequestRow = Omit<RequestsTable, 'updated_at'>;

function toRow(request: AccessRequest): RequestRow {
  return {
    id: request.id,
    requester_id: request.requesterId,
    requester_identity: request.requesterIdentity,
    policy_id: request.policyId,
    policy_version: request.policyVersion,
    extends_grant_id: request.extendsGrantId,
    ...targetColumns(request.target),
    duration_seconds: request.durationSeconds,
    reason: request.reason,
    ticket: request.ticket,
    status: request.status,
    created_at: request.createdAt,
    deadline_at: request.deadlineAt,
    decided_at: request.decidedAt,
    decided_by: request.decidedBy,
    decision_comment: request.decisionComment,
    approvals_required: request.approvalsRequired,
    grant_id: request.grantId,
    change_json: request.change === null ? null : JSON.stringify(request.change),
    origin: request.origin,
    reminded_at: request.remindedAt,
    starts_at: request.startsAt,
    reminders_sent: request.remindersSent,
    break_glass: request.breakGlass ? 1 : 0,
    signature: request.signature,
    on_call: request.onCall ? JSON.stringify(request.onCall) : null,
  };
}

function toRequest(row: RequestRow): AccessRequest {
  return {
    id: row.id,
    requesterId: row.requester_id,
    requesterIdentity: row.requester_identity,
    policyId: row.policy_id,
    policyVersion: row.policy_version,
    extendsGrantId: row.extends_grant_id,
    target: targetOf(row),
    durationSeconds: row.duration_seconds,
    reason: row.reason,
    ticket: row.ticket,
    status: row.status as RequestStatus,
    createdAt: row.created_at,
    deadlineAt: row.deadline_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    decisionComment: row.decision_comment,
    approvalsRequired: row.approvals_required,
    grantId: row.grant_id,
    change: row.change_json === null ? null : (JSON.parse(row.change_json) as ConfigurationChange),
    origin: row.origin as Origin,
    remindedAt: row.reminded_at,
    startsAt: row.starts_at ?? null,
    remindersSent: Number(row.reminders_sent ?? 0),
    ...(Number(row.break_glass ?? 0) === 1 ? { breakGlass: true } : {}),
    signature: row.signature,
    onCall: row.on_call ? (JSON.parse(row.on_call) as OnCallNote) : null,
  };
}

function selectRequests(db: Db) {
  return db.selectFrom('requests').select(REQUEST_COLUMNS);
}

const GET = queryTemplate((db, a: { id: string }) => selectRequests(db).where('id', '=', a.id));

export async function getRequest(db: Db, id: string): Promise<AccessRequest | undefined> {
  const row = await GET.first(db, { id });
  return row && toRequest(row);
}

const FIND_PENDING = queryTemplate((db, a: { requesterId: string; targetKey: string }) => selectRequests(db)
  .where('requester_id', '=', a.requesterId).where('target_key', '=', a.targetKey).where('status', '=', 'pending')
  .limit(LIMIT_ONE));

/** The requester's pending request on the target (the core allows one at a time). */
export async function findPendingRequest(db: Db, requesterId: string, targetKey: string): Promise<AccessRequest | undefined> {
  const row = await FIND_PENDING.first(db, { requesterId, targetKey });
  return row && toRequest(row);
}

/** Newest first; `createdFrom` / `createdTo` are inclusive; an empty `policyIds` matches nothing. */
export async function listRequests(db: Db, filter: RequestFilter): Promise<AccessRequest[]> {
  if (filter.policyIds?.length === 0) return [];
  let query = selectRequests(db);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.requesterId !== undefined) query = query.where('requester_id', '=', filter.requesterId);
  if (filter.policyIds !== undefined) query = query.where('policy_id', 'in', filter.policyIds);
  if (filter.targetKey !== undefined) query = query.where('target_key', '=', filter.targetKey);
  if (filter.createdFrom !== undefined) query = query.where('created_at', '>=', filter.createdFrom);
  if (filter.createdTo !== undefined) query = query.where('created_at', '<=', filter.createdTo);
  if (filter.visibleTo !== undefined) query = query.where(visibleToCondition('requester_id', filter.visibleTo));
  if (filter.before !== undefined) query = query.where(beforeCondition('created_at', filter.before.createdAt, filter.before.id));
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc')
    .limit(filter.limit ?? DEFAULT_LIST_LIMIT).execute();
  return rows.map(toRequest);
}

const OF_GRANTS = queryTemplate((db, a: { grantIds: string[] }) => selectRequests(db).where('grant_id', 'in', a.grantIds)
  .orderBy('created_at').orderBy('id'));

/** The requests that created or extended any of the grants, oldest first (one query per 500 grants). */
export async function listRequestsOfGrants(db: Db, grantIds: string[]): Promise<AccessRequest[]> {
  const found: AccessRequest[] = [];
  for (const batch of batches([...new Set(grantIds)])) found.push(...(await OF_GRANTS.rows(db, { grantIds: batch })).map(toRequest));
  return found;
}

const INSERT = queryTemplate((db, a: { row: RequestsTable }) => db.insertInto('requests').values(a.row));

export async function insertRequest(db: Db, request: AccessRequest): Promise<void> {
  await INSERT.affected(db, { row: { ...toRow(request), updated_at: request.createdAt } });
}

const LOCK_PENDING = queryTemplate((db, a: { id: string; at: Instant }) => db.updateTable('requests')
  .set({ updated_at: a.at }).where('id', '=', a.id).where('status', '=', 'pending'));

/**
 * Compare-and-set on `status = 'pending'`, and the request's row lock until the transaction ends.
 * On PostgreSQL the `update` takes a row-level lock as `select … for update` would (portably, so
 * no dialect branch): a concurrent decider on any instance waits here, then re-checks the
 * condition against the committed row and finds the request no longer pending (or, for N of M,
 * sees the decisions committed before it). On SQLite the write lock serializes deciders.
 */
export async function lockPendingRequest(db: Db, id: string, at: Instant): Promise<boolean> {
  return changedOne(await LOCK_PENDING.affected(db, { id, at }));
}

type MutableColumns = Omit<RequestsTable, 'id' | 'created_at' | 'updated_at'>;

const UPDATE_IF_PENDING = queryTemplate((db, a: { id: string; set: MutableColumns }) => db.updateTable('requests')
  .set(a.set).where('id', '=', a.id).where('status', '=', 'pending'));
const DECIDE_IF_PENDING = queryTemplate((db, a: { id: string; set: MutableColumns & { updated_at: string } }) =>
  db.updateTable('requests').set(a.set).where('id', '=', a.id).where('status', '=', 'pending'));

/** Writes every column but id and created_at, if the stored request is still pending. */
export async function updateRequestIfPending(db: Db, request: AccessRequest): Promise<boolean> {
  const { id, created_at: _createdAt, ...set } = toRow(request);
  const changed = request.decidedAt === null
    ? await UPDATE_IF_PENDING.affected(db, { id, set })
    : await DECIDE_IF_PENDING.affected(db, { id, set: { ...set, updated_at: request.decidedAt } });
  return changedOne(changed);
}

const MARK_FIRST_REMINDED = queryTemplate((db, a: { id: string; at: Instant }) => db.updateTable('requests')
  .set((eb) => ({ reminded_at: a.at, reminders_sent: eb('reminders_sent', '+', 1), updated_at: a.at }))
  .where('id', '=', a.id).where('status', '=', 'pending').where('reminded_at', 'is', null));
const MARK_REMINDED_AGAIN = queryTemplate((db, a: { id: string; at: Instant; previous: Instant }) => db.updateTable('requests')
  .set((eb) => ({ reminded_at: a.at, reminders_sent: eb('reminders_sent', '+', 1), updated_at: a.at }))
  .where('id', '=', a.id).where('status', '=', 'pending').where('reminded_at', '=', a.previous));

/**
 * Records a reminder sent at `at` (compare-and-set on the previous one's time `previous`, null
 * for the first), while pending: of two instances reminding at once, one wins.
 */
export async function markRequestReminded(db: Db, id: string, at: Instant, previous: Instant | null = null): Promise<boolean> {
  return changedOne(previous === null
    ? await MARK_FIRST_REMINDED.affected(db, { id, at })
    : await MARK_REMINDED_AGAIN.affected(db, { id, at, previous }));
}

// Ordered by the indexed deadline only: an id tie-breaker would make SQLite sort every due row.
const PAST_DEADLINE = queryTemplate((db, a: { at: Instant; limit: number }) => selectRequests(db)
  .where('status', '=', 'pending').where('deadline_at', '<=', a.at)
  .orderBy('deadline_at').limit(a.limit));

export async function listRequestsPastDeadline(db: Db, at: Instant, limit: number): Promise<AccessRequest[]> {
  return (await PAST_DEADLINE.rows(db, { at, limit })).map(toRequest);
}

const TO_REMIND = queryTemplate((db, a: { before: Instant; limit: number; maxReminders: number }) => selectRequests(db)
  .where('status', '=', 'pending').where('reminders_sent', '<', a.maxReminders)
  .where((eb) => eb.or([
    eb.and([eb('reminded_at', 'is', null), eb('created_at', '<=', a.before)]),
    eb('reminded_at', '<=', a.before),
  ]))
  .orderBy('created_at').orderBy('id').limit(a.limit));

/** Pending requests whose last reminder (or, never reminded, creation) is at or before `before`. */
export async function listRequestsToRemind(db: Db, before: Instant, limit: number, maxReminders: number): Promise<AccessRequest[]> {
  return (await TO_REMIND.rows(db, { before, limit, maxReminders })).map(toRequest);
}

const DECISION_COLUMNS = ['request_id', 'approver_id', 'approver_identity', 'kind', 'comment', 'decided_at', 'origin'] as const;

function toDecision(row: DecisionsTable): Decision {
  return {
    requestId: row.request_id,
    approverId: row.approver_id,
    approverIdentity: row.approver_identity,
    kind: row.kind as DecisionKind,
    comment: row.comment,
    decidedAt: row.decided_at,
    origin: row.origin as Origin,
  };
}

const LIST_DECISIONS = queryTemplate((db, a: { requestId: string }) => db.selectFrom('decisions').select(DECISION_COLUMNS)
  .where('request_id', '=', a.requestId).orderBy('decided_at').orderBy('approver_id'));

/** In the order they were made. */
export async function listDecisions(db: Db, requestId: string): Promise<Decision[]> {
  return (await LIST_DECISIONS.rows(db, { requestId })).map(toDecision);
}

const LIST_DECISIONS_FOR = queryTemplate((db, a: { requestIds: string[] }) => db.selectFrom('decisions')
  .select(DECISION_COLUMNS).where('request_id', 'in', a.requestIds)
  .orderBy('request_id').orderBy('decided_at').orderBy('approver_id'));

/** Ordered by request, then in the order they were made. */
export async function listDecisionsForRequests(db: Db, requestIds: string[]): Promise<Decision[]> {
  const decisions: Decision[] = [];
  for (const batch of batches([...new Set(requestIds)])) {
    decisions.push(...(await LIST_DECISIONS_FOR.rows(db, { requestIds: batch })).map(toDecision));
  }
  return decisions;
}

const INSERT_DECISION = queryTemplate((db, a: { row: DecisionsTable }) => db.insertInto('decisions').values(a.row));

/** Throws (primary key) when the approver already decided this request. */
export async function insertDecision(db: Db, decision: Decision): Promise<void> {
  await INSERT_DECISION.affected(db, {
    row: {
      request_id: decision.requestId,
      approver_id: decision.approverId,
      approver_identity: decision.approverIdentity,
      kind: decision.kind,
      comment: decision.comment,
      decided_at: decision.decidedAt,
      origin: decision.origin,
    },
  });
}

const PENDING_EXTENSIONS = queryTemplate((db, a: { grantIds: string[] }) => selectRequests(db)
  .where('extends_grant_id', 'in', a.grantIds).where('status', '=', 'pending').orderBy('created_at').orderBy('id'));

/** Pending requests to extend any of the grants, oldest first (one query per 500 grants). */
export async function listPendingExtensions(db: Db, grantIds: string[]): Promise<AccessRequest[]> {
  const found: AccessRequest[] = [];
  for (const batch of batches([...new Set(grantIds)])) found.push(...(await PENDING_EXTENSIONS.rows(db, { grantIds: batch })).map(toRequest));
  return found;
}
