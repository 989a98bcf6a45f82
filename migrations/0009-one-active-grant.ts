import { sql, type Kysely } from 'kysely';

/**
 * One active grant per principal and target (a second approval extends it): what the core checks
 * before it writes, now also held by the database, so two instances racing cannot both create one.
 * The loser gets a unique violation; its change runs again (WriteConflictError) and then extends
 * the winner's grant. A partial unique index: SQLite and PostgreSQL both have them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('grants_one_active').unique().on('grants').columns(['principal_id', 'target_key'])
    .where(sql.ref('status'), '=', sql.lit('active')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('grants_one_active').execute();
}
