import { sql, type Kysely } from 'kysely';

/**
 * Provisioning hooks: the hook a policy names, and on each grant the hook it started with and
 * its progress (ISO text times, null until it happens). The hooks themselves are defined in
 * the server configuration (ELEVATE_HOOKS), never in the database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policies').addColumn('hook', 'text').execute();
  await db.schema.alterTable('grants').addColumn('hook', 'text').execute();
  await db.schema.alterTable('grants').addColumn('hook_started_at', 'text').execute();
  await db.schema.alterTable('grants').addColumn('hook_ended_at', 'text').execute();
  await db.schema.alterTable('grants').addColumn('hook_alerted_at', 'text').execute();
  // Ended grants whose end hook has not succeeded are still held outside Elevate (effective holders).
  await db.schema.createIndex('grants_hook_pending').on('grants').column('hook').where(sql.ref('hook'), 'is not', null).where(sql.ref('hook_ended_at'), 'is', null).execute();

}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('grants_hook_pending').execute();
  for (const column of ['hook_alerted_at', 'hook_ended_at', 'hook_started_at', 'hook']) {
    await db.schema.alterTable('grants').dropColumn(column).execute();
  }
  await db.schema.alterTable('policies').dropColumn('hook').execute();
}
