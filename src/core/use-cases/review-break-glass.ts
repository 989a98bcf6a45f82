import {
  breakGlassAudience, breakGlassCardKeys, breakGlassEscalationCard, breakGlassReminderCard, loadBreakGlassView, MAX_BREAK_GLASS_REMINDERS, publishBreakGlass,
} from '../break-glass.js';
import { card } from '../cards.js';
import { runChange, runRead, type Change, type EngineContext } from '../context.js';
import { ConflictError, InvalidInputError, NotAllowedError, NotFoundError } from '../errors.js';
import { approverGroupOf, groupMemberIds, isAdmin } from '../groups.js';
import type { BreakGlassReviewStatus, BreakGlassUse } from '../model.js';
import { messageTo, nameOf, postCardTo } from '../notify.js';
import type { Actor } from '../ports.js';
import { at } from '../time-text.js';
import { addSeconds } from '../time.js';
import { visibilityOf } from '../visibility.js';

const MAX_COMMENT_LENGTH = 1000;
// Uses per scheduler transaction: the scheduler's batch (run-due-jobs drains until a batch is short).
const BATCH_SIZE = 500;
// Uses a listing returns at most.
const MAX_LIST = 500;

export type BreakGlassVerdict = 'acknowledge' | 'flag';

export interface BreakGlassReviewInput {
  grantId: string;
  verdict: BreakGlassVerdict;
  /** Required to flag: what was wrong with the use. */
  comment?: string | null;
}

/**
 * An approver of the policy (or an admin) reviews a break-glass use: Acknowledge, or Flag with a
 * comment (the admins and the audit feed are told). Once only (compare-and-set); never one's own.
 */
export async function reviewBreakGlass(ctx: EngineContext, actor: Actor, input: BreakGlassReviewInput): Promise<BreakGlassUse> {
  const grantId = String(input.grantId ?? '').trim().toUpperCase().slice(0, 100);
  const comment = input.comment?.trim() || null;
  const action = input.verdict === 'flag' ? 'breakGlass.flag' : 'breakGlass.acknowledge';
  return runChange(ctx, actor, { action, subject: grantId }, async (change) => {
    if (input.verdict !== 'acknowledge' && input.verdict !== 'flag') {
      throw new InvalidInputError('review a break-glass use with acknowledge or flag', { field: 'verdict' });
    }
    if (comment && comment.length > MAX_COMMENT_LENGTH) throw new InvalidInputError(`comment is longer than ${MAX_COMMENT_LENGTH} characters`, { field: 'comment' });
    if (input.verdict === 'flag' && !comment) throw new InvalidInputError('say what is wrong with this break-glass use: flagging needs a comment', { field: 'comment' });
    const use = await change.tx.getBreakGlassUse(grantId);
    if (!use) throw new NotFoundError(`grant ${grantId} is not a break-glass use`);
    const principalId = change.principalId;
    if (principalId === use.principalId) throw new NotAllowedError('you cannot review your own break-glass use: the approvers of the policy do');
    await requireReviewer(change, use);
    if (use.status !== 'pending') {
      throw new ConflictError(`break-glass use of grant ${grantId} was already ${use.status} by ${use.reviewedBy ? await nameOf(change, use.reviewedBy) : 'someone'} at ${at(use.reviewedAt!)}`);
    }
    const status: BreakGlassReviewStatus = input.verdict === 'flag' ? 'flagged' : 'acknowledged';
    const reviewed: BreakGlassUse = { ...use, status, reviewedAt: change.now, reviewedBy: principalId ?? null, reviewComment: comment };
    if (!(await change.tx.reviewBreakGlassUse(reviewed))) throw new ConflictError(`break-glass use of grant ${grantId} was reviewed meanwhile`);
    change.audit(`breakGlass.${status}`, grantId, { principalId: use.principalId, target: use.targetName, comment, reviewDueAt: use.reviewDueAt });
    await publishBreakGlass(change, reviewed);
    const who = principalId ? await nameOf(change, principalId) : 'the operator';
    const holder = await nameOf(change, use.principalId);
    const said = `${who} ${status} ${holder}'s break-glass use of ${use.targetName}${comment ? `: “${comment}”` : ''}`;
    const notice = card({ title: `Break-glass ${status}: ${use.targetName}`, summary: said, status: { tone: status === 'flagged' ? 'revoked' : 'info', text: said } });
    for (const platform of ctx.config.feedPlatforms) change.deliver({ platform, destination: { kind: 'feed' }, kind: 'message', cardKey: null, card: notice });
    await messageTo(change, [use.principalId], notice);
    // A flag is for the admins to follow up: they hear of it at once.
    if (status === 'flagged') await messageTo(change, (await breakGlassAudienceOf(change, use)).adminIds.filter((id) => id !== principalId), notice);
    return reviewed;
  });
}

async function breakGlassAudienceOf(change: Change, use: BreakGlassUse) {
  const policy = await change.tx.getPolicy(use.policyId);
  if (policy) return breakGlassAudience(change, policy);
  const admins = await change.tx.findGroupByName('admins');
  return { approverIds: [] as string[], adminIds: admins ? await change.tx.listGroupMemberIds(admins.id) : [] };
}

/** Approvers of the use's policy and admins review; the operator (server CLI) may too. */
async function requireReviewer(change: Change, use: BreakGlassUse): Promise<void> {
  if (change.actor.kind === 'operator') return;
  const principalId = change.principalId;
  if (!principalId) throw new NotAllowedError('break-glass uses are reviewed by a person');
  const policy = await change.tx.getPolicy(use.policyId);
  const approvers = policy ? await groupMemberIds(change, await approverGroupOf(change, policy)) : [];
  if (approvers.includes(principalId) || (await isAdmin(change.tx, principalId))) return;
  throw new NotAllowedError(`only approvers of ${use.targetName} or admins review its break-glass uses`);
}

export interface BreakGlassListQuery {
  status?: BreakGlassReviewStatus;
  from?: string;
  to?: string;
  limit?: number;
}

/** Break-glass uses newest first: everything for admins and auditors, the policies they approve for approvers, their own for others. */
export async function listBreakGlassUses(ctx: EngineContext, actor: Actor, query: BreakGlassListQuery = {}): Promise<BreakGlassUse[]> {
  if (query.status !== undefined && !['pending', 'acknowledged', 'flagged'].includes(query.status)) {
    throw new InvalidInputError('status must be pending, acknowledged or flagged', { field: 'status' });
  }
  const limit = Math.min(Math.max(1, query.limit ?? 100), MAX_LIST);
  const filter = { ...(query.status ? { status: query.status } : {}), ...(query.from ? { from: query.from } : {}), ...(query.to ? { to: query.to } : {}), limit };
  const visibility = await visibilityOf(ctx, actor);
  return runRead(ctx, async (tx) => {
    if (visibility.all) return tx.listBreakGlassUses(filter);
    const [own, approved] = await Promise.all([
      visibility.principalId ? tx.listBreakGlassUses({ ...filter, principalId: visibility.principalId }) : [],
      tx.listBreakGlassUses({ ...filter, policyIds: [...visibility.policyIds] }),
    ]);
    const seen = new Map([...own, ...approved].map((use) => [use.grantId, use]));
    return [...seen.values()].sort((a, b) => b.usedAt.localeCompare(a.usedAt) || b.grantId.localeCompare(a.grantId)).slice(0, limit);
  });
}

/**
 * The scheduler's part: reminds the approvers of each use still unreviewed every
 * ELEVATE_REMINDER_AFTER (a new message with the buttons, at most MAX_BREAK_GLASS_REMINDERS), and
 * tells the admins once when its review deadline passed. Compare-and-set each, so instances share it.
 */
export async function advanceBreakGlassReviews(change: Change): Promise<number> {
  const { tx, ctx } = change;
  const due = await tx.listBreakGlassToRemind(addSeconds(change.now, -ctx.config.reminderAfterSeconds), BATCH_SIZE, MAX_BREAK_GLASS_REMINDERS);
  for (const use of due) {
    if (!(await tx.markBreakGlassReminded(use.grantId, change.now, use.remindedAt))) continue;
    const reminded = { ...use, remindedAt: change.now, remindersSent: use.remindersSent + 1 };
    const view = await loadBreakGlassView(change, reminded);
    if (!view) continue;
    const audience = await breakGlassAudienceOf(change, use);
    const key = breakGlassCardKeys(use.grantId).reminder(reminded.remindersSent);
    change.saveCard(key, breakGlassReminderCard(view));
    await postCardTo(change, audience.approverIds.filter((id) => id !== use.principalId), key);
    change.audit('breakGlass.reminded', use.grantId, { reminder: reminded.remindersSent });
  }
  const overdue = await tx.listBreakGlassOverdue(change.now, BATCH_SIZE);
  for (const use of overdue) {
    if (!(await tx.markBreakGlassEscalated(use.grantId, change.now))) continue;
    const escalated = { ...use, escalatedAt: change.now };
    const view = await loadBreakGlassView(change, escalated);
    if (!view) continue;
    const audience = await breakGlassAudienceOf(change, use);
    const key = breakGlassCardKeys(use.grantId).escalation;
    change.saveCard(key, breakGlassEscalationCard(view));
    await postCardTo(change, audience.adminIds.filter((id) => id !== use.principalId), key);
    for (const platform of ctx.config.feedPlatforms) change.deliver({ platform, destination: { kind: 'feed' }, kind: 'card.post', cardKey: key, card: null });
    change.audit('breakGlass.escalated', use.grantId, { reviewDueAt: use.reviewDueAt, admins: audience.adminIds.length });
    // Every copy says the review is overdue.
    await publishBreakGlass(change, escalated);
  }
  return Math.max(due.length, overdue.length);
}
