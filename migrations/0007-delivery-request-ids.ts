import type { Kysely } from 'kysely';

/** The HTTP request that queued a delivery, so the dispatcher's log lines trace back to it. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('request_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('request_id').execute();
}
