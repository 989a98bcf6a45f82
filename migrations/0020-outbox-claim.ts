import type { Kysely } from 'kysely';

/**
 * Outbox: claims and homes.
 *
 * The outbox claim reads only the head of each channel's queue (src/store/outbox.ts): it skips
 * from one pending channel key to the next and reads a few deliveries from each channel's first
 * one. Both need the pending deliveries ordered by channel key, then id; the platform, which the
 * channel key already starts with, no longer sits between them (index `outbox_channel`).
 *
 * `principal_identities.home_opened_at`: when the account first opened its home view (Slack's
 * App Home). Only those accounts get their home published again through the outbox when
 * something on it changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('outbox_pending_channel').on('outbox').columns(['status', 'channel_key', 'id']).execute();
  await db.schema.dropIndex('outbox_channel').execute();
  await db.schema.alterTable('principal_identities').addColumn('home_opened_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('principal_identities').dropColumn('home_opened_at').execute();
  await db.schema.createIndex('outbox_channel').on('outbox').columns(['status', 'platform', 'channel_key', 'id']).execute();
  await db.schema.dropIndex('outbox_pending_channel').execute();
}
