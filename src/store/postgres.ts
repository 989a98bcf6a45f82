import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

/** Connections per instance when DATABASE_POOL_SIZE is not set. */
export const DEFAULT_POOL_SIZE = 10;

// PostgreSQL type OIDs whose text form the store wants as JavaScript numbers: int8 (count(*),
// sum of integers) and numeric. The store's values stay far below 2^53.
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Type parsers of this pool only (the `pg` module's global parsers stay untouched): int8 and
 * numeric become numbers, so counts read the same as on SQLite.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresOptions {
  /** Most connections the pool opens (DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** Schema to work in (`search_path`), e.g. a test's own schema; the server's default otherwise. */
  schema?: string;
}

// Store queries take milliseconds; one still running after this long is stuck (a lock wait on a
// dead peer, a dropped connection): failing it lets the work be retried.
const QUERY_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a PostgreSQL database for the store through a `pg` pool. Nothing connects until the first
 * query. `db.destroy()` closes the pool.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    types,
    // A connection dropped silently (NAT, failover) must fail its query rather than hang a
    // scheduler pass or a dispatcher claim (and the lease renewed meanwhile) forever.
    keepAlive: true,
    query_timeout: QUERY_TIMEOUT_MS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...(options.schema ? { options: `-c search_path=${quoteIdentifier(options.schema)}` } : {}),
  });
  // An idle client losing its connection (server restart) emits 'error' on the pool; without a
  // listener that would end the process. The pool drops the client and opens a new one when needed.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid schema name ${JSON.stringify(name)}`);
  return name;
}
