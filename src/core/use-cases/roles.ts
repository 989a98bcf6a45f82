import type { EngineContext } from '../context.js';
import { isAdmin, isAuditor } from '../groups.js';
import type { Principal } from '../model.js';
import type { Actor } from '../ports.js';
import { visibilityOf } from '../visibility.js';

/** What a person is in Elevate: for pages to show what applies to them (the use cases still check). */
export interface Roles {
  principal: Principal | undefined;
  admin: boolean;
  auditor: boolean;
  /** Policies whose approver group has them. */
  approverOf: number;
}

export async function rolesOf(ctx: EngineContext, actor: Actor): Promise<Roles> {
  if (actor.kind !== 'principal') return { principal: undefined, admin: actor.kind === 'operator', auditor: false, approverOf: 0 };
  const visibility = await visibilityOf(ctx, actor);
  return ctx.store.read(async (tx) => ({
    principal: await tx.getPrincipal(actor.principalId),
    admin: await isAdmin(tx, actor.principalId),
    auditor: await isAuditor(tx, actor.principalId),
    approverOf: visibility.policyIds.size,
  }));
}
