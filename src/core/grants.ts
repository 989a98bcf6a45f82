import { card } from './cards.js';
import { maxGrantSeconds, type Change } from './context.js';
import { formatDuration } from './duration.js';
import { ConflictError } from './errors.js';
import type { AccessRequest, Grant, GrantStatus, Policy } from './model.js';
import { hookForGrant, queueHookCall } from './hooks.js';
import { requireIntact } from './integrity.js';
import { loadGrantViews, messageTo, publishGrantChange, publishGrantViews, publishRequest } from './notify.js';
import { signed } from './signature.js';
import { addSeconds, toInstant, toMillis } from './time.js';
import { targetKey } from './targets.js';
import { beforeWindow, windowOf } from './windows.js';
import { at } from './time-text.js';
import { publishBreakGlass } from './break-glass.js';

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
 * A scheduled request (one with a start) gets a `scheduled` grant for its window when approved
 * before the start; approved after it, access from now until the window's planned end.
 */
export async function grantAccess(change: Change, request: AccessRequest, policy: Policy): Promise<Grant> {
  if (request.extendsGrantId) return extendNamedGrant(change, request, policy);
  const keys = change.ctx.config.keys.signing;
  const window = windowOf(request);
  const scheduled = window !== null && beforeWindow(request, change.now);
  const endsAt = window ? window.endsAt : addSeconds(change.now, request.durationSeconds);
  const held = scheduled ? undefined : await change.tx.findActiveGrant(request.requesterId, targetKey(request.target.name));
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
    startsAt: scheduled ? window.startsAt : change.now,
    endsAt,
    status: scheduled ? 'scheduled' : 'active',
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
    ...(request.breakGlass ? { breakGlass: true } : {}),
  });
  await change.tx.insertGrant(grant);
  change.audit('grant.created', grant.id, {
    requestId: request.id, principalId: grant.principalId, target: grant.target.name, targetType: grant.target.type,
    startsAt: grant.startsAt, endsAt: grant.endsAt, ...(scheduled ? { scheduled: true } : {}), ...(grant.breakGlass ? { breakGlass: true } : {}),
    // Role and role-group grants hold the role for the window; provisioning hooks act on this.
    ...(grant.target.type !== 'task' ? { roleHeld: true } : {}),
  });
  // A scheduled grant's start hook runs at the window's real start (`startScheduledGrant`).
  if (!scheduled) await queueHookCall(change, grant, 'grant.start');
  await notifyGranted(change, grant, request);
  return grant;
}

/**
 * The scheduler starts a scheduled grant at its window's start: active, its start hook queued,
 * its holder told. A window that ended before it could start (the scheduler was down throughout)
 * expires unstarted; when the holder meanwhile got the target another way, that grant is extended
 * to the window's end and this one closes. Returns false when the grant was no longer scheduled.
 */
export async function startScheduledGrant(change: Change, grant: Grant): Promise<boolean> {
  const keys = change.ctx.config.keys.signing;
  if (toMillis(grant.endsAt) <= toMillis(change.now)) {
    return (await endGrant(change, grant, 'expired', { principalId: null, name: 'Elevate' }, 'its window ended before it could start')) !== null;
  }
  const held = await change.tx.findActiveGrant(grant.principalId, targetKey(grant.target.name));
  if (held) {
    requireIntact(change.ctx, held);
    const closed = await endGrant(change, grant, 'expired', { principalId: null, name: 'Elevate' }, `merged into grant ${held.id}, already active`);
    if (!closed) return false;
    if (toMillis(grant.endsAt) > toMillis(held.endsAt)) {
      const extended = signed(keys, { ...held, endsAt: grant.endsAt, expiryNoticeAt: null, updatedAt: change.now });
      if (!(await change.tx.updateGrantIfActive(extended))) throw new ConflictError(`grant ${held.id} ended while being extended: try again`);
      change.audit('grant.extended', held.id, { from: held.endsAt, to: grant.endsAt, target: grant.target.name, window: grant.id });
    }
    return true;
  }
  const started = signed(keys, { ...grant, status: 'active' as const, updatedAt: change.now });
  if (!(await change.tx.updateGrantIfScheduled(started))) return false;
  change.audit('grant.started', grant.id, { principalId: grant.principalId, target: grant.target.name, startsAt: grant.startsAt, endsAt: grant.endsAt, ...(grant.target.type !== 'task' ? { roleHeld: true } : {}) });
  await queueHookCall(change, started, 'grant.start');
  await messageTo(change, [grant.principalId], card({
    title: `Access to ${grant.target.name} started`,
    summary: `Your scheduled window started: you have ${grant.target.name} until ${at(grant.endsAt)}`,
    facts: [{ label: 'Grant', value: grant.id }, { label: 'Window', value: `${at(grant.startsAt)} → ${at(grant.endsAt)}` }],
    status: { tone: 'approved', text: `Active until ${at(grant.endsAt)}` },
    actions: [{ verb: 'grant.relinquish', label: "I'm done", value: grant.id }],
  }));
  await publishGrantChange(change, started, 'window started');
  return true;
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
  if (grant.status === 'scheduled') {
    await messageTo(change, [grant.principalId], card({
      title: `Access to ${grant.target.name} scheduled`,
      summary: `Request ${request.id} approved: you will have ${grant.target.name} from ${at(grant.startsAt)} until ${at(grant.endsAt)}`,
      facts: [{ label: 'Grant', value: grant.id }, { label: 'Window', value: `${at(grant.startsAt)} → ${at(grant.endsAt)}` }],
      status: { tone: 'approved', text: `Scheduled from ${at(grant.startsAt)}` },
      actions: [{ verb: 'grant.relinquish', label: 'Cancel window', value: grant.id }],
    }));
    return;
  }
  const how = request.breakGlass ? 'break-glass: granted without approval; the approvers, the admins and the audit feed were alerted and will review it' : 'approved';
  await messageTo(change, [grant.principalId], card({
    title: `${request.breakGlass ? 'Break-glass access' : 'Access'} to ${grant.target.name} granted`,
    summary: `Request ${request.id} ${how}: you have ${grant.target.name} until ${at(grant.endsAt)}`,
    facts: [{ label: 'Grant', value: grant.id }, { label: 'Until', value: at(grant.endsAt) }],
    status: { tone: 'approved', text: `Active until ${at(grant.endsAt)}` },
    actions: [{ verb: 'grant.relinquish', label: "I'm done", value: grant.id }],
  }));
}

type Ending = Exclude<GrantStatus, 'active' | 'scheduled'>;

const ENDINGS: Record<Ending, { action: string; event: (by: string) => string }> = {
  expired: { action: 'grant.expired', event: () => 'access expired' },
  revoked: { action: 'grant.revoked', event: (by) => `access revoked by ${by}` },
  relinquished: { action: 'grant.relinquished', event: (by) => `access given up by ${by}` },
  failed: { action: 'grant.failed', event: () => 'access could not be provisioned' },
};

function endNotice(grant: Grant, status: Exclude<Ending, 'relinquished'>, byName: string, when: string, comment: string | null) {
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
  status: Ending,
  by: { principalId: string | null; name: string },
  comment: string | null,
): Promise<Grant | null> {
  const ended = signed(change.ctx.config.keys.signing, { ...grant, status, endedAt: change.now, endedBy: by.principalId, endComment: comment, updatedAt: change.now });
  // A scheduled grant never started: it ends without an end hook (no start hook ran).
  const unstarted = grant.status === 'scheduled';
  if (!(await (unstarted ? change.tx.updateGrantIfScheduled(ended) : change.tx.updateGrantIfActive(ended)))) return null;
  await closeExtensions(change, ended, await change.tx.listPendingExtensions([ended.id]));
  const ending = ENDINGS[status];
  change.audit(ending.action, grant.id, { principalId: grant.principalId, target: grant.target.name, comment, ...(unstarted ? { beforeStart: true } : {}) });
  if (!unstarted) await queueHookCall(change, ended, 'grant.end');
  // Nothing was assigned, so nothing is left to remove: it is not held while an end hook is awaited.
  else if (grant.hook) await change.tx.markGrantHook(grant.id, 'ended', change.now);
  if (status !== 'relinquished') await messageTo(change, [grant.principalId], endNotice(grant, status, by.name, change.now, comment));
  await publishGrantChange(change, ended, ending.event(by.name));
  if (ended.breakGlass) {
    const use = await change.tx.getBreakGlassUse(ended.id);
    if (use) await publishBreakGlass(change, use, ended);
  }
  return ended;
}

/**
 * Expires many active grants at once (the scheduler's pass), doing for each what `endGrant`
 * does for one, in the same order: the state change is one statement for all of them, each row
 * a compare-and-set (a grant revoked or extended meanwhile is left alone and skipped here); the
 * reads behind the notices, hooks and cards (holders, pending extensions, the grants' requests
 * and their views) are a few queries for all of them. Returns the grants it expired.
 */
export async function expireGrants(change: Change, grants: Grant[]): Promise<Grant[]> {
  const keys = change.ctx.config.keys.signing;
  const expiring = grants.filter((grant) => grant.status === 'active')
    .map((grant) => signed(keys, { ...grant, status: 'expired' as const, endedAt: change.now, endedBy: null, endComment: null, updatedAt: change.now }));
  if (expiring.length === 0) return [];
  const changed = new Set(await change.tx.expireGrantsIfDue(expiring, change.now));
  const expired = expiring.filter((grant) => changed.has(grant.id));
  if (expired.length === 0) return [];
  // One read of every holder: the transaction remembers them for the hooks and notices below.
  await change.tx.getPrincipals(expired.map((grant) => grant.principalId));
  const extensions = new Map<string, AccessRequest[]>();
  for (const request of await change.tx.listPendingExtensions(expired.map((grant) => grant.id))) {
    extensions.set(request.extendsGrantId!, [...(extensions.get(request.extendsGrantId!) ?? []), request]);
  }
  const views = await loadGrantViews(change, expired);
  const ending = ENDINGS.expired;
  for (const grant of expired) {
    await closeExtensions(change, grant, extensions.get(grant.id) ?? []);
    change.audit(ending.action, grant.id, { principalId: grant.principalId, target: grant.target.name, comment: null });
    await queueHookCall(change, grant, 'grant.end');
    await messageTo(change, [grant.principalId], endNotice(grant, 'expired', 'Elevate', change.now, null));
    await publishGrantViews(change, views.get(grant.id) ?? [], ending.event('Elevate'));
  }
  return expired;
}

/** A grant that ended takes its pending extension requests with it: closed, audited, their cards updated. */
async function closeExtensions(change: Change, grant: Grant, pending: AccessRequest[]): Promise<void> {
  for (const request of pending) {
    const closed: AccessRequest = { ...request, status: 'cancelled', decidedAt: change.now, decidedBy: null, decisionComment: `grant ${grant.id} ended (${grant.status})` };
    if (!(await change.tx.updateRequestIfPending(closed))) continue;
    change.audit('request.closed', request.id, { reason: 'grant ended', grantId: grant.id, grantStatus: grant.status });
    await publishRequest(change, closed, `closed: grant ${grant.id} ended`);
  }
}
