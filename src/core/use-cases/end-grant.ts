import { runChange, type EngineContext } from '../context.js';
import { ConflictError, InvalidInputError, NotAllowedError, NotFoundError } from '../errors.js';
import { approverGroupOf, groupMemberIds, isAdmin } from '../groups.js';
import { endGrant } from '../grants.js';
import { requireIntact } from '../integrity.js';
import type { Grant } from '../model.js';
import { nameOf } from '../notify.js';
import type { Actor } from '../ports.js';

const MAX_COMMENT_LENGTH = 1000;

export interface EndGrantInput {
  grantId: string;
  comment?: string | null;
}

/** Approvers of the grant's policy and admins revoke a grant before its end. */
export async function revokeGrant(ctx: EngineContext, actor: Actor, input: EndGrantInput): Promise<Grant> {
  return finishGrant(ctx, actor, input, 'revoked');
}

/** The holder gives access back early ("I'm done"). */
export async function relinquishGrant(ctx: EngineContext, actor: Actor, input: EndGrantInput): Promise<Grant> {
  return finishGrant(ctx, actor, input, 'relinquished');
}

async function finishGrant(ctx: EngineContext, actor: Actor, input: EndGrantInput, status: 'revoked' | 'relinquished'): Promise<Grant> {
  const grantId = input.grantId.trim().toUpperCase();
  const comment = input.comment?.trim() || null;
  if (comment && comment.length > MAX_COMMENT_LENGTH) {
    throw new InvalidInputError(`comment is longer than ${MAX_COMMENT_LENGTH} characters`, { field: 'comment' });
  }
  const action = status === 'revoked' ? 'grant.revoke' : 'grant.relinquish';
  return runChange(ctx, actor, { action, subject: grantId }, async (change) => {
    const grant = await change.tx.getGrant(grantId);
    if (!grant) throw new NotFoundError(`grant ${grantId} does not exist`);
    requireIntact(ctx, grant);
    const principalId = change.principalId;
    if (status === 'relinquished') {
      if (principalId !== grant.principalId) throw new NotAllowedError(`only the holder may give up grant ${grantId}`);
    } else if (actor.kind !== 'operator') {
      const policy = await change.tx.getPolicy(grant.policyId);
      const approvers = policy ? await groupMemberIds(change, await approverGroupOf(change, policy)) : [];
      const allowed = principalId !== undefined && (approvers.includes(principalId) || (await isAdmin(change.tx, principalId)));
      if (!allowed) throw new NotAllowedError(`only approvers of ${grant.target.name} or admins may revoke grant ${grantId}`);
    }
    const by = { principalId: principalId ?? null, name: principalId ? await nameOf(change, principalId) : 'the operator' };
    const ended = await endGrant(change, grant, status, by, comment);
    if (!ended) throw new ConflictError(`grant ${grantId} is already ${grant.status}${grant.endedAt ? ` since ${grant.endedAt}` : ''}`);
    return ended;
  });
}
