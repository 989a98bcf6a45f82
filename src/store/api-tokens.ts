import type { ApiToken, TokenScope } from '../core/model.js';
import type { Instant } from '../core/time.js';
import type { ApiTokensTable, Db } from './database.js';

function toToken(row: ApiTokensTable): ApiToken {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope as TokenScope,
    principalId: row.principal_id,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function getApiToken(db: Db, id: string): Promise<ApiToken | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toToken(row) : undefined;
}

export async function listApiTokens(db: Db): Promise<ApiToken[]> {
  return (await db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute()).map(toToken);
}

export async function insertApiToken(db: Db, token: ApiToken): Promise<void> {
  await db.insertInto('api_tokens').values({
    id: token.id,
    name: token.name,
    scope: token.scope,
    principal_id: token.principalId,
    secret_hash: token.secretHash,
    created_at: token.createdAt,
    created_by: token.createdBy,
    expires_at: token.expiresAt,
    revoked_at: token.revokedAt,
    last_used_at: token.lastUsedAt,
  }).execute();
}

export async function revokeApiToken(db: Db, id: string, at: Instant): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: at })
    .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function markApiTokensUsed(db: Db, ids: string[], at: Instant): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', 'in', ids).execute();
}
