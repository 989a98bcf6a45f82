import type { Kysely } from 'kysely';

/**
 * The web console: sessions kept server-side (any instance serves any browser), sign-ins in
 * progress (the OpenID Connect state, nonce and PKCE verifier between the redirect to the
 * identity provider and its answer), and the step-up flag of policies. Session and sign-in rows
 * are found by the SHA-256 of the browser cookie's secret, never by the secret itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policies').addColumn('approval_step_up', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // Pages list requests of one status newest first (the approvals page: pending ones), a page at a time.
  await db.schema.createIndex('requests_status_created').on('requests').columns(['status', 'created_at', 'id']).execute();
  await db.schema.createTable('web_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('auth_time', 'text', (c) => c.notNull())
    .addColumn('acr', 'text')
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('web_sessions_by_expiry').on('web_sessions').column('expires_at').execute();
  await db.schema.createIndex('web_sessions_by_principal').on('web_sessions').column('principal_id').execute();
  await db.schema.createTable('web_logins')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text', (c) => c.notNull())
    .addColumn('step_up', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('web_logins_by_expiry').on('web_logins').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('web_logins').execute();
  await db.schema.dropTable('web_sessions').execute();
  await db.schema.dropIndex('requests_status_created').execute();
  await db.schema.alterTable('policies').dropColumn('approval_step_up').execute();
}
