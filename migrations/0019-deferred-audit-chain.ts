import { PostgresAdapter, sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's types
type AnyDb = Kysely<any>;

/**
 * The deferred audit chain (issue 17): on PostgreSQL a change writes its audit records to
 * `audit_pending`, unchained, under one ordering number `ord` taken from the sequence
 * `audit_order` as its last statement before commit (`idx` orders its own records); the chainer
 * (src/store/audit-chainer.ts) later moves them into `audit_log` in (ord, idx) order, numbered and
 * hashed. SQLite has one writer and chains inline: the table is created there too (one schema)
 * but stays empty. The sequence is the one PostgreSQL-only object.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.createTable('audit_pending')
    .addColumn('ord', 'bigint', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_identity', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('mac', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_pending_pk', ['ord', 'idx'])
    .execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`create sequence if not exists audit_order`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`drop sequence if exists audit_order`.execute(db);
  await db.schema.dropTable('audit_pending').execute();
}
