import { card } from './cards.js';
import type { Change } from './context.js';
import { ConflictError } from './errors.js';
import type { AccessRequest, Grant, GrantStatus, Policy } from './model.js';
import { hookForGrant, queueHookCall } from './hooks.js';
import { messageTo, publishGrantChange } from './notify.js';
import { addSeconds, toMillis } from './time.js';
import { targetKey } from './targets.js';

/**
 * Gives the requester access for the approved request: a new grant from now, or, when they
 * already hold the target, the existing grant extended to the later of its end and now + duration.
 */
export async function grantAccess(change: Change, request: AccessRequest, policy: Policy): Promise<Grant> {
  const endsAt = addSeconds(change.now, request.durationSeconds);
  const held = await change.tx.findActiveGrant(request.requesterId, targetKey(request.target.name));
  if (held) {
    const extended: Grant = { ...held, endsAt: toMillis(endsAt) > toMillis(held.endsAt) ? endsAt : held.endsAt, expiryNoticeAt: null, updatedAt: change.now };
    if (!(await change.tx.updateGrantIfActive(extended))) throw new ConflictError(`grant ${held.id} ended while being extended: try again`);
    change.audit('grant.extended', extended.id, { requestId: request.id, from: held.endsAt, to: extended.endsAt, target: request.target.name });
    await notifyGranted(change, extended, request);
    return extended;
  }
  const grant: Grant = {
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
  };
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

async function notifyGranted(change: Change, grant: Grant, request: AccessRequest): Promise<void> {
  await messageTo(change, [grant.principalId], card({
    title: `Access to ${grant.target.name} granted`,
    summary: `Request ${request.id} approved: you have ${grant.target.name} until ${grant.endsAt}`,
    facts: [{ label: 'Grant', value: grant.id }, { label: 'Until', value: grant.endsAt }],
    status: { tone: 'approved', text: `Active until ${grant.endsAt}` },
    actions: [{ verb: 'grant.relinquish', label: "I'm done", value: grant.id }],
  }));
}

const ENDINGS: Record<Exclude<GrantStatus, 'active'>, { action: string; event: (by: string) => string }> = {
  expired: { action: 'grant.expired', event: () => 'access expired' },
  revoked: { action: 'grant.revoked', event: (by) => `access revoked by ${by}` },
  relinquished: { action: 'grant.relinquished', event: (by) => `access given up by ${by}` },
  failed: { action: 'grant.failed', event: () => 'access could not be provisioned' },
};

function endNotice(grant: Grant, status: 'expired' | 'revoked' | 'failed', byName: string, at: string, comment: string | null) {
  const said = comment ? `: “${comment}”` : '';
  const what = status === 'expired' ? 'expired' : status === 'failed' ? 'could not be provisioned and was withdrawn' : `was revoked by ${byName}`;
  return card({
    title: `Access to ${grant.target.name} ${status === 'failed' ? 'failed' : status}`,
    summary: `Your access to ${grant.target.name} (grant ${grant.id}) ${what} at ${at}${said}`,
    status: { tone: status === 'expired' ? 'expired' : 'revoked', text: `${status} at ${at}` },
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
  const ended: Grant = { ...grant, status, endedAt: change.now, endedBy: by.principalId, endComment: comment, updatedAt: change.now };
  if (!(await change.tx.updateGrantIfActive(ended))) return null;
  const ending = ENDINGS[status];
  change.audit(ending.action, grant.id, { principalId: grant.principalId, target: grant.target.name, comment });
  await queueHookCall(change, ended, 'grant.end');
  if (status !== 'relinquished') await messageTo(change, [grant.principalId], endNotice(grant, status, by.name, change.now, comment));
  await publishGrantChange(change, ended, ending.event(by.name));
  return ended;
}
