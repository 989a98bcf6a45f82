import type { Kysely } from 'kysely';

/**
 * Scheduled windows (issue 15): a request may name its window's start (`requests.starts_at`);
 * the grant made on approval waits in status `scheduled` until then. The scheduler finds the
 * grants due to start by status and start time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('requests').addColumn('starts_at', 'text').execute();
  await db.schema.createIndex('grants_status_starts').on('grants').columns(['status', 'starts_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('grants_status_starts').execute();
  await db.schema.alterTable('requests').dropColumn('starts_at').execute();
}
