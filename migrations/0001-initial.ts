import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * The initial schema. Portable between SQLite and PostgreSQL (house rule 7): timestamps are
 * ISO-8601 UTC text made in code, flags are 0/1 integers, JSON is text. The one dialect branch
 * is `autoIncrementId` below: SQLite and PostgreSQL spell a generated integer key differently.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's types
type AnyDb = Kysely<any>;

/** The one dialect branch: a generated integer key is `serial` on PostgreSQL, `integer primary key autoincrement` on SQLite. */
function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: AnyDb): Promise<void> {
  await db.schema.createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('principals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text')
    .addColumn('email', 'text')
    .addColumn('created_at', 'text')
    .execute();
  await db.schema.createIndex('principals_email').on('principals').column('email').execute();

  await db.schema.createTable('principal_identities')
    .addColumn('identity', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    // Order in which identities were added (identities[0] is the first one); ties, e.g. rows
    // bulk-loaded without a position, fall back to added_at.
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('added_at', 'text')
    .execute();
  await db.schema.createIndex('principal_identities_principal').on('principal_identities')
    .columns(['principal_id', 'position']).execute();

  await db.schema.createTable('groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('directory_ref', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('group_members')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'principal_id'])
    .execute();
  await db.schema.createIndex('group_members_principal').on('group_members').column('principal_id').execute();

  await db.schema.createTable('policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('target_key', 'text', (c) => c.notNull().unique())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_scope', 'text', (c) => c.notNull())
    .addColumn('target_name', 'text', (c) => c.notNull())
    .addColumn('approval', 'text', (c) => c.notNull())
    .addColumn('approver_group_id', 'text')
    .addColumn('approvals_required', 'integer', (c) => c.notNull())
    .addColumn('default_duration_seconds', 'integer', (c) => c.notNull())
    .addColumn('max_duration_seconds', 'integer')
    .addColumn('reason_required', 'integer', (c) => c.notNull())
    .addColumn('reason_pattern', 'text')
    .addColumn('reason_hint', 'text')
    .addColumn('eligible_group_id', 'text')
    .addColumn('escalation_group_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('requester_id', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_scope', 'text', (c) => c.notNull())
    .addColumn('target_name', 'text', (c) => c.notNull())
    .addColumn('duration_seconds', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('ticket', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decision_comment', 'text')
    .addColumn('approvals_required', 'integer', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('change_json', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('reminded_at', 'text')
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('requests_status_deadline').on('requests').columns(['status', 'deadline_at']).execute();
  await db.schema.createIndex('requests_requester_target').on('requests')
    .columns(['requester_id', 'target_key', 'status']).execute();
  await db.schema.createIndex('requests_created').on('requests').column('created_at').execute();
  await db.schema.createIndex('requests_policy').on('requests').column('policy_id').execute();

  await db.schema.createTable('decisions')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('approver_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('decisions_pk', ['request_id', 'approver_id'])
    .execute();

  await db.schema.createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_scope', 'text', (c) => c.notNull())
    .addColumn('target_name', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('ended_by', 'text')
    .addColumn('end_comment', 'text')
    .addColumn('expiry_notice_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('grants_status_ends').on('grants').columns(['status', 'ends_at']).execute();
  await db.schema.createIndex('grants_principal_target').on('grants')
    .columns(['principal_id', 'target_key', 'status']).execute();
  await db.schema.createIndex('grants_updated').on('grants').column('updated_at').execute();

  await db.schema.createTable('audit_log')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  for (const column of ['at', 'actor', 'subject', 'action']) {
    await db.schema.createIndex(`audit_log_${column}`).on('audit_log').column(column).execute();
  }

  // One row (id = 1): the last record of the chain. seq 0 means the chain is empty.
  await db.schema.createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.insertInto('audit_head').values({ id: 1, seq: 0, hash: '' }).execute();

  await db.schema.createTable('cards')
    .addColumn('card_key', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('card_json', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();

  await db.schema.createTable('outbox')
    .addColumn('id', isPostgres(db) ? 'serial' : 'integer', (c) =>
      isPostgres(db) ? c.primaryKey() : c.primaryKey().autoIncrement())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('channel_key', 'text', (c) => c.notNull())
    .addColumn('destination_json', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('card_key', 'text')
    .addColumn('card_json', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  await db.schema.createIndex('outbox_channel').on('outbox')
    .columns(['status', 'platform', 'channel_key', 'id']).execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();

  await db.schema.createTable('message_refs')
    .addColumn('card_key', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('channel_key', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text')
    .addPrimaryKeyConstraint('message_refs_pk', ['card_key', 'platform', 'channel_key'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'message_refs', 'outbox', 'cards', 'audit_head', 'audit_log', 'grants', 'decisions', 'requests',
    'policies', 'group_members', 'groups', 'principal_identities', 'principals', 'settings',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
