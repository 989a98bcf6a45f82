import type { Insertable } from 'kysely';
import type { Principal } from '../core/model.js';
import type { Instant } from '../core/time.js';
import type { Db, PrincipalIdentitiesTable, PrincipalsTable } from './database.js';
import { queryTemplate } from './query-templates.js';
import { batches } from './rows.js';

/** A principal row joined with one of its identities (null when it has none). */
interface JoinedRow {
  id: string;
  display_name: string | null;
  email: string | null;
  identity: string | null;
}

/** Folds joined rows (ordered by principal, then identity position) into principals. */
function fold(rows: JoinedRow[]): Map<string, Principal> {
  const principals = new Map<string, Principal>();
  for (const row of rows) {
    let principal = principals.get(row.id);
    if (!principal) {
      principal = { id: row.id, displayName: row.display_name, email: row.email, identities: [] };
      principals.set(row.id, principal);
    }
    if (row.identity !== null) principal.identities.push(row.identity);
  }
  return principals;
}

/** Principals with their identities in one query, ordered for `fold`. */
function selectJoined(db: Db) {
  return db.selectFrom('principals as p')
    .leftJoin('principal_identities as i', 'i.principal_id', 'p.id')
    .select(['p.id', 'p.display_name', 'p.email', 'i.identity'])
    .orderBy('p.id').orderBy('i.position').orderBy('i.added_at').orderBy('i.identity');
}

const BY_ID = queryTemplate((db, a: { id: string }) => selectJoined(db).where('p.id', '=', a.id));
const BY_IDS = queryTemplate((db, a: { ids: string[] }) => selectJoined(db).where('p.id', 'in', a.ids));
const BY_IDENTITY = queryTemplate((db, a: { identity: string }) => selectJoined(db)
  .where('p.id', '=', (eb) => eb.selectFrom('principal_identities').select('principal_id').where('identity', '=', a.identity)));
const BY_EMAIL = queryTemplate((db, a: { email: string }) => selectJoined(db).where('p.email', '=', a.email));

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

/** Emails are compared lower-cased. With several principals on one email, the lowest id wins. */
export async function findPrincipalByEmail(db: Db, email: string): Promise<Principal | undefined> {
  return fold(await BY_EMAIL.rows(db, { email: email.trim().toLowerCase() })).values().next().value;
}

function normalizeEmail(email: string | null): string | null {
  return email === null ? null : email.trim().toLowerCase();
}

const INSERT = queryTemplate((db, a: { row: PrincipalsTable }) => db.insertInto('principals').values(a.row));
const INSERT_IDENTITIES = queryTemplate((db, a: { rows: Insertable<PrincipalIdentitiesTable>[] }) =>
  db.insertInto('principal_identities').values(a.rows));

/** Throws (primary key) when the id, or one of the identities, is taken. */
export async function insertPrincipal(db: Db, principal: Principal, now: Instant | null): Promise<void> {
  await INSERT.affected(db, {
    row: { id: principal.id, display_name: principal.displayName, email: normalizeEmail(principal.email), created_at: now },
  });
  for (const batch of batches(principal.identities.map((identity, position) => ({
    identity, principal_id: principal.id, position, added_at: now,
  })))) {
    await INSERT_IDENTITIES.affected(db, { rows: batch });
  }
}

const IDENTITY_ROWS = queryTemplate((db, a: { identity: string; principalId: string }) => db
  .selectFrom('principal_identities').select(['identity', 'principal_id', 'position'])
  .where((eb) => eb.or([eb('identity', '=', a.identity), eb('principal_id', '=', a.principalId)])));

/**
 * Adds an identity after the principal's others. No-op when the principal already has it;
 * throws when another principal has it (identities are unique).
 */
export async function addIdentity(db: Db, principalId: string, identity: string, now: Instant | null): Promise<void> {
  const rows = await IDENTITY_ROWS.rows(db, { identity, principalId });
  const owner = rows.find((row) => row.identity === identity);
  if (owner?.principal_id === principalId) return;
  if (owner) throw new Error(`identity ${identity} already belongs to principal ${owner.principal_id}`);
  const position = rows.reduce((max, row) => Math.max(max, Number(row.position)), -1) + 1;
  await INSERT_IDENTITIES.affected(db, { rows: [{ identity, principal_id: principalId, position, added_at: now }] });
}

const UPDATE_PROFILE = queryTemplate((db, a: { id: string; displayName: string | null; email: string | null }) =>
  db.updateTable('principals').set({ display_name: a.displayName, email: a.email }).where('id', '=', a.id));

/** Emails are stored lower-cased. */
export async function updatePrincipalProfile(
  db: Db,
  id: string,
  profile: { displayName: string | null; email: string | null },
): Promise<void> {
  await UPDATE_PROFILE.affected(db, { id, displayName: profile.displayName, email: normalizeEmail(profile.email) });
}
