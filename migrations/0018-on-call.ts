import type { Kysely } from 'kysely';

/**
 * On-call approval (issue 15): a policy's on-call schedules (`policies.on_call`, a JSON array of
 * `pagerduty:…` / `opsgenie:…`; null for policies made before, meaning none) and what the
 * on-call check found for a request (`requests.on_call`, JSON; null when none ran).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policies').addColumn('on_call', 'text').execute();
  await db.schema.alterTable('requests').addColumn('on_call', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('requests').dropColumn('on_call').execute();
  await db.schema.alterTable('policies').dropColumn('on_call').execute();
}
