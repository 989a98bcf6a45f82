import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './database.js';

// How long a statement waits for another process's write lock before failing with SQLITE_BUSY.
const BUSY_TIMEOUT_MS = 5000;
// Distinct SQL texts kept prepared; `in (…)` lists of varying length make new texts, so bound it.
const STATEMENT_CACHE_SIZE = 500;

/**
 * Opens (creating it and its folder if needed) a SQLite database for the store: WAL journal,
 * `synchronous = NORMAL` (durable across process crashes; the last transactions may be lost on
 * power loss), 5 s busy timeout. `':memory:'` gives a private in-memory database (tests).
 */
export function openSqlite(path: string): Kysely<Database> {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) makeFolders(dirname(resolve(path)));
  const created = !inMemory && !existsSync(path);
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(path);
    // The audit log and people's reasons are for Elevate's user alone; SQLite gives the -wal and
    // -shm files the database file's mode.
    if (created) chmodSync(path, 0o600);
  } catch (error) {
    throw new Error(`cannot open the SQLite database ${resolve(path)}: ${(error as Error).message}`, { cause: error });
  }
  if (!inMemory) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs about as much as running a
 * small query, so keep the prepared statements of recent SQL texts (least recently used out).
 * Safe because the driver runs one statement at a time on the single connection and the store
 * never streams (an iterating statement cannot be reused until it finishes).
 */
function cachingStatements(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text) => {
      // Kysely begins transactions with a plain (deferred) `begin`: one that reads, then writes
      // while another process holds the write lock fails at once with SQLITE_BUSY, as the busy
      // timeout cannot help it. `begin immediate` takes the write lock first (waiting up to the
      // busy timeout), so processes sharing the file queue instead. In-process, transactions are
      // serialized on the one connection anyway.
      const sql = text === 'begin' ? 'begin immediate' : text;
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/**
 * Creates `folder` and its missing parents, one level at a time, readable by their owner only.
 * (Node's recursive mkdir loops forever on some paths, e.g. under /proc.) Throws naming the
 * folder that could not be made.
 */
function makeFolders(folder: string): void {
  const fail = (reason: string) => new Error(`cannot create the folder ${folder} for the SQLite database: ${reason}`);
  const missing: string[] = [];
  for (let current = folder; ;) {
    try {
      if (!statSync(current).isDirectory()) throw fail(`${current} is not a folder`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw (error as NodeJS.ErrnoException).code ? fail((error as Error).message) : error;
      missing.unshift(current);
      if (dirname(current) === current) break;
      current = dirname(current);
    }
  }
  for (const path of missing) {
    try {
      mkdirSync(path, 0o700);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fail((error as Error).message);
    }
  }
}
