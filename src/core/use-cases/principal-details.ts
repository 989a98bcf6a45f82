import type { EngineContext } from '../context.js';
import { NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import { holdingsOf } from '../linking.js';
import type { IdentityDetail, Principal } from '../model.js';
import type { Actor } from '../ports.js';
import { findPrincipal } from '../principals.js';

export interface PrincipalDetails extends Principal {
  /** Each identity with its verified address and how it was linked. */
  accounts: IdentityDetail[];
  /** What linking another account into it would give that account (roles, access, requests, tokens). */
  holds: string[];
}

// Principals listed at once; the list is for people reading it.
const MAX_LIST = 1000;

/** One principal: admins, auditors and the operator see anyone; a person sees themselves. */
export async function getPrincipalDetails(ctx: EngineContext, actor: Actor, ref: string): Promise<PrincipalDetails> {
  return ctx.store.read(async (tx) => {
    const principal = await findPrincipal(tx, ref);
    if (!(await seesEverything(tx, actor)) && !(actor.kind === 'principal' && actor.principalId === principal.id)) {
      throw new NotAllowedError('only admins and auditors may look up other people');
    }
    return {
      ...principal,
      accounts: await tx.listIdentityDetails([principal.id]),
      holds: await holdingsOf(tx, principal, ctx.clock.now()),
    };
  });
}

/** Every principal that has an account, with its accounts (admins, auditors, the operator). */
export async function listPrincipals(ctx: EngineContext, actor: Actor, query: { limit?: number } = {}): Promise<PrincipalDetails[]> {
  return ctx.store.read(async (tx) => {
    if (!(await seesEverything(tx, actor))) throw new NotAllowedError('only admins and auditors may list principals');
    const principals = await tx.listPrincipals(Math.min(query.limit ?? MAX_LIST, MAX_LIST));
    const accounts = await tx.listIdentityDetails(principals.map((p) => p.id));
    const now = ctx.clock.now();
    const details: PrincipalDetails[] = [];
    for (const principal of principals) {
      details.push({ ...principal, accounts: accounts.filter((a) => a.principalId === principal.id), holds: await holdingsOf(tx, principal, now) });
    }
    return details;
  });
}
