import type { Kysely } from 'kysely';

/**
 * Where Elevate can reach people and channels proactively on platforms that need a stored
 * conversation (Microsoft Teams): one row per user identity, plus channels such as the audit feed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('conversation_refs')
    .addColumn('ref_key', 'text', (c) => c.primaryKey())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('service_url', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('platform_user_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('conversation_refs').execute();
}
