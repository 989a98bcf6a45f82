import { card } from '../cards.js';
import { ADMINS_GROUP, runChange, type Change, type EngineContext } from '../context.js';
import { approverGroupOf, groupMemberIds } from '../groups.js';
import { endGrant } from '../grants.js';
import { DEFAULT_HOOK_ALERT_AFTER, DEFAULT_HOOK_MAX_ATTEMPTS, type HookEvent } from '../hooks.js';
import type { Grant } from '../model.js';
import { announceInFeed, messageTo } from '../notify.js';
import type { Actor, HookCallResult } from '../ports.js';

const HOOK_ACTOR: Actor = { kind: 'system', origin: 'hook' };
// Audit records stay short: the first lines of an error or a receiver's answer say enough.
const MAX_ERROR_LENGTH = 300;
const MAX_OUTPUT_LENGTH = 500;

/** One call of a provisioning hook, as the outbox dispatcher reports it. */
export interface HookAttemptReport {
  hook: string;
  event: HookEvent;
  /** 1 for the first attempt of this event's delivery. */
  attempt: number;
  result: HookCallResult;
}

/**
 * What the dispatcher does next: `done` (succeeded), `retry` (with backoff or Retry-After), or
 * `giveUp` (a start hook that failed for good; its grant has been failed and its end queued).
 */
export type HookVerdict = 'done' | 'retry' | 'giveUp';

export interface HookAttemptOutcome {
  verdict: HookVerdict;
  /** The grant this attempt failed, if it did (for the check index). */
  grant: Grant | null;
}

const clip = (text: string | undefined, max: number) => (text === undefined ? null : text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * Audits one hook attempt and decides what follows. A start hook gives up on a permanent error
 * or after `hookMaxAttempts` attempts: its grant is marked failed (compare-and-set from active),
 * which queues the end hook so nothing stays half-assigned, and the requester and approvers are
 * told. An end hook never gives up; after `hookAlertAfter` attempts the admins are alerted, once.
 */
export async function recordHookAttempt(ctx: EngineContext, report: HookAttemptReport): Promise<HookAttemptOutcome> {
  const { event, result } = report;
  const start = event.event === 'grant.start';
  const maxAttempts = ctx.config.hookMaxAttempts ?? DEFAULT_HOOK_MAX_ATTEMPTS;
  const verdict: HookVerdict = result.ok ? 'done'
    : start && (result.permanent || report.attempt >= maxAttempts) ? 'giveUp' : 'retry';
  return runChange(ctx, HOOK_ACTOR, { action: 'hook.attempt', subject: event.id }, async (change) => {
    const error = clip(result.error, MAX_ERROR_LENGTH);
    // A start that has not succeeded for a grant already ended (revoked, expired…) is abandoned:
    // assigning the role now would outlive the grant; its end hook removes any partial assignment.
    if (start && !result.ok && (await change.tx.getGrant(event.grant.id))?.status !== 'active') {
      change.audit('hook.attempt', event.id, {
        hook: report.hook, event: event.event, grantId: event.grant.id, attempt: report.attempt, outcome: 'abandoned',
        status: result.status ?? null, exitCode: result.exitCode ?? null, error, output: clip(result.output, MAX_OUTPUT_LENGTH),
      });
      return { verdict: 'done' as const, grant: null };
    }
    change.audit('hook.attempt', event.id, {
      hook: report.hook, event: event.event, grantId: event.grant.id, attempt: report.attempt,
      outcome: result.ok ? 'succeeded' : verdict === 'giveUp' ? 'failed' : 'retrying',
      status: result.status ?? null, exitCode: result.exitCode ?? null, error, output: clip(result.output, MAX_OUTPUT_LENGTH),
    });
    if (result.ok) {
      await change.tx.markGrantHook(event.grant.id, start ? 'started' : 'ended', change.now);
      if (!start && (await change.tx.getGrant(event.grant.id))?.hookAlertedAt) await announceRecovery(change, report);
      return { verdict, grant: null };
    }
    if (verdict === 'giveUp') return { verdict, grant: await failGrant(change, report, error ?? 'failed') };
    if (!start && report.attempt >= (ctx.config.hookAlertAfter ?? DEFAULT_HOOK_ALERT_AFTER)) await alertAdmins(change, report, error);
    return { verdict, grant: null };
  });
}

/** The start hook failed for good: fail the grant (its end hook undoes any partial assignment) and say so. */
async function failGrant(change: Change, report: HookAttemptReport, error: string): Promise<Grant | null> {
  const { tx } = change;
  const grantId = report.event.grant.id;
  change.audit('hook.failed', report.event.id, { hook: report.hook, grantId, attempts: report.attempt, error });
  const grant = await tx.getGrant(grantId);
  // Already ended (revoked meanwhile…): its end hook is queued behind this start already.
  if (!grant || grant.status !== 'active') return null;
  const comment = `start hook ${report.hook} failed after ${report.attempt} attempt(s): ${error}`;
  const failed = await endGrant(change, grant, 'failed', { principalId: null, name: 'Elevate' }, comment);
  if (!failed) return null;
  const policy = await tx.getPolicy(grant.policyId);
  const group = policy ? await approverGroupOf(change, policy) : await tx.findGroupByName(change.ctx.config.defaultApproverGroup);
  const approvers = group ? (await groupMemberIds(change, group)).filter((id) => id !== grant.principalId) : [];
  await messageTo(change, approvers, card({
    title: `Grant ${grant.id} failed`,
    summary: `Access to ${grant.target.name} for grant ${grant.id} could not be provisioned: ${comment}. Its end hook runs to undo any partial assignment.`,
    facts: [{ label: 'Grant', value: grant.id }, { label: 'Request', value: grant.requestId }, { label: 'Hook', value: report.hook }],
    status: { tone: 'revoked', text: `Failed at ${change.now}` },
  }));
  return failed;
}

/** Tells the admins who were alerted (and the audit feed) that the end hook finally succeeded. */
async function announceRecovery(change: Change, report: HookAttemptReport): Promise<void> {
  const grantId = report.event.grant.id;
  const title = `End hook ${report.hook} succeeded for grant ${grantId}`;
  const summary = `${report.event.target.name} was removed from ${report.event.principal.identities[0] ?? report.event.principal.id} after ${report.attempt} attempts.`;
  const admins = await change.tx.findGroupByName(ADMINS_GROUP);
  if (admins) {
    await messageTo(change, await groupMemberIds(change, admins), card({
      title, summary, facts: [{ label: 'Grant', value: grantId }, { label: 'Event', value: report.event.id }],
      status: { tone: 'info', text: `Resolved at ${change.now}` },
    }));
  }
  announceInFeed(change, title, summary);
}

/** Tells the admins (and the audit feed), once per grant, that its end hook keeps failing. */
async function alertAdmins(change: Change, report: HookAttemptReport, error: string | null): Promise<void> {
  const grantId = report.event.grant.id;
  if (!(await change.tx.markGrantHook(grantId, 'alerted', change.now))) return;
  change.audit('hook.alerted', report.event.id, { hook: report.hook, grantId, attempts: report.attempt, error });
  const title = `End hook ${report.hook} keeps failing for grant ${grantId}`;
  const summary = `Removing ${report.event.target.name} from ${report.event.principal.identities[0] ?? report.event.principal.id} has failed ${report.attempt} times (last: ${error ?? 'unknown error'}). Elevate keeps retrying; the role may still be assigned until it succeeds.`;
  const admins = await change.tx.findGroupByName(ADMINS_GROUP);
  if (admins) {
    await messageTo(change, await groupMemberIds(change, admins), card({
      title, summary, facts: [{ label: 'Grant', value: grantId }, { label: 'Event', value: report.event.id }],
      status: { tone: 'warning', text: `Failing since ${report.event.occurredAt}` },
    }));
  }
  announceInFeed(change, title, summary);
}
