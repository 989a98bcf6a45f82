import { scopeMismatch, tokenIdOfSecret, tokenRefusal, type TokenRefusal } from '../api-tokens.js';
import { isAdmin, isAuditor } from '../groups.js';
import { Change, type EngineContext } from '../context.js';
import type { ApiToken, Principal } from '../model.js';

export type Authentication =
  | { ok: true; token: ApiToken; principal: Principal | undefined }
  | { ok: false; refusal: TokenRefusal; tokenId: string | undefined; message?: string };

/** Who a presented bearer secret is, if anyone. Reads only; the API audits refusals. */
export async function authenticateApiToken(ctx: EngineContext, secret: string): Promise<Authentication> {
  const tokenId = tokenIdOfSecret(secret);
  if (!tokenId) return { ok: false, refusal: 'malformed', tokenId: undefined };
  return ctx.store.read(async (tx) => {
    const token = await tx.getApiToken(tokenId);
    const refusal = tokenRefusal(token, secret, ctx.clock.now());
    if (refusal || !token) return { ok: false, refusal: refusal ?? 'unknown', tokenId };
    const principal = token.principalId ? await tx.getPrincipal(token.principalId) : undefined;
    if (token.principalId && !principal) return { ok: false, refusal: 'unknown', tokenId };
    if (principal) {
      // Group membership may have changed since the token was made: its scope must still fit.
      const roles = { admin: await isAdmin(tx, principal.id), auditor: await isAuditor(tx, principal.id) };
      const mismatch = scopeMismatch(token.scope, principal.identities[0] ?? principal.id, roles);
      if (mismatch) return { ok: false, refusal: 'not_entitled', tokenId, message: mismatch };
    }
    return { ok: true, token, principal };
  });
}

/** A use of the API worth its own audit record: a read, a refused token, a summary of checks. */
export interface ApiUse {
  action: 'api.read' | 'api.refused' | 'api.checks';
  subject: string;
  tokenId: string | null;
  principalId: string | null;
  details: Record<string, unknown>;
}

/**
 * Audits API uses that no use case audits (reads, refusals, check counts) and records when each
 * token was last used; all in one transaction, so a batch is written whole or not at all.
 */
export async function recordApiUses(ctx: EngineContext, uses: ApiUse[]): Promise<void> {
  if (uses.length === 0) return;
  await ctx.store.transaction(async (tx) => {
    for (const use of uses) {
      const tokenId = use.tokenId ?? undefined;
      const actor = use.principalId
        ? { kind: 'principal' as const, principalId: use.principalId, origin: 'api' as const, tokenId }
        : { kind: 'system' as const, origin: 'api' as const, tokenId };
      const change = new Change(tx, ctx, actor);
      change.audit(use.action, use.subject, use.details);
      if (use.tokenId) await tx.markApiTokensUsed([use.tokenId], change.now);
      await change.flush();
    }
  });
}
