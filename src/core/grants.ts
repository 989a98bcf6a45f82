import { card } from './cards.js';
import { maxGrantSeconds, type Change } from './context.js';
import { formatDuration } from './duration.js';
import { ConflictError } from './errors.js';
import type { AccessRequest, Grant, GrantStatus, Policy } from './model.js';
import { hookForGrant, queueHookCall } from './hooks.js';
import { requireIntact } from './integrity.js';
import { messageTo, publishGrantChange, publishRequest } from './notify.js';
import { signed } from './signature.js';
import { addSeconds, toInstant, toMillis } from './time.js';
import { targetKey } from './targets.js';
import { at } from './time-text.js';

/** The longest grant a policy allows: its own maximum, within the global cap (ELEVATE_MAX_GRANT_DURATION). */
export function longestGrant(policy: Policy, cap: number): { seconds: number; capped: boolean } {
  const own = policy.maxDurationSeconds ?? cap;
  return own <= cap ? { seconds: own, capped: policy.maxDurationSeconds === null } : { seconds: cap, capped: true };
}

/** Where extending a grant by `seconds` ends it, if done now: after its current end, no further than the policy's longest grant from now. */
export function latestExtendedEnd(change: Change, policy: Policy, grant: Pick<Grant, 'endsAt'>, seconds: number): string {
  const wanted = toMillis(grant.endsAt) + seconds * 1000;
  const limit = toMillis(change.now) + longestGrant(policy, maxGrantSeconds(change.ctx.config)).seconds * 1000;
  return toInstant(Math.min(wanted, limit));
}

/**
 * Gives the requester access for the approved request: a new grant from now, or, when they
 * already hold the target, the existing grant extended to the later of its end and now + duration.
 * An extension request extends the one grant it names, and only while that grant is in force.
 */
export async function grantAccess(change: Change, request: AccessRequest, policy: Policy): Promise<Grant> {
  if (request.extendsGrantId) return extendNamedGrant(change, request, policy);
  const keys = change.ctx.config.keys.signing;
  const endsAt = addSeconds(change.now, request.durationSeconds);
  const held = await change.tx.findActiveGrant(request.requesterId, targetKey(request.target.name));
  if (held) {
    requireIntact(change.ctx, held);
    const extended = signed(keys, { ...held, endsAt: toMillis(endsAt) > toMillis(held.endsAt) ? endsAt : held.endsAt, expiryNoticeAt: null, updatedAt: change.now });
    if (!(await change.tx.updateGrantIfActive(extended))) throw new ConflictError(`grant ${held.id} ended while being extended: try again`);
    change.audit('grant.extended', extended.id, { requestId: request.id, from: held.endsAt, to: extended.endsAt, target: request.target.name });
    await notifyGranted(change, extended, request);
    return extended;
  }
  const grant: Grant = signed(keys, {
    id: change.ctx.ids.next('grant'),
    requestId: request.id,
    principalId: request.requesterId,
    policyId: policy.id,
    target: request.target,
    startsAt: change.now,
    endsAt,
    status: 'active',
    endedAt: null,
    endedBy: null,
    endComment: null,
    expiryNoticeAt: null,
    updatedAt: change.now,
    hook: hookForGrant(policy, request.target),
    hookStartedAt: null,
    hookEndedAt: null,
    hookAlertedAt: null,
    signature: null,
  });
  await change.tx.insertGrant(grant);
  change.audit('grant.created', grant.id, {
    requestId: request.id, principalId: grant.principalId, target: grant.target.name, targetType: grant.target.type,
    startsAt: grant.startsAt, endsAt: grant.endsAt,
    // Role and role-group grants hold the role for the window; provisioning hooks act on this.
    ...(grant.target.type !== 'task' ? { roleHeld: true } : {}),
  });
  await queueHookCall(change, grant, 'grant.start');
  await notifyGranted(change, grant, request);
  return grant;
}

/** Approving an extension: its grant ends `duration` later, as far as the policy allows from now. */
async function extendNamedGrant(change: Change, request: AccessRequest, policy: Policy): Promise<Grant> {
  const grant = await change.tx.getGrant(request.extendsGrantId!);
  if (!grant || grant.status !== 'active' || toMillis(grant.endsAt) <= toMillis(change.now)) {
    throw new ConflictError(`grant ${request.extendsGrantId} has ended: extension request ${request.id} cannot extend it (request access again)`);
  }
  requireIntact(change.ctx, grant);
  const endsAt = latestExtendedEnd(change, policy, grant, request.durationSeconds);
  if (toMillis(endsAt) <= toMillis(grant.endsAt)) {
    // Approved, but it changes nothing any more (the grant was extended meanwhile, or time passed): say so.
    change.audit('grant.extensionUnchanged', grant.id, { requestId: request.id, endsAt: grant.endsAt });
    await messageTo(change, [grant.principalId], card({
      title: `Extension of ${grant.target.name} approved: nothing to add`,
      summary: `Request ${request.id} was approved, but grant ${grant.id} already runs until ${at(grant.endsAt)}, as long as ${policy.target.name} allows from now`,
      facts: [{ label: 'Grant', value: grant.id }, { label: 'Until', value: at(grant.endsAt) }],
      status: { tone: 'approved', text: `Active until ${at(grant.endsAt)}` },
    }));
    return grant;
  }
  const extended = signed(change.ctx.config.keys.signing, { ...grant, endsAt, expiryNoticeAt: null, updatedAt: change.now });
  if (!(await change.tx.updateGrantIfActive(extended))) throw new ConflictError(`grant ${grant.id} ended while being extended: try again`);
  change.audit('grant.extended', extended.id, {
    requestId: request.id, from: grant.endsAt, to: endsAt, by: formatDuration(request.durationSeconds), target: request.target.name,
  });
  await notifyGranted(change, extended, request);
  return extended;
}

async function notifyGranted(change: Change, grant: Grant, request: AccessRequest): Promise<void> {
  await messageTo(change, [grant.principalId], card({
    title: `Access to ${grant.target.name} granted`,
    summary: `Request ${request.id} approved: you have ${grant.target.name} until ${at(grant.endsAt)}`,
    facts: [{ label: 'Grant', value: grant.id }, { label: 'Until', value: at(grant.endsAt) }],
    status: { tone: 'approved', text: `Active until ${at(grant.endsAt)}` },
    actions: [{ verb: 'grant.relinquish', label: "I'm done", value: grant.id }],
  }));
}

const ENDINGS: Record<Exclude<GrantStatus, 'active'>, { action: string; event: (by: string) => string }> = {
  expired: { action: 'grant.expired', event: () => 'access expired' },
  revoked: { action: 'grant.revoked', event: (by) => `access revoked by ${by}` },
  relinquished: { action: 'grant.relinquished', event: (by) => `access given up by ${by}` },
  failed: { action: 'grant.failed', event: () => 'access could not be provisioned' },
};

function endNotice(grant: Grant, status: 'expired' | 'revoked' | 'failed', byName: string, when: string, comment: string | null) {
  const said = comment ? `: “${comment}”` : '';
  const what = status === 'expired' ? 'expired' : status === 'failed' ? 'could not be provisioned and was withdrawn' : `was revoked by ${byName}`;
  return card({
    title: `Access to ${grant.target.name} ${status === 'failed' ? 'failed' : status}`,
    summary: `Your access to ${grant.target.name} (grant ${grant.id}) ${what} at ${at(when)}${said}`,
    status: { tone: status === 'expired' ? 'expired' : 'revoked', text: `${status} at ${at(when)}` },
  });
}

/**
 * Ends an active grant (compare-and-set); queues its end hook, tells the holder and updates the
 * request's cards. Returns null, having changed nothing, when the grant was no longer active.
 */
export async function endGrant(
  change: Change,
  grant: Grant,
  status: Exclude<GrantStatus, 'active'>,
  by: { principalId: string | null; name: string },
  comment: string | null,
): Promise<Grant | null> {
  const ended = signed(change.ctx.config.keys.signing, { ...grant, status, endedAt: change.now, endedBy: by.principalId, endComment: comment, updatedAt: change.now });
  if (!(await change.tx.updateGrantIfActive(ended))) return null;
  await closeExtensions(change, ended);
  const ending = ENDINGS[status];
  change.audit(ending.action, grant.id, { principalId: grant.principalId, target: grant.target.name, comment });
  await queueHookCall(change, ended, 'grant.end');
  if (status !== 'relinquished') await messageTo(change, [grant.principalId], endNotice(grant, status, by.name, change.now, comment));
  await publishGrantChange(change, ended, ending.event(by.name));
  return ended;
}

/** A grant that ended takes its pending extension requests with it: closed, audited, their cards updated. */
async function closeExtensions(change: Change, grant: Grant): Promise<void> {
  for (const request of await change.tx.listPendingExtensions(grant.id)) {
    const closed: AccessRequest = { ...request, status: 'cancelled', decidedAt: change.now, decidedBy: null, decisionComment: `grant ${grant.id} ended (${grant.status})` };
    if (!(await change.tx.updateRequestIfPending(closed))) continue;
    change.audit('request.closed', request.id, { reason: 'grant ended', grantId: grant.id, grantStatus: grant.status });
    await publishRequest(change, closed, `closed: grant ${grant.id} ended`);
  }
}
