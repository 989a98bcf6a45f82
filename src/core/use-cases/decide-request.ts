import { card } from '../cards.js';
import { ADMINS_GROUP, runChange, type Change, type EngineContext } from '../context.js';
import { applyConfigurationChange } from '../configuration-changes.js';
import { ConflictError, InvalidInputError, isElevateError, NotAllowedError, NotFoundError } from '../errors.js';
import { approverGroupOf, groupMemberIds, isAdmin, requireGroupByName } from '../groups.js';
import { grantAccess } from '../grants.js';
import type { AccessRequest, Decision, DecisionKind, Grant, Group, Principal } from '../model.js';
import { messageTo, nameOf, publishRequest } from '../notify.js';
import type { Actor } from '../ports.js';
import { normalizeIdentity, samePerson } from '../principals.js';
import { requireIntact } from '../integrity.js';
import { expireRequest } from '../request-expiry.js';
import { toMillis } from '../time.js';
import { requireStepUp } from '../step-up.js';

const MAX_COMMENT_LENGTH = 1000;

export interface DecisionInput {
  requestId: string;
  kind: DecisionKind;
  comment?: string | null;
}

export interface DecisionOutcome {
  request: AccessRequest;
  /** `recorded`: an approval counted, more are needed. */
  outcome: 'approved' | 'denied' | 'recorded';
  approvals: number;
  grant: Grant | null;
}

/** "already approved by Alice at 2026-…": what a late decider is told. */
export async function describeDecided(change: Change, request: AccessRequest): Promise<string> {
  const by = request.decidedBy ? ` by ${await nameOf(change, request.decidedBy)}` : request.status === 'approved' ? ' automatically' : '';
  return `request ${request.id} is already ${request.status}${by} at ${request.decidedAt}`;
}

async function deciderGroup(change: Change, request: AccessRequest): Promise<Group> {
  if (request.change) return requireGroupByName(change.tx, ADMINS_GROUP);
  const policy = request.policyId ? await change.tx.getPolicy(request.policyId) : undefined;
  if (!policy) return requireGroupByName(change.tx, change.ctx.config.defaultApproverGroup);
  return approverGroupOf(change, policy);
}

/** The person behind an account now: the principal its identity belongs to (after any link), else the one recorded. */
async function personOf(change: Change, principalId: string, identity: string | null): Promise<Principal | undefined> {
  const bare = identity ? normalizeIdentity(identity.replace(/^cli:/, '').replace(/@[^@:]*$/, '')) : undefined;
  return (bare ? await change.tx.findPrincipalByIdentity(bare) : undefined) ?? change.tx.getPrincipal(principalId);
}

/**
 * Approvals that count toward N of M: one per person (two accounts with the same verified address,
 * or linked since they approved, are one person), and only of people who may still decide.
 */
async function countApprovals(change: Change, decisions: Decision[], members: string[]): Promise<{ count: number; people: Principal[] }> {
  const people: Principal[] = [];
  for (const decision of decisions.filter((d) => d.kind === 'approve')) {
    const person = await personOf(change, decision.approverId, decision.approverIdentity);
    if (!person || !(members.includes(person.id) || members.includes(decision.approverId))) continue;
    if (!people.some((p) => samePerson(p, person))) people.push(person);
  }
  return { count: people.length, people };
}

/** A decision that came after the request's deadline: the request was expired by it, and the decider is told. */
interface TooLate {
  tooLate: string;
}

async function decide(change: Change, approverId: string, input: DecisionInput): Promise<DecisionOutcome | TooLate> {
  const { tx } = change;
  const comment = input.comment?.trim() || null;
  if (!(await tx.lockPendingRequest(input.requestId, change.now))) {
    const request = await tx.getRequest(input.requestId);
    if (!request) throw new NotFoundError(`request ${input.requestId} does not exist`);
    throw new ConflictError(await describeDecided(change, request));
  }
  const request = (await tx.getRequest(input.requestId))!;
  requireIntact(change.ctx, request);
  // Its deadline is checked here, with the request locked: a click after it (before the scheduler's
  // next pass) expires the request instead of deciding it.
  if (toMillis(request.deadlineAt) <= toMillis(change.now)) {
    await expireRequest(change, request, 'late decision');
    const tooLate = `request ${request.id} expired at ${request.deadlineAt}, undecided: the requester must ask again`;
    change.audit(`request.${input.kind}.refused`, request.id, { code: 'conflict', reason: tooLate });
    return { tooLate };
  }
  const approver = (await tx.getPrincipal(approverId))!;
  const requester = await personOf(change, request.requesterId, request.requesterIdentity);
  if (request.requesterId === approverId || (requester && samePerson(requester, approver))) {
    throw new NotAllowedError(request.requesterId === approverId || requester?.id === approverId
      ? 'you cannot decide your own request'
      : `you cannot decide request ${request.id}: it was made by another account of yours (${requester!.identities.join(', ')})`);
  }
  const group = await deciderGroup(change, request);
  const members = await groupMemberIds(change, group);
  if (!members.includes(approverId)) {
    throw new NotAllowedError(`only members of ${group.name} may decide request ${request.id}`);
  }
  const decisions = await tx.listDecisions(request.id);
  for (const earlier of decisions) {
    const person = earlier.approverId === approverId ? approver : await personOf(change, earlier.approverId, earlier.approverIdentity);
    if (person && samePerson(person, approver)) {
      const how = earlier.approverId === approverId ? '' : ` as ${earlier.approverIdentity ?? earlier.approverId}`;
      throw new ConflictError(`you already ${earlier.kind === 'approve' ? 'approved' : 'denied'} request ${request.id}${how} at ${earlier.decidedAt}`);
    }
  }
  const approverIdentity = change.actor.kind === 'principal' ? change.actor.identity ?? null : null;
  const decision: Decision = { requestId: request.id, approverId, approverIdentity, kind: input.kind, comment, decidedAt: change.now, origin: change.origin };
  // Step-up (src/core/step-up.ts): some approvals need a fresh sign-in in the browser; denials never.
  const stepUp = input.kind === 'approve' ? await requireStepUp(change, request) : null;
  await tx.insertDecision(decision);
  const approverName = await nameOf(change, approverId);
  const { count: approvals } = await countApprovals(change, [...decisions, decision], members);

  if (input.kind === 'deny') {
    const denied: AccessRequest = { ...request, status: 'denied', decidedAt: change.now, decidedBy: approverId, decisionComment: comment };
    await tx.updateRequestIfPending(denied);
    change.audit('request.denied', request.id, { comment });
    await publishRequest(change, denied, `denied by ${approverName}${comment ? `: “${comment}”` : ''}`);
    await messageTo(change, [request.requesterId], card({
      title: `Request ${request.id} denied`,
      summary: `Your request for ${request.target.name} was denied by ${approverName}${comment ? `: “${comment}”` : ''}`,
      status: { tone: 'denied', text: `Denied by ${approverName} at ${change.now}` },
    }));
    return { request: denied, outcome: 'denied', approvals, grant: null };
  }

  if (approvals < request.approvalsRequired) {
    change.audit('request.approvalRecorded', request.id, { comment, approvals, required: request.approvalsRequired, ...(stepUp ? { stepUp } : {}) });
    await publishRequest(change, request, `approved by ${approverName} (${approvals} of ${request.approvalsRequired})`);
    return { request, outcome: 'recorded', approvals, grant: null };
  }

  let approved: AccessRequest = { ...request, status: 'approved', decidedAt: change.now, decidedBy: approverId, decisionComment: comment };
  let grant: Grant | null = null;
  if (request.change) {
    if (!(await isAdmin(tx, request.requesterId))) {
      throw new ConflictError(`the requester of ${request.id} is no longer an admin: the change cannot be approved`);
    }
    try {
      await applyConfigurationChange(change, request.change, {
        dryRun: false,
        approval: { requestId: request.id, requestedBy: request.requesterId, approvedBy: approverId },
      });
    } catch (error) {
      if (!isElevateError(error)) throw error;
      // The world moved since it was asked (group gone, PAM already off…): close it, say why.
      const failed: AccessRequest = { ...request, status: 'denied', decidedAt: change.now, decidedBy: approverId, decisionComment: `could not be applied: ${error.message}` };
      await tx.updateRequestIfPending(failed);
      change.audit('configuration.applyFailed', request.id, { reason: error.message, code: error.code });
      await publishRequest(change, failed, `could not be applied: ${error.message}`);
      return { request: failed, outcome: 'denied', approvals, grant: null };
    }
  } else {
    const policy = request.policyId ? await tx.getPolicy(request.policyId) : undefined;
    if (!policy) throw new ConflictError(`the policy for ${request.target.name} was removed: request ${request.id} cannot be approved`);
    grant = await grantAccess(change, request, policy);
    approved = { ...approved, grantId: grant.id };
  }
  await tx.updateRequestIfPending(approved);
  change.audit('request.approved', request.id, { comment, approvals, grantId: grant?.id ?? null, ...(stepUp ? { stepUp } : {}) });
  await publishRequest(change, approved, `approved by ${approverName}${comment ? `: “${comment}”` : ''}`);
  return { request: approved, outcome: 'approved', approvals, grant };
}

/** An approver approves or denies. Compare-and-set: of concurrent deciders exactly one wins. */
export async function decideRequest(ctx: EngineContext, actor: Actor, input: DecisionInput): Promise<DecisionOutcome> {
  if (actor.kind !== 'principal') {
    throw new NotAllowedError('decisions are made by a person: name the approver (for the CLI, --as <principal>)');
  }
  if (input.kind !== 'approve' && input.kind !== 'deny') throw new InvalidInputError('a decision is approve or deny', { field: 'decision' });
  if ((input.comment?.length ?? 0) > MAX_COMMENT_LENGTH) {
    throw new InvalidInputError(`comment is longer than ${MAX_COMMENT_LENGTH} characters`, { field: 'comment' });
  }
  const requestId = input.requestId.trim().toUpperCase();
  const outcome = await runChange(ctx, actor, { action: `request.${input.kind}`, subject: requestId }, (change) =>
    decide(change, actor.principalId, { ...input, requestId }));
  // The expiry (and the refusal's audit record) are committed; the decider is told.
  if ('tooLate' in outcome) throw new ConflictError(outcome.tooLate);
  return outcome;
}
