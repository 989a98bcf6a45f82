import type { Kysely } from 'kysely';

/**
 * Break-glass (issue 15): a policy may let a group grant itself access at once
 * (`policies.break_glass_*`); such requests and grants are marked (`break_glass` 0/1), and each
 * use waits for its review by the approvers in `break_glass_uses` (the scheduler finds the ones
 * due a reminder or an escalation by status and time).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policies').addColumn('break_glass_group_id', 'text').execute();
  await db.schema.alterTable('policies').addColumn('break_glass_max_duration_seconds', 'integer').execute();
  await db.schema.alterTable('policies').addColumn('break_glass_per_day', 'integer', (c) => c.notNull().defaultTo(2)).execute();
  await db.schema.alterTable('requests').addColumn('break_glass', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('grants').addColumn('break_glass', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createTable('break_glass_uses')
    .addColumn('grant_id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('target_name', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('review_due_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reviewed_at', 'text')
    .addColumn('reviewed_by', 'text')
    .addColumn('review_comment', 'text')
    .addColumn('reminded_at', 'text')
    .addColumn('reminders_sent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('escalated_at', 'text')
    .execute();
  await db.schema.createIndex('break_glass_uses_person').on('break_glass_uses').columns(['principal_id', 'policy_id', 'used_at']).execute();
  await db.schema.createIndex('break_glass_uses_status').on('break_glass_uses').columns(['status', 'review_due_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('break_glass_uses').execute();
  await db.schema.alterTable('grants').dropColumn('break_glass').execute();
  await db.schema.alterTable('requests').dropColumn('break_glass').execute();
  await db.schema.alterTable('policies').dropColumn('break_glass_per_day').execute();
  await db.schema.alterTable('policies').dropColumn('break_glass_max_duration_seconds').execute();
  await db.schema.alterTable('policies').dropColumn('break_glass_group_id').execute();
}
