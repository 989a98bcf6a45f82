import { maxGrantSeconds, runChange, runRead, type Change, type EngineContext } from '../context.js';
import { requirePolicy } from '../configuration-changes.js';
import { formatDuration, parseDuration } from '../duration.js';
import { InvalidInputError, NotAllowedError, NotSupportedError } from '../errors.js';
import { approverGroupOf, groupMemberIds } from '../groups.js';
import { grantAccess, latestExtendedEnd, longestGrant } from '../grants.js';
import type { AccessRequest, Grant, Policy } from '../model.js';
import { publishRequest } from '../notify.js';
import { checkOnCall, DEFAULT_ON_CALL_GRACE_SECONDS, onCallSeconds, type OnCallNote } from '../on-call.js';
import { ensureEligible } from '../policies.js';
import type { Actor, PatternEngine } from '../ports.js';
import { signRequest } from '../signature.js';
import { targetKey } from '../targets.js';
import { addSeconds, toMillis } from '../time.js';
import { maxScheduleAheadSeconds, parseStart } from '../windows.js';

const MAX_REASON_LENGTH = 1000;
const MAX_TICKET_LENGTH = 100;

export interface RequestInput {
  target: string;
  /** `2h`, `1h30m`… or seconds; absent: the policy's default. */
  duration?: string | number | null;
  reason?: string | null;
  ticket?: string | null;
  /**
   * A scheduled window's start (src/core/windows.ts `parseStart`): access from then for the
   * duration, whenever it is approved. Absent: access from approval.
   */
  start?: string | number | null;
}

export interface RequestOutcome {
  request: AccessRequest;
  /** True when the user already had this request pending and got it back instead of a new one. */
  existing: boolean;
  grant: Grant | null;
  policy: Policy;
  /** For an extension: the grant, its end when asked, and the end approving it would bring (within the policy's longest grant from now). */
  extension?: { grantId: string; from: string; until: string };
}

/** How long is asked for, checked against the policy and the global cap; always a whole number of seconds. */
export function requestedDuration(input: RequestInput, policy: Policy, cap: number): number {
  const seconds = input.duration === undefined || input.duration === null || input.duration === ''
    ? policy.defaultDurationSeconds
    : typeof input.duration === 'number' ? input.duration : parseDuration(String(input.duration));
  if (!Number.isSafeInteger(seconds) || seconds < 60) {
    throw new InvalidInputError('duration must be a whole number of seconds of at least 1m', { field: 'duration' });
  }
  const longest = longestGrant(policy, cap);
  if (seconds > longest.seconds) {
    throw new InvalidInputError(
      `duration ${formatDuration(seconds)} is longer than the ${formatDuration(longest.seconds)} allowed for ${policy.target.name}${longest.capped ? ' (ELEVATE_MAX_GRANT_DURATION)' : ''}`,
      { field: 'duration', max: longest.seconds },
    );
  }
  return seconds;
}

/**
 * Characters a reason may not hold: control characters other than new lines and tabs (terminal
 * escapes) and the bidirectional overrides that make text read differently than it is stored.
 */
function unprintable(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if ((code < 0x20 && ch !== '\n' && ch !== '\t') || code === 0x7f || (code >= 0x80 && code < 0xa0)
      || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return true;
  }
  return false;
}

/** Reason and ticket, checked against the policy; patterns run on the linear-time engine. */
export function checkReason(input: RequestInput, policy: Policy, patterns: PatternEngine): { reason: string | null; ticket: string | null } {
  const reason = input.reason?.trim() || null;
  const ticket = input.ticket?.trim() || null;
  const hint = policy.reasonHint ? ` (${policy.reasonHint})` : '';
  if (reason && reason.length > MAX_REASON_LENGTH) {
    throw new InvalidInputError(`reason is longer than ${MAX_REASON_LENGTH} characters`, { field: 'reason' });
  }
  if (reason && unprintable(reason)) {
    throw new InvalidInputError('reason holds control characters (terminal escapes or direction overrides): write plain text', { field: 'reason' });
  }
  if (ticket && (ticket.length > MAX_TICKET_LENGTH || /\s/.test(ticket) || unprintable(ticket))) {
    throw new InvalidInputError(`ticket must be one word of at most ${MAX_TICKET_LENGTH} characters`, { field: 'ticket' });
  }
  if (policy.reasonRequired && !reason) {
    throw new InvalidInputError(`a reason is required to request ${policy.target.name}${hint}`, { field: 'reason' });
  }
  if (policy.reasonPattern) {
    const pattern = policy.reasonPattern;
    if (![reason, ticket].some((text) => text !== null && patterns.matches(pattern, text))) {
      throw new InvalidInputError(
        `the reason or ticket for ${policy.target.name} must match ${policy.reasonPattern}${hint}`,
        { field: 'reason' },
      );
    }
  }
  return { reason, ticket };
}

/**
 * Records a request and starts its approval; auto policies approve it at once. Shared by
 * `requestAccess` and `extendGrant`.
 */
export async function submitRequest(change: Change, requesterId: string, input: RequestInput, extending?: Grant, onCallFound?: OnCallNote): Promise<RequestOutcome> {
  const { tx, ctx } = change;
  if (!(await tx.getSettings()).pamEnabled) {
    throw new NotSupportedError('PAM is disabled: Elevate accepts no new requests until an admin enables it again');
  }
  const policy = await requirePolicy(change, input.target);
  await ensureEligible(change, policy, requesterId);
  const asked = extending ? extensionSeconds(change, input, policy, extending) : requestedDuration(input, policy, maxGrantSeconds(ctx.config));
  const { reason, ticket } = checkReason(input, policy, ctx.patterns);
  const startsAt = startOf(change, input, extending);
  // Asking again while a request waits gives that one back; bad input is refused all the same.
  const pending = await tx.findPendingRequest(requesterId, targetKey(policy.target.name));
  if (pending) return { request: pending, existing: true, grant: null, policy, ...(extending ? { extension: describeExtension(change, policy, extending, pending.durationSeconds) } : {}) };
  const onCall = onCallOutcome(change, policy, asked, onCallFound, extending !== undefined || startsAt !== null);
  const durationSeconds = onCall?.seconds ?? asked;

  const unsigned = {
    id: ctx.ids.next('request'),
    requesterId,
    requesterIdentity: change.actor.kind === 'principal' ? change.actor.identity ?? null : null,
    policyId: policy.id,
    policyVersion: policy.updatedAt,
    extendsGrantId: extending?.id ?? null,
    target: policy.target,
    durationSeconds,
    reason,
    ticket,
    status: 'pending' as AccessRequest['status'],
    createdAt: change.now,
    // A scheduled window may be decided until its planned end (approved late, it gives the rest of the window).
    deadlineAt: startsAt ? addSeconds(startsAt, durationSeconds) : addSeconds(change.now, ctx.config.requestTimeoutSeconds),
    decidedAt: null,
    decidedBy: null,
    decisionComment: null,
    approvalsRequired: policy.approvalsRequired,
    grantId: null,
    change: null,
    origin: change.origin,
    remindedAt: null,
    startsAt,
    remindersSent: 0,
    onCall: onCall?.note ?? null,
  };
  let request: AccessRequest = { ...unsigned, signature: signRequest(ctx.config.keys.signing, unsigned) };
  await tx.insertRequest(request);
  change.audit('request.created', request.id, {
    requesterId, target: policy.target.name, durationSeconds, reason, ticket, approval: policy.approval,
    ...(startsAt ? { startsAt, endsAt: addSeconds(startsAt, durationSeconds) } : {}),
    ...(extending ? { extendsGrantId: extending.id, grantEndsAt: extending.endsAt } : {}),
    ...(onCall ? { onCall: onCall.note, ...(onCall.seconds !== undefined && onCall.seconds < asked ? { askedSeconds: asked } : {}) } : {}),
  });
  const approvers = { approverIds: policy.approverDms ? await groupMemberIds(change, await approverGroupOf(change, policy)) : [], channel: policy.approversChannel };

  const extension = extending ? describeExtension(change, policy, extending, durationSeconds) : undefined;
  if (policy.approval === 'manual' && onCall?.seconds === undefined) {
    await publishRequest(change, request, 'requested', approvers);
    return { request, existing: false, grant: null, policy, ...(extension ? { extension } : {}) };
  }
  const grant = await grantAccess(change, request, policy);
  request = { ...request, status: 'approved', decidedAt: change.now, grantId: grant.id };
  await tx.updateRequestIfPending(request);
  change.audit('request.autoApproved', request.id, {
    grantId: grant.id, endsAt: grant.endsAt,
    ...(onCall?.note.outcome === 'on call' ? { onCall: { schedule: onCall.note.schedule, shiftEnd: onCall.note.shiftEnd, answer: onCall.note.answer } } : {}),
  });
  await publishRequest(change, request, onCall?.note.outcome === 'on call' ? `approved automatically: on call on ${onCall.note.schedule}` : 'approved automatically', approvers);
  return { request, existing: false, grant, policy, ...(extension ? { extension } : {}) };
}

/**
 * What the on-call check means for this request: for a policy with schedules, the note recorded
 * on the request and, when the requester is on call, the seconds approved at once (up to the
 * shift's end plus the grace). Extensions and scheduled windows follow the normal approval: being
 * on call now says nothing about later. A check that did not run (the policy gained schedules
 * meanwhile) or names a schedule the policy no longer has approves nothing.
 */
function onCallOutcome(change: Change, policy: Policy, asked: number, found: OnCallNote | undefined, later: boolean): { note: OnCallNote; seconds?: number } | null {
  if (policy.onCall.length === 0 || policy.approval !== 'manual') return null;
  if (later) return { note: { outcome: 'not on call', answer: 'on-call approval applies to access from now, not to extensions or scheduled windows; manual approval' } };
  if (!found) return { note: { outcome: 'failed', answer: 'on-call check failed: the policy changed while it ran; manual approval' } };
  if (found.outcome !== 'on call') return { note: found };
  if (!policy.onCall.includes(found.schedule)) return { note: { outcome: 'failed', answer: `on-call check failed: ${found.schedule} is no longer on the policy; manual approval` } };
  const seconds = onCallSeconds(asked, found.shiftEnd, change.now, change.ctx.config.onCallGraceSeconds ?? DEFAULT_ON_CALL_GRACE_SECONDS);
  if (seconds === null) return { note: { outcome: 'not on call', answer: `on call on ${found.schedule}, but the shift ends too soon (${found.answer}); manual approval` } };
  return { note: found, seconds };
}

/**
 * Before the request's transaction (no I/O inside it): for a policy with on-call schedules and
 * access from now, asks the providers whether the requester, by their verified addresses, is on
 * call. Undefined when no check applies; the transaction re-checks the policy.
 */
async function findOnCall(ctx: EngineContext, requesterId: string, input: RequestInput): Promise<OnCallNote | undefined> {
  if (input.start !== undefined && input.start !== null && input.start !== '') return undefined;
  const found = await runRead(ctx, async (tx) => {
    const policy = await tx.findPolicyByTargetKey(targetKey(input.target));
    if (!policy || policy.onCall.length === 0 || policy.approval !== 'manual') return undefined;
    return { schedules: policy.onCall, emails: (await tx.getPrincipal(requesterId))?.emails ?? [] };
  });
  if (!found) return undefined;
  return checkOnCall(ctx.onCall, found.schedules, found.emails, ctx.clock.now());
}

function describeExtension(change: Change, policy: Policy, grant: Grant, seconds: number): NonNullable<RequestOutcome['extension']> {
  return { grantId: grant.id, from: grant.endsAt, until: latestExtendedEnd(change, policy, grant, seconds) };
}

/** The start a request names, checked (never for an extension, which continues a grant in force). */
function startOf(change: Change, input: RequestInput, extending: Grant | undefined): string | null {
  if (input.start === undefined || input.start === null || input.start === '') return null;
  if (extending) throw new InvalidInputError('an extension continues the grant in force: it cannot name a start', { field: 'start' });
  return parseStart(input.start, change.now, maxScheduleAheadSeconds(change.ctx.config));
}

/**
 * An extension asks for `duration` more after the grant's current end, no further than the
 * policy's longest grant measured from now; refused when that would not move the end at all.
 */
function extensionSeconds(change: Change, input: RequestInput, policy: Policy, grant: Grant): number {
  const seconds = input.duration === undefined || input.duration === null || input.duration === ''
    ? NaN : typeof input.duration === 'number' ? input.duration : parseDuration(String(input.duration));
  if (!Number.isSafeInteger(seconds) || seconds < 60) {
    throw new InvalidInputError('name how much longer, at least 1m: e.g. 1h means one more hour after the current end', { field: 'duration' });
  }
  const latest = latestExtendedEnd(change, policy, grant, seconds);
  if (toMillis(latest) <= toMillis(grant.endsAt)) {
    const longest = longestGrant(policy, maxGrantSeconds(change.ctx.config));
    throw new InvalidInputError(
      `grant ${grant.id} already runs until ${grant.endsAt}: ${policy.target.name} allows at most ${formatDuration(longest.seconds)} from now${longest.capped ? ' (ELEVATE_MAX_GRANT_DURATION)' : ''}, so it cannot be extended`,
      { field: 'duration' },
    );
  }
  return seconds;
}

/** A principal asks for access to a target. */
export async function requestAccess(ctx: EngineContext, actor: Actor, input: RequestInput): Promise<RequestOutcome> {
  if (actor.kind !== 'principal') {
    throw new NotAllowedError('requests are made by a person: name the requester (for the CLI, --as <principal>)');
  }
  if (typeof input.target !== 'string' || input.target.trim() === '') {
    throw new InvalidInputError('name the target to request, e.g. Exchange\\Search-Mailbox', { field: 'target' });
  }
  const onCall = await findOnCall(ctx, actor.principalId, input);
  return runChange(ctx, actor, { action: 'request.create', subject: input.target }, (change) =>
    submitRequest(change, actor.principalId, input, undefined, onCall));
}
