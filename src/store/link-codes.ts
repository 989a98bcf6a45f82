import type { LinkCode } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import type { Db } from './database.js';
import { toNumber } from './rows.js';

export async function insertLinkCode(db: Db, code: LinkCode): Promise<void> {
  await db.insertInto('link_codes').values({
    code_hash: code.codeHash, principal_id: code.principalId, identity: code.identity, purpose: code.purpose,
    created_at: code.createdAt, expires_at: code.expiresAt, used_at: code.usedAt,
  }).execute();
}

export async function getLinkCode(db: Db, codeHash: string): Promise<LinkCode | undefined> {
  const row = await db.selectFrom('link_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
  return row && {
    codeHash: row.code_hash, principalId: row.principal_id, identity: row.identity, purpose: row.purpose as LinkCode['purpose'],
    createdAt: row.created_at, expiresAt: row.expires_at, usedAt: row.used_at,
  };
}

export async function useLinkCode(db: Db, codeHash: string, at: Instant): Promise<boolean> {
  const result = await db.updateTable('link_codes').set({ used_at: at }).where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function countLinkCodesIssued(db: Db, identity: string, since: Instant): Promise<number> {
  const row = await db.selectFrom('link_codes').select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('identity', '=', identity).where('created_at', '>=', since).executeTakeFirstOrThrow();
  return toNumber(row.n);
}

export async function recordFailedLinkAttempt(db: Db, identity: string, at: Instant): Promise<void> {
  await db.insertInto('link_attempts').values({ identity, at }).execute();
}

export async function countFailedLinkAttempts(db: Db, identity: string, since: Instant): Promise<number> {
  const row = await db.selectFrom('link_attempts').select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('identity', '=', identity).where('at', '>=', since).executeTakeFirstOrThrow();
  return toNumber(row.n);
}
