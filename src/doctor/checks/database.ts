import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { migrations } from '../../../migrations/index.js';
import { describeDatabase, isPostgresUrl } from '../../main.js';
import type { Database } from '../../store/database.js';
import { KyselyStore } from '../../store/kysely-store.js';
import { pendingMigrations } from '../../store/migrate.js';
import { openSqlite } from '../../store/sqlite.js';
import { fail, ok, reason, skip, warn, type CheckResult, type Check, type DoctorContext, NETWORK_TIMEOUT_MS } from '../doctor.js';

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${NETWORK_TIMEOUT_MS / 1000} s`)), NETWORK_TIMEOUT_MS);
  })]).finally(() => clearTimeout(timer));
}

/** Names of the migrations the database has applied (none when it was never migrated). */
async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return rows.map((r) => r.name);
  } catch {
    return [];
  }
}

/** SQLite files readable beyond their owner: the database holds the audit log and people's reasons. */
function fileModes(path: string): CheckResult {
  const exposed: string[] = [];
  let worst: 'group' | 'others' | null = null;
  for (const file of [dirname(path), path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) exposed.push(`${file} (${mode.toString(8)})`);
    if (mode & 0o007) worst = 'others';
    else if (mode & 0o070 && worst === null) worst = 'group';
  }
  if (exposed.length === 0) return ok('database files', 'only their owner may read them (folder 700, files 600)');
  const fix = `chmod 700 ${dirname(path)} && chmod 600 ${path}*`;
  return worst === 'others'
    ? fail('database files', `readable by other users: ${exposed.join(', ')}`, fix)
    : warn('database files', `readable by the group: ${exposed.join(', ')}`, fix);
}

async function openForChecks(ctx: DoctorContext, url: string): Promise<Kysely<Database>> {
  const db = isPostgresUrl(url)
    ? (await import('../../store/postgres.js')).openPostgres(url, { poolSize: 1 })
    : openSqlite(url.replace(/^sqlite:(\/\/)?/i, ''));
  ctx.cleanups.push(() => db.destroy());
  return db;
}

/**
 * The database: reachable, migrations current (never applied here: the doctor changes nothing),
 * SQLite files private to their owner. Leaves `ctx.store` for the checks that read Elevate's data.
 */
export const databaseCheck: Check = {
  name: 'database',
  async run(ctx) {
    if (!ctx.config) return [skip('database', 'needs a valid configuration')];
    const url = ctx.config.DATABASE_URL;
    const postgres = isPostgresUrl(url);
    const where = describeDatabase(url);
    const results: CheckResult[] = [];
    if (!postgres) {
      const path = resolve(url.replace(/^sqlite:(\/\/)?/i, ''));
      if (!existsSync(path)) {
        return [warn('database', `no SQLite database at ${path} yet`, 'start Elevate (npm start / elevate serve) or run elevate migrate: either creates it')];
      }
      results.push(fileModes(path));
    }
    let db: Kysely<Database>;
    try {
      db = await openForChecks(ctx, url);
      const started = ctx.now();
      const { rows } = await withTimeout(sql<{ now: string | Date }>`select ${sql.raw(postgres ? 'now()' : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")} as now`.execute(db));
      if (postgres && rows[0]) ctx.peerClocks.set('PostgreSQL', new Date(rows[0].now).getTime() - (started + ctx.now()) / 2);
    } catch (error) {
      return [fail('database', `cannot reach ${postgres ? 'PostgreSQL' : 'SQLite'} at ${where} (DATABASE_URL): ${reason(error)}`,
        postgres ? 'check DATABASE_URL (host, port, user, password, database) and that PostgreSQL accepts connections from this host' : 'check DATABASE_URL and the file\'s owner and permissions'), ...results];
    }
    results.unshift(ok('database', `${postgres ? 'PostgreSQL' : 'SQLite'} at ${where} answers`));
    const known = Object.keys(migrations);
    const unknown = (await appliedMigrations(db)).filter((name) => !known.includes(name));
    const pending = await pendingMigrations(db);
    if (unknown.length > 0) {
      results.push(fail('database migrations', `the database has migrations this version of Elevate does not know (${unknown.join(', ')}): a newer Elevate used it`,
        'run that newer version, or restore the backup taken before the upgrade (README, "Upgrades")'));
    } else if (pending.length > 0) {
      results.push(fail('database migrations', `${pending.length} of ${known.length} not applied: ${pending.join(', ')}`, 'run elevate migrate (elevate serve applies them at start)'));
    } else {
      results.push(ok('database migrations', `all ${known.length} applied`));
      ctx.db = db;
      ctx.store = new KyselyStore(db, postgres ? 'postgres' : 'sqlite');
    }
    return results;
  },
};
