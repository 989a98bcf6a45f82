import { Migrator, PostgresAdapter, sql, type Kysely, type MigrationProvider } from 'kysely';
import { migrations } from '../../migrations/index.js';

const provider: MigrationProvider = { getMigrations: async () => migrations };

// Reads of the catalog that another schema's drop interrupted: retried for about 7 s, as long as
// another test run takes to drop its schemas one after another.
const SCHEMA_RACE_RETRIES = 12;

function isOtherSchemaGone(error: unknown, ours: string | undefined): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === '3F000' && ours !== undefined && !(e.message ?? '').includes(`"${ours}"`);
}

/**
 * Brings the schema to the latest migration. Returns the names of the migrations applied now
 * (empty when already up to date). Throws an Error naming each failed migration and the cause.
 *
 * On PostgreSQL Kysely runs the migrations in one transaction holding an advisory lock, so
 * instances may start (and migrate) at once: the others wait, then find nothing left to do.
 * Its bookkeeping tables are kept in the current schema, named explicitly: Kysely looks for
 * them in every schema of the database otherwise, and would take another schema's for ours.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema may be migrated
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrationTableSchema = db.getExecutor().adapter instanceof PostgresAdapter
    ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ?? undefined
    : undefined;
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  let { error, results = [] } = await migrator.migrateToLatest();
  // Kysely looks for its bookkeeping tables by reading the catalog of every schema of the
  // database; another schema dropped during that read fails it with "schema … does not exist"
  // (SQLSTATE 3F000) although nothing of ours is wrong. Nothing was applied then: read again.
  for (let attempt = 1; attempt < SCHEMA_RACE_RETRIES && isOtherSchemaGone(error, migrationTableSchema); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    ({ error, results = [] } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results.filter((r) => r.status === 'Error').map((r) => r.migrationName);
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(
      `database migration failed${failed.length ? ` (${failed.join(', ')})` : ''}: ${cause}`,
      { cause: error },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations this code has that the database has not applied (empty: current). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema may be migrated
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const known = await new Migrator({ db, provider }).getMigrations();
  return known.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
