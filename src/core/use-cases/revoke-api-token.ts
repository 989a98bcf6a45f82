import { runChange, type EngineContext } from '../context.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { requireAdmin } from '../groups.js';
import type { ApiToken } from '../model.js';
import type { Actor } from '../ports.js';

/** Revokes a token by id or by the name of a live token; it stops working at once. */
export async function revokeApiToken(ctx: EngineContext, actor: Actor, idOrName: string): Promise<ApiToken> {
  const wanted = idOrName.trim();
  return runChange(ctx, actor, { action: 'token.revoke', subject: `token:${wanted}` }, async (change) => {
    await requireAdmin(change, 'revoke API tokens');
    const tokens = await change.tx.listApiTokens();
    const token = tokens.find((t) => t.id === wanted.toUpperCase()) ?? tokens.find((t) => t.name === wanted && t.revokedAt === null);
    if (!token) throw new NotFoundError(`no API token ${wanted}`);
    if (!(await change.tx.revokeApiToken(token.id, change.now))) throw new ConflictError(`token ${token.id} is already revoked`);
    change.audit('token.revoked', `token:${token.id}`, { name: token.name, scope: token.scope });
    return { ...token, revokedAt: change.now };
  });
}
