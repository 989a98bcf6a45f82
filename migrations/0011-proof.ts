import type { Kysely } from 'kysely';

/**
 * Decisions and an audit log you can prove (DESIGN rule 10):
 * - requests name the policy version they were made under and, for extensions, the one grant they
 *   extend; both are signed with the rest of what the requester asked for;
 * - grants carry a signature over who holds what, when, from which request and whether it is in
 *   force (grants of earlier versions are signed once at the next start, audited);
 * - audit records carry the audit key id, the MAC of their content and (as before) the chain hash,
 *   now keyed: an earlier version's unkeyed chain is checked and re-keyed once at the next start;
 * - changed records seen, so each is alerted once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('requests').addColumn('policy_version', 'text').execute();
  await db.schema.alterTable('requests').addColumn('extends_grant_id', 'text').execute();
  await db.schema.createIndex('requests_extending').on('requests').columns(['extends_grant_id', 'status']).execute();
  await db.schema.alterTable('grants').addColumn('signature', 'text').execute();
  await db.schema.alterTable('audit_log').addColumn('key_id', 'text').execute();
  await db.schema.alterTable('audit_log').addColumn('mac', 'text').execute();
  await db.schema.createTable('integrity_violations')
    .addColumn('record_kind', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('detected_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('integrity_violations_pk', ['record_kind', 'record_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('integrity_violations').execute();
  await db.schema.alterTable('audit_log').dropColumn('mac').execute();
  await db.schema.alterTable('audit_log').dropColumn('key_id').execute();
  await db.schema.alterTable('grants').dropColumn('signature').execute();
  await db.schema.dropIndex('requests_extending').execute();
  await db.schema.alterTable('requests').dropColumn('extends_grant_id').execute();
  await db.schema.alterTable('requests').dropColumn('policy_version').execute();
}
