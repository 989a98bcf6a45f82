import {
  audienceText, BREAK_GLASS_DAY_SECONDS, breakGlassAudience, breakGlassReviewSeconds, longestBreakGlass, postBreakGlassAlert, type BreakGlassAudience,
} from '../break-glass.js';
import { runChange, runRead, type Change, type EngineContext } from '../context.js';
import { requirePolicy } from '../configuration-changes.js';
import { formatDuration, parseDuration } from '../duration.js';
import { ConflictError, InvalidInputError, NotAllowedError, NotSupportedError } from '../errors.js';
import { groupMemberIds } from '../groups.js';
import { grantAccess } from '../grants.js';
import { CONFIGURATION_TARGET, type AccessRequest, type BreakGlassUse, type Grant, type Policy } from '../model.js';
import { publishRequest } from '../notify.js';
import type { Actor } from '../ports.js';
import { signRequest } from '../signature.js';
import { targetKey } from '../targets.js';
import { at } from '../time-text.js';
import { addSeconds } from '../time.js';
import { checkReason } from './create-request.js';

export interface BreakGlassInput {
  target: string;
  /** `30m`…; absent: the policy's break-glass maximum (1 h unless it says otherwise). */
  duration?: string | number | null;
  /** Required: why access could not wait for an approval. */
  reason?: string | null;
  ticket?: string | null;
  /**
   * The person confirmed after being told who will be alerted (a typed word, `--yes`, a second
   * click): without it nothing happens, whatever the channel.
   */
  confirmed?: boolean;
}

/** What breaking glass would do now: who is alerted, for how long at most, uses left today. */
export interface BreakGlassPreview {
  target: string;
  maxSeconds: number;
  usesLeft: number;
  perDay: number;
  /** "the 3 approver(s) of approvers, the 1 admin(s) and the audit feed (slack)". */
  alerted: string;
  reviewSeconds: number;
}

export interface BreakGlassOutcome {
  request: AccessRequest;
  grant: Grant;
  use: BreakGlassUse;
  policy: Policy;
  alerted: string;
}

/**
 * Checks that this person may break glass on the target now; returns the policy, the audience
 * and uses left. Refusals say why: the configuration target, a policy without break-glass, not
 * in the group, the daily limit, access already held.
 */
async function checkAllowed(change: Change, principalId: string, target: string): Promise<{ policy: Policy; audience: BreakGlassAudience; usesLeft: number }> {
  if (typeof target !== 'string' || target.trim() === '') {
    throw new InvalidInputError('name the target to break glass on, e.g. Exchange\\Search-Mailbox', { field: 'target' });
  }
  if (targetKey(target.trim()) === targetKey(CONFIGURATION_TARGET.name)) {
    throw new NotAllowedError(`break-glass is never allowed on ${CONFIGURATION_TARGET.name}: configuration changes always need another admin`);
  }
  if (!(await change.tx.getSettings()).pamEnabled) {
    throw new NotSupportedError('PAM is disabled: Elevate accepts no new requests until an admin enables it again');
  }
  const policy = await requirePolicy(change, target.trim());
  const group = policy.breakGlassGroupId ? await change.tx.getGroup(policy.breakGlassGroupId) : undefined;
  if (!group) throw new NotAllowedError(`${policy.target.name} does not allow break-glass: request it for approval instead`);
  if (!(await groupMemberIds(change, group)).includes(principalId)) {
    throw new NotAllowedError(`only members of ${group.name} may break glass on ${policy.target.name}: request it for approval instead`);
  }
  const used = await change.tx.countBreakGlassUses(principalId, policy.id, addSeconds(change.now, -BREAK_GLASS_DAY_SECONDS));
  if (used >= policy.breakGlassPerDay) {
    throw new NotAllowedError(
      `you broke glass on ${policy.target.name} ${used} time(s) in the last 24 hours, the most it allows (${policy.breakGlassPerDay} a day): request it for approval instead`,
      { field: 'breakGlass', limit: policy.breakGlassPerDay },
    );
  }
  const held = await change.tx.findActiveGrant(principalId, targetKey(policy.target.name));
  if (held) throw new ConflictError(`you already have ${policy.target.name} until ${at(held.endsAt)} (grant ${held.id}): no need to break glass`);
  return { policy, audience: await breakGlassAudience(change, policy), usesLeft: policy.breakGlassPerDay - used };
}

function breakGlassSeconds(change: Change, input: BreakGlassInput, policy: Policy): number {
  const longest = longestBreakGlass(policy, change.ctx.config);
  if (input.duration === undefined || input.duration === null || input.duration === '') return longest;
  const seconds = typeof input.duration === 'number' ? input.duration : parseDuration(String(input.duration));
  if (!Number.isSafeInteger(seconds) || seconds < 60) {
    throw new InvalidInputError('duration must be a whole number of seconds of at least 1m', { field: 'duration' });
  }
  if (seconds > longest) {
    throw new InvalidInputError(`break-glass on ${policy.target.name} lasts at most ${formatDuration(longest)}, not ${formatDuration(seconds)}`, { field: 'duration', max: longest });
  }
  return seconds;
}

/** What breaking glass on `target` would do, for the confirmation step; changes nothing (refusals are audited). */
export function previewBreakGlass(ctx: EngineContext, actor: Actor, target: string): Promise<BreakGlassPreview> {
  const principalId = requirePerson(actor);
  return runChange(ctx, actor, { action: 'breakGlass.use', subject: String(target).slice(0, 200) }, async (change) => {
    const { policy, audience, usesLeft } = await checkAllowed(change, principalId, target);
    return {
      target: policy.target.name, maxSeconds: longestBreakGlass(policy, ctx.config), usesLeft, perDay: policy.breakGlassPerDay,
      alerted: audienceText(audience), reviewSeconds: breakGlassReviewSeconds(ctx.config),
    };
  });
}

/**
 * The targets whose policy lets this person break glass (members of its break-glass group; a
 * directory group's policies are included and checked on use): what the web console offers.
 * Changes and audits nothing; breaking glass still checks everything.
 */
export async function breakGlassTargets(ctx: EngineContext, actor: Actor): Promise<string[]> {
  if (actor.kind !== 'principal') return [];
  return runRead(ctx, async (tx) => {
    const targets: string[] = [];
    for (const policy of await tx.listPolicies()) {
      const group = policy.breakGlassGroupId ? await tx.getGroup(policy.breakGlassGroupId) : undefined;
      if (!group) continue;
      if (group.source === 'directory' || (await tx.listGroupMemberIds(group.id)).includes(actor.principalId)) targets.push(policy.target.name);
    }
    return targets;
  });
}

function requirePerson(actor: Actor): string {
  if (actor.kind !== 'principal') {
    throw new NotAllowedError('break-glass is used by a person: name them (for the CLI, --as <principal>)');
  }
  return actor.principalId;
}

/**
 * A member of the policy's break-glass group takes access at once: an approved request and an
 * active grant (marked break-glass, at most the policy's break-glass maximum), a use waiting for
 * review, and the loud card to the approvers, the admins and the audit feeds. Refusals change nothing.
 */
export async function breakGlass(ctx: EngineContext, actor: Actor, input: BreakGlassInput): Promise<BreakGlassOutcome> {
  const principalId = requirePerson(actor);
  return runChange(ctx, actor, { action: 'breakGlass.use', subject: String(input.target).slice(0, 200) }, async (change) => {
    const { policy, audience } = await checkAllowed(change, principalId, input.target);
    const durationSeconds = breakGlassSeconds(change, input, policy);
    const { reason, ticket } = checkReason(input, { ...policy, reasonRequired: true }, ctx.patterns);
    if (input.confirmed !== true) {
      throw new InvalidInputError(`confirm break-glass first: it alerts ${audienceText(audience)} at once`, { field: 'confirmed' });
    }
    const unsigned = {
      id: ctx.ids.next('request'),
      requesterId: principalId,
      requesterIdentity: actor.kind === 'principal' ? actor.identity ?? null : null,
      policyId: policy.id,
      policyVersion: policy.updatedAt,
      extendsGrantId: null,
      target: policy.target,
      durationSeconds,
      reason,
      ticket,
      status: 'approved' as const,
      createdAt: change.now,
      deadlineAt: change.now,
      decidedAt: change.now,
      decidedBy: null,
      decisionComment: 'break-glass: access at once, reviewed afterwards',
      approvalsRequired: policy.approvalsRequired,
      grantId: null,
      change: null,
      origin: change.origin,
      remindedAt: null,
      startsAt: null,
      remindersSent: 0,
      breakGlass: true,
    };
    let request: AccessRequest = { ...unsigned, signature: signRequest(ctx.config.keys.signing, unsigned) };
    const grant = await grantAccess(change, request, policy);
    request = { ...request, grantId: grant.id };
    await change.tx.insertRequest(request);
    change.audit('request.created', request.id, {
      requesterId: principalId, target: policy.target.name, durationSeconds, reason, ticket, approval: 'break-glass', breakGlass: true,
    });
    const use: BreakGlassUse = {
      grantId: grant.id, requestId: request.id, principalId, policyId: policy.id, targetName: policy.target.name, reason: reason!,
      usedAt: change.now, endsAt: grant.endsAt, reviewDueAt: addSeconds(change.now, breakGlassReviewSeconds(ctx.config)),
      status: 'pending', reviewedAt: null, reviewedBy: null, reviewComment: null, remindedAt: null, remindersSent: 0, escalatedAt: null,
    };
    await change.tx.insertBreakGlassUse(use);
    const alerted = audienceText(audience);
    change.audit('breakGlass.used', grant.id, {
      requestId: request.id, principalId, target: policy.target.name, reason, endsAt: grant.endsAt, reviewDueAt: use.reviewDueAt,
      alerted: { approverGroup: audience.approverGroup.name, approvers: audience.approverIds.length, admins: audience.adminIds.length, channel: audience.channel, feeds: audience.feedPlatforms },
    });
    // The requester's card and the feed's thread, as for every request; then the loud card to everyone alerted.
    await publishRequest(change, request, 'break-glass: access granted at once, without approval', { approverIds: [], channel: null }, grant);
    await postBreakGlassAlert(change, use, audience, grant);
    return { request, grant, use, policy, alerted };
  });
}
