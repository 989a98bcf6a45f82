import type { Kysely } from 'kysely';

/**
 * Reminders repeat: each pending request counts the reminders sent (the escalation group joins
 * after ELEVATE_ESCALATE_AFTER of them); `reminded_at` is the last one's time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('requests').addColumn('reminders_sent', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('requests').dropColumn('reminders_sent').execute();
}
