import { scopeMismatch, tokenIdOfSecret, tokenRefusal, type TokenRefusal } from '../api-tokens.js';
import { isAdmin, isAuditor } from '../groups.js';
import type { EngineContext } from '../context.js';
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
