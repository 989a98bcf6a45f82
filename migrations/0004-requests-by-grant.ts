import type { Kysely } from 'kysely';

/** A grant's requests (the first and its extensions) are looked up when the grant ends. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('requests_grant_id').on('requests').column('grant_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('requests_grant_id').execute();
}
