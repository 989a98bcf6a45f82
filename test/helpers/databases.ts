import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/database.js';
import { KyselyStore, type StoreDialect } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';
import { openSqlite } from '../../src/store/sqlite.js';
import type { Clock } from '../../src/core/ports.js';

/** The PostgreSQL the suites use: ELEVATE_TEST_POSTGRES_URL, or the machine's own (trust auth). */
export const POSTGRES_URL = process.env.ELEVATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** With ELEVATE_REQUIRE_POSTGRES=1 (CI), an unreachable PostgreSQL fails the suites instead of skipping them. */
const REQUIRED = process.env.ELEVATE_REQUIRE_POSTGRES === '1';
// Connections per test pool: several test files run at once and PostgreSQL allows 100 in all.
export const TEST_POOL_SIZE = 4;

let reachable: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL answers; otherwise why not. */
function probe(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      return (error as Error).message || String(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/**
 * The databases to run a suite on: always SQLite; PostgreSQL when reachable at POSTGRES_URL.
 * Unreachable: a warning naming the URL and the suites are skipped, unless ELEVATE_REQUIRE_POSTGRES=1,
 * which throws. Use with top-level await and `describe.each`.
 */
export async function databases(): Promise<StoreDialect[]> {
  const problem = await probe();
  if (problem === undefined) return ['sqlite', 'postgres'];
  if (REQUIRED) throw new Error(`ELEVATE_REQUIRE_POSTGRES=1 but PostgreSQL at ${POSTGRES_URL} is unreachable: ${problem}`);
  warnOnce(`PostgreSQL suites skipped: ${POSTGRES_URL} is unreachable (${problem}). Set ELEVATE_TEST_POSTGRES_URL, or ELEVATE_REQUIRE_POSTGRES=1 to fail instead.`);
  return ['sqlite'];
}

/** True when the PostgreSQL suites run (see `databases`). */
export async function postgresAvailable(): Promise<boolean> {
  return (await databases()).includes('postgres');
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  console.warn(message);
}

/**
 * A fresh schema of its own on the test PostgreSQL. `drop` is kept for the callers' symmetry but
 * does nothing: the run's schemas are dropped together when the run ends (test/global-setup.ts).
 */
export interface TestSchema {
  schema: string;
  /** POSTGRES_URL with `search_path` set to the schema (for DATABASE_URL). */
  url: string;
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const schema = `elevate_test_${inject('testRun')}_${randomBytes(6).toString('hex')}`;
  await admin(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, url: url.toString(), drop: async () => undefined };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A database for one test: its Kysely instance, the DATABASE_URL that reaches it, and `close` (which removes it). */
export interface TestDatabase {
  kind: StoreDialect;
  db: Kysely<Database>;
  url: string;
  /** Opens another pool on the same database (as a second instance would). */
  openAnother(): Kysely<Database>;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database of `kind`: SQLite in memory (or at `sqlitePath`), or PostgreSQL in
 * a schema of its own that `close` drops.
 */
export async function openTestDatabase(kind: StoreDialect, options: { sqlitePath?: string } = {}): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const path = options.sqlitePath ?? ':memory:';
    const db = openSqlite(path);
    await migrateToLatest(db);
    return { kind, db, url: path, openAnother: () => openSqlite(path), close: () => db.destroy() };
  }
  const test = await createTestSchema();
  const others: Array<Kysely<Database>> = [];
  const db = openPostgres(POSTGRES_URL, { schema: test.schema, poolSize: TEST_POOL_SIZE });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    await test.drop();
    throw error;
  }
  return {
    kind, db, url: test.url,
    openAnother: () => {
      const another = openPostgres(POSTGRES_URL, { schema: test.schema, poolSize: TEST_POOL_SIZE });
      others.push(another);
      return another;
    },
    close: async () => {
      for (const other of others) await other.destroy();
      await db.destroy();
      await test.drop();
    },
  };
}

/**
 * One migrated PostgreSQL schema for a whole test file, emptied before each use: creating and
 * migrating a schema costs about half a second, emptying its tables a few milliseconds.
 * `fresh()` gives an empty database; call `drop()` once after all tests (afterAll).
 */
export function reusedPostgres() {
  let opened: Promise<TestDatabase> | undefined;
  return {
    async fresh(): Promise<Kysely<Database>> {
      if (!opened) {
        opened = openTestDatabase('postgres');
        return (await opened).db;
      }
      const { db } = await opened;
      await emptyTables(db);
      return db;
    },
    async drop(): Promise<void> {
      if (opened) await (await opened).close();
      opened = undefined;
    },
  };
}

/** Empties every table of the current schema but Kysely's own, as migrations left it. */
async function emptyTables(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ name: string }>`select tablename as name from pg_tables
    where schemaname = current_schema() and tablename not like 'kysely_%'`.execute(db);
  await sql.raw(`truncate table ${rows.map((r) => `"${r.name}"`).join(', ')} restart identity`).execute(db);
  await db.insertInto('audit_head').values({ id: 1, seq: 0, hash: '' }).execute();
}

/** A store on a fresh test database. */
export async function openTestStore(kind: StoreDialect, options: { clock?: Clock } = {}) {
  const database = await openTestDatabase(kind);
  return { ...database, store: new KyselyStore(database.db, kind, { clock: options.clock }) };
}
