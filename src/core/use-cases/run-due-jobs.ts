import { advanceReviews } from './advance-reviews.js';
import { advanceBreakGlassReviews } from './review-break-glass.js';
import { card } from '../cards.js';
import { noteIntegrityViolation, runChange, type Change, type EngineContext } from '../context.js';
import { isIntact } from '../integrity.js';
import { approverIdsOf } from '../groups.js';
import { expireRequest } from '../request-expiry.js';
import { groupMemberIds } from '../groups.js';
import { endGrant, expireGrants, startScheduledGrant } from '../grants.js';
import { DEFAULT_ESCALATE_AFTER, loadRequestView, messageTo, postCardTo } from '../notify.js';
import type { Actor } from '../ports.js';
import { formatDuration } from '../duration.js';
import { addSeconds, secondsBetween, toMillis } from '../time.js';
import type { AccessRequest } from '../model.js';
import { escalationCard, MAX_REMINDERS, reminderCard, requestCardKeys } from '../request-cards.js';
import { at } from '../time-text.js';

const SCHEDULER: Actor = { kind: 'system', origin: 'scheduler' };
// Items per transaction: large enough to catch up fast, small enough to keep each commit short.
const BATCH_SIZE = 500;

export interface DueWorkDone {
  requestsExpired: number;
  grantsExpired: number;
  /** Scheduled grants whose window started (or ended unstarted, after downtime). */
  grantsStarted: number;
  expiryWarnings: number;
  reminders: number;
  /** Access review steps: reminders, escalations, closes, campaigns started again. */
  reviews: number;
  /** Break-glass review reminders and escalations. */
  breakGlassReviews: number;
}

/** Runs batches of `step` until one finds nothing due; each batch is one transaction. */
async function drain(ctx: EngineContext, action: string, step: (change: Change) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await runChange(ctx, SCHEDULER, { action, subject: 'scheduler' }, step);
    total += done;
    if (done < BATCH_SIZE) return total;
  }
}

async function expireRequests(change: Change): Promise<number> {
  const due = await change.tx.listRequestsPastDeadline(change.now, BATCH_SIZE);
  for (const request of due) await expireRequest(change, request, 'scheduler');
  return due.length;
}

/** One batch of grants past their end: expired together (src/core/grants.ts `expireGrants`). */
async function expireGrantsPastEnd(change: Change): Promise<number> {
  const due = await change.tx.listGrantsPastEnd(change.now, BATCH_SIZE);
  for (const grant of due) {
    // Ending never gives access, so a grant changed outside Elevate is ended too (and reported).
    if (!isIntact(change.ctx, grant)) await noteIntegrityViolation(change, { kind: 'grant', id: grant.id }, 'grant.expire');
  }
  await expireGrants(change, due);
  return due.length;
}

async function startScheduledGrants(change: Change): Promise<number> {
  const due = await change.tx.listGrantsDueToStart(change.now, BATCH_SIZE);
  for (const grant of due) {
    // A scheduled grant changed outside Elevate never starts: it ends (and is reported).
    if (!isIntact(change.ctx, grant)) {
      await noteIntegrityViolation(change, { kind: 'grant', id: grant.id }, 'grant.start');
      await endGrant(change, grant, 'revoked', { principalId: null, name: 'Elevate' }, 'altered outside Elevate');
      continue;
    }
    await startScheduledGrant(change, grant);
  }
  return due.length;
}

async function warnExpiringGrants(change: Change): Promise<number> {
  const lead = change.ctx.config.expiryWarningSeconds;
  const due = await change.tx.listGrantsToWarn(addSeconds(change.now, lead), BATCH_SIZE);
  for (const grant of due) {
    if (!(await change.tx.markGrantWarned(grant.id, change.now))) continue;
    const left = formatDuration(Math.max(60, secondsBetween(change.now, grant.endsAt)));
    change.audit('grant.expiryWarned', grant.id, { endsAt: grant.endsAt });
    await messageTo(change, [grant.principalId], card({
      title: `Access to ${grant.target.name} ends soon`,
      summary: `Your access to ${grant.target.name} ends in about ${left}, at ${at(grant.endsAt)}`,
      facts: [{ label: 'Grant', value: grant.id }, { label: 'Ends at', value: at(grant.endsAt) }],
      status: { tone: 'warning', text: `Ends in about ${left}` },
      actions: [
        { verb: 'grant.extend', label: 'Extend', value: grant.id, style: 'primary' },
        { verb: 'grant.relinquish', label: "I'm done", value: grant.id },
      ],
    }));
  }
  return due.length;
}

/**
 * Reminds approvers of each request pending ELEVATE_REMINDER_AFTER since it was made or last
 * reminded: a new message carrying the card with its buttons, saying how long it has waited and
 * when it expires (the last one before the deadline says so). After ELEVATE_ESCALATE_AFTER
 * reminders, the policy's escalation group gets each later one too (read-only). At most
 * MAX_REMINDERS per request. Each reminder is a compare-and-set on the previous one's time.
 */
async function remindApprovers(change: Change): Promise<number> {
  const { tx, ctx } = change;
  const every = ctx.config.reminderAfterSeconds;
  const escalateAfter = ctx.config.escalateAfterReminders ?? DEFAULT_ESCALATE_AFTER;
  const due = await tx.listRequestsToRemind(addSeconds(change.now, -every), BATCH_SIZE, MAX_REMINDERS);
  for (const request of due) {
    if (!(await tx.markRequestReminded(request.id, change.now, request.remindedAt))) continue;
    const sent = request.remindersSent + 1;
    const reminded: AccessRequest = { ...request, remindedAt: change.now, remindersSent: sent };
    const last = sent === MAX_REMINDERS || toMillis(addSeconds(change.now, every)) >= toMillis(request.deadlineAt);
    const view = await loadRequestView(tx, ctx.config, reminded);
    const keys = requestCardKeys(request.id);
    const approvers = (await approverIdsOf(change, request)).filter((id) => id !== request.requesterId);
    change.saveCard(keys.reminder(sent), reminderCard(view, change.now, last));
    await postCardTo(change, approvers, keys.reminder(sent));
    change.audit('request.reminded', request.id, { reminder: sent, last, approvers: approvers.length });
    const policy = request.policyId ? await tx.getPolicy(request.policyId) : undefined;
    const escalation = policy?.escalationGroupId && sent > escalateAfter ? await tx.getGroup(policy.escalationGroupId) : undefined;
    if (escalation) {
      const watchers = (await groupMemberIds(change, escalation)).filter((id) => id !== request.requesterId);
      change.saveCard(keys.escalation(sent), escalationCard(view, change.now, last));
      await postCardTo(change, watchers, keys.escalation(sent));
      change.audit('request.escalated', request.id, { group: escalation.name, reminder: sent });
    }
  }
  return due.length;
}

/**
 * All due time-driven work at the clock's now: request expiries and window starts first (so nothing expired is warned or
 * reminded about), then warnings and reminders. Each item is a compare-and-set, so running this
 * on several instances at once, or again after a crash, does each item once; after downtime it
 * catches up on everything that fell due meanwhile.
 */
export async function runDueJobs(ctx: EngineContext): Promise<DueWorkDone> {
  return {
    requestsExpired: await drain(ctx, 'scheduler.expireRequests', expireRequests),
    // Windows start before expiries run, so a window whose end passed during downtime is closed in one pass.
    grantsStarted: await drain(ctx, 'scheduler.startWindows', startScheduledGrants),
    grantsExpired: await drain(ctx, 'scheduler.expireGrants', expireGrantsPastEnd),
    expiryWarnings: await drain(ctx, 'scheduler.warnExpiring', warnExpiringGrants),
    reminders: await drain(ctx, 'scheduler.remind', remindApprovers),
    reviews: await drain(ctx, 'scheduler.reviews', advanceReviews),
    breakGlassReviews: await drain(ctx, 'scheduler.breakGlassReviews', advanceBreakGlassReviews),
  };
}
