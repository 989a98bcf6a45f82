import { sql, type Kysely } from 'kysely';

/**
 * Identity you can trust (DESIGN rule 9):
 * - each identity keeps what its pinned platform vouched for (verified address, display name) and
 *   how it came to its principal; `updated_at` lets every instance's check index learn links;
 * - requests, decisions and audit records name the account that acted, so people are compared as
 *   people and a record still says which account acted after identities are linked;
 * - one-time link codes (only their hash) and failed attempts to use one;
 * - fingerprints of Slack requests already seen, so a replayed signed request is refused on every instance;
 * - one pending request per person and target, held by the database: two instances (or a
 *   platform's retry racing the first attempt) creating the same request at once is a write
 *   conflict whose loser finds the winner's request. Duplicates an earlier version let through
 *   are closed first (all but the oldest), noted in their decision comment.
 * Addresses stored on principals before this migration came from unpinned platforms too: they are
 * not carried over as verified (each identity's address is filled in when its platform is next seen).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('principal_identities').addColumn('email', 'text').execute();
  await db.schema.alterTable('principal_identities').addColumn('display_name', 'text').execute();
  await db.schema.alterTable('principal_identities').addColumn('linked_by', 'text', (c) => c.notNull().defaultTo('first sight')).execute();
  await db.schema.alterTable('principal_identities').addColumn('updated_at', 'text').execute();
  await db.schema.createIndex('principal_identities_email').on('principal_identities').column('email').execute();
  await db.schema.createIndex('principal_identities_updated').on('principal_identities').column('updated_at').execute();

  await db.schema.alterTable('requests').addColumn('requester_identity', 'text').execute();
  await db.schema.alterTable('decisions').addColumn('approver_identity', 'text').execute();
  await db.schema.alterTable('audit_log').addColumn('actor_identity', 'text').execute();

  await sql`update requests set status = 'cancelled', decided_at = created_at,
    decision_comment = 'closed by the upgrade to one pending request per person and target (a duplicate)'
    where status = 'pending' and change_json is null and exists (
      select 1 from requests older where older.status = 'pending' and older.change_json is null
        and older.requester_id = requests.requester_id and older.target_key = requests.target_key
        and (older.created_at < requests.created_at or (older.created_at = requests.created_at and older.id < requests.id)))`.execute(db);
  await db.schema.createIndex('requests_one_pending').unique().on('requests').columns(['requester_id', 'target_key'])
    .where(sql.ref('status'), '=', sql.lit('pending')).where(sql.ref('change_json'), 'is', null).execute();

  await db.schema.createTable('link_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('link_codes_identity').on('link_codes').columns(['identity', 'created_at']).execute();

  await db.schema.createTable('link_attempts')
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('link_attempts_identity').on('link_attempts').columns(['identity', 'at']).execute();

  await db.schema.createTable('seen_requests')
    .addColumn('fingerprint', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('seen_requests_expiry').on('seen_requests').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('requests_one_pending').execute();
  await db.schema.dropTable('seen_requests').execute();
  await db.schema.dropTable('link_attempts').execute();
  await db.schema.dropTable('link_codes').execute();
  await db.schema.dropIndex('principal_identities_updated').execute();
  await db.schema.dropIndex('principal_identities_email').execute();
  for (const column of ['updated_at', 'linked_by', 'display_name', 'email']) {
    await db.schema.alterTable('principal_identities').dropColumn(column).execute();
  }
  await db.schema.alterTable('requests').dropColumn('requester_identity').execute();
  await db.schema.alterTable('decisions').dropColumn('approver_identity').execute();
  await db.schema.alterTable('audit_log').dropColumn('actor_identity').execute();
}
