import { sql, type Kysely } from 'kysely';
import type { OutboxDispatcher } from '../delivery/dispatcher.js';
import type { Database } from '../store/database.js';
import { pendingMigrations } from '../store/migrate.js';

// The dispatcher's loop goes round every few hundred ms when idle; a paced pass may take a while,
// but one that has not come back for this long is stuck.
const DISPATCHER_STALL_MS = 120_000;
const DATABASE_TIMEOUT_MS = 2000;

export interface Readiness {
  ready: boolean;
  checks: { database: string; migrations: string; dispatcher: string; shutdown?: string };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** Whether this instance should get traffic: database reachable, schema current, dispatcher alive, not stopping. */
export async function checkReadiness(options: { db: Kysely<Database>; dispatcher: OutboxDispatcher; stopping: boolean; now?: number }): Promise<Readiness> {
  const checks: Readiness['checks'] = { database: 'ok', migrations: 'ok', dispatcher: 'ok' };
  try {
    await withTimeout(sql`select 1`.execute(options.db), DATABASE_TIMEOUT_MS, 'the database');
    const pending = await withTimeout(pendingMigrations(options.db), DATABASE_TIMEOUT_MS, 'the database');
    if (pending.length > 0) checks.migrations = `not applied: ${pending.join(', ')}`;
  } catch (error) {
    checks.database = `unreachable: ${(error as Error).message}`;
    checks.migrations = 'unknown';
  }
  const loop = options.dispatcher.lastLoopAt;
  if (loop === undefined || (options.now ?? Date.now()) - loop > DISPATCHER_STALL_MS) {
    checks.dispatcher = loop === undefined ? 'not started' : `stalled: no pass for ${Math.round(((options.now ?? Date.now()) - loop) / 1000)} s`;
  }
  if (options.stopping) checks.shutdown = 'shutting down';
  const ready = checks.database === 'ok' && checks.migrations === 'ok' && checks.dispatcher === 'ok' && !options.stopping;
  return { ready, checks };
}
