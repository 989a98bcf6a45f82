import type { Kysely } from 'kysely';

/**
 * Access reviews (issue 16): campaigns, and one item per member of each group under review with
 * the reviewer's decision. Decisions are compare-and-set on `decision is null`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('review_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('unanswered', 'text', (c) => c.notNull())
    .addColumn('every_seconds', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('remind_at', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    .addColumn('closes_at', 'text', (c) => c.notNull())
    .addColumn('reminded_at', 'text')
    .addColumn('escalated_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('next_started', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('review_campaigns_by_status').on('review_campaigns').columns(['status', 'started_at']).execute();
  await db.schema.createTable('review_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('group_name', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('member', 'text', (c) => c.notNull())
    .addColumn('reviewer_group', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('platform_group', 'text')
    .addColumn('decision', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('decided_origin', 'text')
    .addColumn('outcome', 'text')
    .addColumn('note', 'text')
    .execute();
  await db.schema.createIndex('review_items_by_campaign').on('review_items').columns(['campaign_id', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('review_items').execute();
  await db.schema.dropTable('review_campaigns').execute();
}
