import type { Kysely } from 'kysely';

/** A policy may post its approval cards to a channel instead of, or as well as, approvers' DMs. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policies').addColumn('approvers_channel', 'text').execute();
  await db.schema.alterTable('policies').addColumn('approver_dms', 'integer', (c) => c.notNull().defaultTo(1)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policies').dropColumn('approver_dms').execute();
  await db.schema.alterTable('policies').dropColumn('approvers_channel').execute();
}
