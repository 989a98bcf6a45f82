import type { Kysely } from 'kysely';

/**
 * For several instances on one database:
 * - `leases`: named leases (the scheduler's pass) that one instance holds until `lease_until`;
 *   an instance that crashed loses its lease when that time passes.
 * - `outbox_channels`: when the next message may go to a channel, so the per-channel pace holds
 *   whichever instance sends next.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text')
    .addColumn('lease_until', 'text')
    .execute();
  await db.schema.createTable('outbox_channels')
    .addColumn('channel_key', 'text', (c) => c.primaryKey())
    .addColumn('next_send_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox_channels').execute();
  await db.schema.dropTable('leases').execute();
}
