import type { EngineContext } from '../context.js';
import type { Actor } from '../ports.js';
import { homeOf, type Home } from './home.js';

/**
 * The home of the account `identity` (e.g. `slack:U1`) opened: it is noted (the first time), so
 * that changes shown on it publish it again through the outbox from now on. Not audited: it
 * changes no one's access, only where Elevate delivers. An account that is not the actor's has
 * nothing noted.
 */
export async function openHome(ctx: EngineContext, actor: Actor, identity: string): Promise<Home> {
  if (actor.kind === 'principal') {
    const principalId = actor.principalId;
    const noted = await ctx.store.read(async (tx) => (await tx.listHomeIdentities([principalId])).includes(identity));
    if (!noted) {
      await ctx.store.transaction(async (tx) => {
        if ((await tx.findPrincipalByIdentity(identity))?.id === principalId) await tx.markHomeOpened(identity, ctx.clock.now());
      });
    }
  }
  return homeOf(ctx, actor);
}
