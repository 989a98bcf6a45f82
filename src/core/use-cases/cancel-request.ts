import { runChange, type EngineContext } from '../context.js';
import { ConflictError, NotAllowedError, NotFoundError } from '../errors.js';
import { isAdmin } from '../groups.js';
import type { AccessRequest } from '../model.js';
import { nameOf, publishRequest } from '../notify.js';
import type { Actor } from '../ports.js';
import { describeDecided } from './decide-request.js';
import { requireIntact } from '../integrity.js';
import { endGrant } from '../grants.js';

/**
 * The requester (or an admin) withdraws a pending request, or an approved one whose scheduled
 * window has not started (its grant ends unstarted, relinquished).
 */
export async function cancelRequest(ctx: EngineContext, actor: Actor, requestIdInput: string): Promise<AccessRequest> {
  const requestId = requestIdInput.trim().toUpperCase();
  return runChange(ctx, actor, { action: 'request.cancel', subject: requestId }, async (change) => {
    const { tx } = change;
    const request = await tx.getRequest(requestId);
    if (!request) throw new NotFoundError(`request ${requestId} does not exist`);
    requireIntact(ctx, request);
    const principalId = change.principalId;
    const allowed = actor.kind === 'operator' || request.requesterId === principalId || (principalId && (await isAdmin(tx, principalId)));
    if (!allowed) throw new NotAllowedError(`only the requester or an admin may cancel request ${requestId}`);
    const grant = request.status === 'approved' && request.grantId ? await tx.getGrant(request.grantId) : undefined;
    if (grant?.status === 'scheduled') {
      requireIntact(ctx, grant);
      const by = { principalId: principalId ?? null, name: principalId ? await nameOf(change, principalId) : 'the operator' };
      if (!(await endGrant(change, grant, 'relinquished', by, 'cancelled before its start'))) throw new ConflictError(`grant ${grant.id} is no longer scheduled`);
      change.audit('request.windowCancelled', requestId, { grantId: grant.id, startsAt: grant.startsAt });
      return request;
    }
    if (!(await tx.lockPendingRequest(requestId, change.now))) throw new ConflictError(await describeDecided(change, request));
    const cancelled: AccessRequest = { ...request, status: 'cancelled', decidedAt: change.now, decidedBy: principalId ?? null };
    await tx.updateRequestIfPending(cancelled);
    change.audit('request.cancelled', requestId, {});
    await publishRequest(change, cancelled, `cancelled by ${principalId ? await nameOf(change, principalId) : 'the operator'}`);
    return cancelled;
  });
}
