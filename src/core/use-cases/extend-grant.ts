import { runChange, type EngineContext } from '../context.js';
import { ConflictError, NotAllowedError, NotFoundError } from '../errors.js';
import { requireIntact } from '../integrity.js';
import type { Actor } from '../ports.js';
import { toMillis } from '../time.js';
import { submitRequest, type RequestOutcome } from './create-request.js';

export interface ExtendInput {
  grantId: string;
  /** How much longer than the current end, e.g. `2h`. */
  duration: string | number;
  reason?: string | null;
  ticket?: string | null;
}

/**
 * The holder asks for more time: a request to extend this one grant by `duration` after its
 * current end (no further than the policy's longest grant from now), decided like any other. It
 * extends only that grant, and is closed if the grant ends first.
 */
export async function extendGrant(ctx: EngineContext, actor: Actor, input: ExtendInput): Promise<RequestOutcome> {
  if (actor.kind !== 'principal') throw new NotAllowedError('only the holder may extend a grant (for the CLI, --as <holder>)');
  const grantId = input.grantId.trim().toUpperCase();
  return runChange(ctx, actor, { action: 'grant.extend', subject: grantId }, async (change) => {
    const grant = await change.tx.getGrant(grantId);
    if (!grant) throw new NotFoundError(`grant ${grantId} does not exist`);
    requireIntact(ctx, grant);
    if (grant.principalId !== actor.principalId) throw new NotAllowedError(`only the holder may extend grant ${grantId}`);
    if (grant.status !== 'active') throw new ConflictError(`grant ${grantId} is ${grant.status}: request access again instead`);
    // Past its end it is over, even before the scheduler marks it expired: an extension would revive it.
    if (toMillis(grant.endsAt) <= toMillis(change.now)) throw new ConflictError(`grant ${grantId} ended at ${grant.endsAt}: request access again instead`);
    return submitRequest(change, actor.principalId, { ...input, target: grant.target.name }, grant);
  });
}
