import { hashTokenSecret, newTokenSecret, scopeMismatch } from '../api-tokens.js';
import { runChange, type EngineContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { ConflictError, InvalidInputError, NotAllowedError } from '../errors.js';
import { isAdmin, isAuditor, requireAdmin } from '../groups.js';
import { TOKEN_SCOPES, type ApiToken, type TokenScope } from '../model.js';
import type { Actor } from '../ports.js';
import { resolvePrincipal } from '../principals.js';
import { addSeconds } from '../time.js';

export interface ApiTokenInput {
  name: string;
  scope: string;
  /** Who the token acts as (`slack:U1`, `teams:…`, a linked email); required but for `checker`. */
  as?: string;
  /** How long it lasts, e.g. `90d`; unset: until revoked. */
  expires?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/;

/**
 * Creates a REST API token and returns its secret, shown once: only its hash is stored. Admins
 * and the server CLI may create tokens. A token never gives its principal more than they have
 * (see `scopeMismatch`); `checker` tokens act as nobody.
 */
export async function createApiToken(ctx: EngineContext, actor: Actor, input: ApiTokenInput): Promise<{ token: ApiToken; secret: string }> {
  const name = input.name.trim();
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidInputError('token name must be 1 to 64 letters, digits, spaces or . _ : - (starting with a letter or digit)', { field: 'name' });
  }
  if (!(TOKEN_SCOPES as readonly string[]).includes(input.scope)) {
    throw new InvalidInputError(`token scope "${input.scope}" is not one of ${TOKEN_SCOPES.join(', ')}`, { field: 'scope' });
  }
  const scope = input.scope as TokenScope;
  if (scope === 'checker' && input.as) throw new InvalidInputError('checker tokens act as nobody: leave out --as', { field: 'as' });
  if (scope !== 'checker' && !input.as) throw new InvalidInputError(`${scope} tokens act as a principal: name one with --as`, { field: 'as' });
  const lifetime = input.expires === undefined ? undefined : parseDuration(input.expires, 'expires');
  return runChange(ctx, actor, { action: 'token.create', subject: `token:${name}` }, async (change) => {
    await requireAdmin(change, 'create API tokens');
    if ((await change.tx.listApiTokens()).some((t) => t.name === name && t.revokedAt === null)) {
      throw new ConflictError(`a token named "${name}" already exists: revoke it first or choose another name`);
    }
    const principal = input.as ? await resolvePrincipal(change, input.as) : undefined;
    if (principal) {
      const mismatch = scopeMismatch(scope, input.as!, { admin: await isAdmin(change.tx, principal.id), auditor: await isAuditor(change.tx, principal.id) });
      if (mismatch) throw new NotAllowedError(mismatch);
    }
    const id = ctx.ids.next('token');
    const secret = newTokenSecret(id);
    const token: ApiToken = {
      id, name, scope, principalId: principal?.id ?? null, secretHash: hashTokenSecret(secret),
      createdAt: change.now, createdBy: change.actor.kind === 'principal' ? change.actor.principalId : change.actor.kind,
      expiresAt: lifetime === undefined ? null : addSeconds(change.now, lifetime), revokedAt: null, lastUsedAt: null,
    };
    await change.tx.insertApiToken(token);
    change.audit('token.created', `token:${id}`, { name, scope, principal: principal?.identities[0] ?? null, expiresAt: token.expiresAt });
    return { token, secret };
  });
}
