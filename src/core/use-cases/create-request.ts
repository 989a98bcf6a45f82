import { runChange, type Change, type EngineContext } from '../context.js';
import { requirePolicy } from '../configuration-changes.js';
import { formatDuration, parseDuration } from '../duration.js';
import { InvalidInputError, NotAllowedError, NotSupportedError } from '../errors.js';
import { approverGroupOf, groupMemberIds } from '../groups.js';
import { grantAccess } from '../grants.js';
import type { AccessRequest, Grant, Policy } from '../model.js';
import { publishRequest } from '../notify.js';
import { ensureEligible } from '../policies.js';
import type { Actor } from '../ports.js';
import { signRequest } from '../signature.js';
import { targetKey } from '../targets.js';
import { addSeconds } from '../time.js';

const MAX_REASON_LENGTH = 1000;
const MAX_TICKET_LENGTH = 100;

export interface RequestInput {
  target: string;
  /** `2h`, `1h30m`… or seconds; absent: the policy's default. */
  duration?: string | number | null;
  reason?: string | null;
  ticket?: string | null;
}

export interface RequestOutcome {
  request: AccessRequest;
  /** True when the user already had this request pending and got it back instead of a new one. */
  existing: boolean;
  grant: Grant | null;
  policy: Policy;
}

function requestedDuration(input: RequestInput, policy: Policy): number {
  const seconds = input.duration === undefined || input.duration === null || input.duration === ''
    ? policy.defaultDurationSeconds
    : typeof input.duration === 'number' ? input.duration : parseDuration(input.duration);
  if (!Number.isInteger(seconds) || seconds < 60) {
    throw new InvalidInputError('duration must be at least 1m', { field: 'duration' });
  }
  if (policy.maxDurationSeconds !== null && seconds > policy.maxDurationSeconds) {
    throw new InvalidInputError(
      `duration ${formatDuration(seconds)} is longer than the ${formatDuration(policy.maxDurationSeconds)} allowed for ${policy.target.name}`,
      { field: 'duration', max: policy.maxDurationSeconds },
    );
  }
  return seconds;
}

function checkReason(input: RequestInput, policy: Policy): { reason: string | null; ticket: string | null } {
  const reason = input.reason?.trim() || null;
  const ticket = input.ticket?.trim() || null;
  const hint = policy.reasonHint ? ` (${policy.reasonHint})` : '';
  if (reason && reason.length > MAX_REASON_LENGTH) {
    throw new InvalidInputError(`reason is longer than ${MAX_REASON_LENGTH} characters`, { field: 'reason' });
  }
  if (ticket && (ticket.length > MAX_TICKET_LENGTH || /\s/.test(ticket))) {
    throw new InvalidInputError(`ticket must be one word of at most ${MAX_TICKET_LENGTH} characters`, { field: 'ticket' });
  }
  if (policy.reasonRequired && !reason) {
    throw new InvalidInputError(`a reason is required to request ${policy.target.name}${hint}`, { field: 'reason' });
  }
  if (policy.reasonPattern) {
    const pattern = new RegExp(policy.reasonPattern, 'u');
    if (![reason, ticket].some((text) => text !== null && pattern.test(text))) {
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
export async function submitRequest(change: Change, requesterId: string, input: RequestInput): Promise<RequestOutcome> {
  const { tx, ctx } = change;
  if (!(await tx.getSettings()).pamEnabled) {
    throw new NotSupportedError('PAM is disabled: Elevate accepts no new requests until an admin enables it again');
  }
  const policy = await requirePolicy(change, input.target);
  const pending = await tx.findPendingRequest(requesterId, targetKey(policy.target.name));
  if (pending) return { request: pending, existing: true, grant: null, policy };
  await ensureEligible(change, policy, requesterId);
  const durationSeconds = requestedDuration(input, policy);
  const { reason, ticket } = checkReason(input, policy);

  const unsigned = {
    id: ctx.ids.next('request'),
    requesterId,
    requesterIdentity: change.actor.kind === 'principal' ? change.actor.identity ?? null : null,
    policyId: policy.id,
    target: policy.target,
    durationSeconds,
    reason,
    ticket,
    status: 'pending' as AccessRequest['status'],
    createdAt: change.now,
    deadlineAt: addSeconds(change.now, ctx.config.requestTimeoutSeconds),
    decidedAt: null,
    decidedBy: null,
    decisionComment: null,
    approvalsRequired: policy.approvalsRequired,
    grantId: null,
    change: null,
    origin: change.origin,
    remindedAt: null,
  };
  let request: AccessRequest = { ...unsigned, signature: signRequest(ctx.config.signingKey, unsigned) };
  await tx.insertRequest(request);
  change.audit('request.created', request.id, {
    requesterId, target: policy.target.name, durationSeconds, reason, ticket, approval: policy.approval,
  });
  const approvers = { approverIds: policy.approverDms ? await groupMemberIds(change, await approverGroupOf(change, policy)) : [], channel: policy.approversChannel };

  if (policy.approval === 'manual') {
    await publishRequest(change, request, 'requested', approvers);
    return { request, existing: false, grant: null, policy };
  }
  const grant = await grantAccess(change, request, policy);
  request = { ...request, status: 'approved', decidedAt: change.now, grantId: grant.id };
  await tx.updateRequestIfPending(request);
  change.audit('request.autoApproved', request.id, { grantId: grant.id, endsAt: grant.endsAt });
  await publishRequest(change, request, 'approved automatically', approvers);
  return { request, existing: false, grant, policy };
}

/** A principal asks for access to a target. */
export async function requestAccess(ctx: EngineContext, actor: Actor, input: RequestInput): Promise<RequestOutcome> {
  if (actor.kind !== 'principal') {
    throw new NotAllowedError('requests are made by a person: name the requester (for the CLI, --as <principal>)');
  }
  if (typeof input.target !== 'string' || input.target.trim() === '') {
    throw new InvalidInputError('name the target to request, e.g. Exchange\\Search-Mailbox', { field: 'target' });
  }
  return runChange(ctx, actor, { action: 'request.create', subject: input.target }, (change) =>
    submitRequest(change, actor.principalId, input));
}
