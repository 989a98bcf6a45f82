import { runChange, type EngineContext } from '../context.js';
import { requireAdmin } from '../groups.js';
import type { ApiToken } from '../model.js';
import type { Actor } from '../ports.js';

/** Every token, revoked and expired ones included; secrets are not stored, so never shown. */
export async function listApiTokens(ctx: EngineContext, actor: Actor): Promise<Array<Omit<ApiToken, 'secretHash'> & { principal: string | null }>> {
  return runChange(ctx, actor, { action: 'token.list', subject: 'tokens' }, async (change) => {
    await requireAdmin(change, 'list API tokens');
    const tokens = await change.tx.listApiTokens();
    const principals = new Map((await change.tx.getPrincipals(tokens.flatMap((t) => (t.principalId ? [t.principalId] : []))))
      .map((p) => [p.id, p.identities[0] ?? p.id]));
    return tokens.map(({ secretHash: _hash, ...token }) => ({ ...token, principal: token.principalId ? principals.get(token.principalId) ?? null : null }));
  });
}
