import type { IdentityDetail, LinkMethod, Principal } from '../core/model.js';
import type { Instant } from '../core/time.js';
import type { Db } from './database.js';
import { queryTemplate } from './query-templates.js';
import { batches } from './rows.js';

/** A principal row joined with one of its identities (identity null when it has none). */
interface JoinedRow {
  id: string;
  legacy_name: string | null;
  identity: string | null;
  email: string | null;
  display_name: string | null;
}

/**
 * Folds joined rows (ordered by principal, then identity position) into principals. The display
 * name is the first its identities' platforms give (the principal's own column only as a fallback,
 * from before identities kept names); addresses are only those a pinned platform verified.
 */
function fold(rows: JoinedRow[]): Map<string, Principal> {
  const principals = new Map<string, Principal>();
  for (const row of rows) {
    let principal = principals.get(row.id);
    if (!principal) {
      principal = { id: row.id, displayName: null, email: null, identities: [], emails: [] };
      principals.set(row.id, principal);
    }
    if (row.identity !== null) principal.identities.push(row.identity);
    if (row.email !== null && !principal.emails.includes(row.email)) principal.emails.push(row.email);
    principal.displayName ??= row.display_name;
    principal.email ??= row.email;
  }
  for (const row of rows) {
    const principal = principals.get(row.id)!;
    principal.displayName ??= row.legacy_name;
  }
  return principals;
}

/** Principals with their identities in one query, ordered for `fold`. */
function selectJoined(db: Db) {
  return db.selectFrom('principals as p')
    .leftJoin('principal_identities as i', 'i.principal_id', 'p.id')
    .select(['p.id', 'p.display_name as legacy_name', 'i.identity', 'i.email', 'i.display_name'])
    .orderBy('p.id').orderBy('i.position').orderBy('i.added_at').orderBy('i.identity');
}

const BY_ID = queryTemplate((db, a: { id: string }) => selectJoined(db).where('p.id', '=', a.id));
const BY_IDS = queryTemplate((db, a: { ids: string[] }) => selectJoined(db).where('p.id', 'in', a.ids));
const BY_IDENTITY = queryTemplate((db, a: { identity: string }) => selectJoined(db)
  .where('p.id', '=', (eb) => eb.selectFrom('principal_identities').select('principal_id').where('identity', '=', a.identity)));
const BY_EMAIL = queryTemplate((db, a: { email: string }) => selectJoined(db)
  .where('p.id', 'in', (eb) => eb.selectFrom('principal_identities').select('principal_id').where('email', '=', a.email)));

export async function getPrincipal(db: Db, id: string): Promise<Principal | undefined> {
  return fold(await BY_ID.rows(db, { id })).get(id);
}

/** The principals among `ids` that exist, in the order of `ids`. */
export async function getPrincipals(db: Db, ids: string[]): Promise<Principal[]> {
  const unique = [...new Set(ids)];
  const found = new Map<string, Principal>();
  for (const batch of batches(unique)) {
    for (const [id, principal] of fold(await BY_IDS.rows(db, { ids: batch }))) found.set(id, principal);
  }
  return unique.flatMap((id) => found.get(id) ?? []);
}

export async function findPrincipalByIdentity(db: Db, identity: string): Promise<Principal | undefined> {
  return fold(await BY_IDENTITY.rows(db, { identity })).values().next().value;
}

/** Emails are compared lower-cased; only identities' verified addresses count. */
export async function findPrincipalsByEmail(db: Db, email: string): Promise<Principal[]> {
  return [...fold(await BY_EMAIL.rows(db, { email: email.trim().toLowerCase() })).values()];
}

function normalizeEmail(email: string | null): string | null {
  return email === null ? null : email.trim().toLowerCase();
}

const INSERT = queryTemplate((db, a: { id: string; displayName: string | null; at: Instant }) => db.insertInto('principals')
  .values({ id: a.id, display_name: a.displayName, email: null, created_at: a.at }));
const INSERT_IDENTITY = queryTemplate((db, a: { identity: string; principalId: string; position: number; email: string | null; displayName: string | null; linkedBy: string; at: Instant }) =>
  db.insertInto('principal_identities').values({
    identity: a.identity, principal_id: a.principalId, position: a.position, added_at: a.at, email: a.email,
    display_name: a.displayName, linked_by: a.linkedBy, updated_at: a.at,
  }));

/** Throws (primary key) when the id, or the identity, is taken. */
export async function insertPrincipal(
  db: Db,
  principal: { id: string; displayName: string | null },
  identity: { identity: string; email: string | null; linkedBy: LinkMethod } | null,
  at: Instant,
): Promise<void> {
  await INSERT.affected(db, { id: principal.id, displayName: null, at });
  if (!identity) return;
  await INSERT_IDENTITY.affected(db, {
    identity: identity.identity, principalId: principal.id, position: 0, email: normalizeEmail(identity.email),
    displayName: principal.displayName, linkedBy: identity.linkedBy, at,
  });
}

const NEXT_POSITION = queryTemplate((db, a: { principalId: string }) => db.selectFrom('principal_identities')
  .select((eb) => eb.fn.max('position').as('last')).where('principal_id', '=', a.principalId));
const EXISTING = queryTemplate((db, a: { identity: string }) => db.selectFrom('principal_identities')
  .select(['principal_id']).where('identity', '=', a.identity));
const MOVE = queryTemplate((db, a: { identity: string; principalId: string; position: number; linkedBy: string; at: Instant }) =>
  db.updateTable('principal_identities')
    .set({ principal_id: a.principalId, position: a.position, linked_by: a.linkedBy, updated_at: a.at })
    .where('identity', '=', a.identity));

/** Gives the identity to the principal, after its other identities: added, or moved from another principal. */
export async function assignIdentity(db: Db, identity: string, principalId: string, linkedBy: LinkMethod, at: Instant): Promise<void> {
  const last = (await NEXT_POSITION.first(db, { principalId }))?.last;
  const position = last === null || last === undefined ? 0 : Number(last) + 1;
  if (await EXISTING.first(db, { identity })) await MOVE.affected(db, { identity, principalId, position, linkedBy, at });
  else await INSERT_IDENTITY.affected(db, { identity, principalId, position, email: null, displayName: null, linkedBy, at });
}

const SET_PROFILE = queryTemplate((db, a: { identity: string; email: string | null; displayName: string | null; at: Instant }) =>
  db.updateTable('principal_identities').set({ email: a.email, display_name: a.displayName, updated_at: a.at }).where('identity', '=', a.identity));

/** What the identity's platform says now: its verified address (lower-cased) and name. */
export async function setIdentityProfile(db: Db, identity: string, profile: { displayName: string | null; email: string | null }, at: Instant): Promise<void> {
  await SET_PROFILE.affected(db, { identity, email: normalizeEmail(profile.email), displayName: profile.displayName, at });
}

interface DetailRow {
  identity: string;
  principal_id: string;
  email: string | null;
  display_name: string | null;
  linked_by: string;
  added_at: string | null;
  updated_at: string | null;
}

function toDetail(row: DetailRow): IdentityDetail {
  return {
    identity: row.identity, principalId: row.principal_id, email: row.email, displayName: row.display_name,
    linkedBy: row.linked_by as LinkMethod, addedAt: row.added_at, updatedAt: row.updated_at,
  };
}

const DETAIL_COLUMNS = ['identity', 'principal_id', 'email', 'display_name', 'linked_by', 'added_at', 'updated_at'] as const;

export async function listIdentityDetails(db: Db, principalIds: string[]): Promise<IdentityDetail[]> {
  const details: IdentityDetail[] = [];
  for (const batch of batches([...new Set(principalIds)])) {
    const rows = await db.selectFrom('principal_identities').select(DETAIL_COLUMNS).where('principal_id', 'in', batch)
      .orderBy('principal_id').orderBy('position').orderBy('identity').execute();
    details.push(...rows.map(toDetail));
  }
  return details;
}

/** Identities added, moved or re-verified at or after `since`, oldest change first. */
export async function listIdentitiesChangedSince(db: Db, since: Instant): Promise<IdentityDetail[]> {
  const rows = await db.selectFrom('principal_identities').select(DETAIL_COLUMNS).where('updated_at', '>=', since)
    .orderBy('updated_at').execute();
  return rows.map(toDetail);
}

/** Verified addresses held by identities of more than one principal. */
export async function listSharedEmails(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('principal_identities').select('email').where('email', 'is not', null)
    .groupBy('email').having((eb) => eb.fn.count('principal_id').distinct(), '>', 1).execute();
  return rows.map((row) => row.email!);
}

export async function listGroupIdsOf(db: Db, principalId: string): Promise<string[]> {
  return (await db.selectFrom('group_members').select('group_id').where('principal_id', '=', principalId).execute()).map((row) => row.group_id);
}

/** Principals with at least one identity, by id. */
export async function listPrincipals(db: Db, limit: number): Promise<Principal[]> {
  const ids = (await db.selectFrom('principal_identities').select('principal_id').distinct().orderBy('principal_id').limit(limit).execute())
    .map((row) => row.principal_id);
  return getPrincipals(db, ids);
}
