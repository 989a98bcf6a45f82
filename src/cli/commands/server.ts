import { chmodSync, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Command } from 'commander';
import { CONFIG_KEYS, loadConfig } from '../../config.js';
import { InvalidInputError } from '../../core/errors.js';
import { createLogger, describeDatabase, isPostgresUrl, openDatabase, startServer } from '../../main.js';
import { keyFilePath } from '../../keys.js';
import { example } from '../contract.js';

function columns(words: readonly string[], width = 100): string {
  const lines: string[] = [];
  let line = ' ';
  for (const word of words) {
    if (line.length + word.length + 1 > width) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

export function serveCommand(): Command {
  return example(new Command('serve').description('run the server: HTTP, scheduler and outbox dispatcher')
    .addHelpText('after', `
Configuration: environment variables, or the same names as keys of a JSON file named by
ELEVATE_CONFIG (the environment wins). Every value is checked at start-up.
${columns(CONFIG_KEYS)}

What each one means and its default: README.md, section "Configuration"; every setting with an
example value: config/elevate.example.json. Check a configuration without serving: elevate doctor.`)
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config);
      const server = await startServer(config, { logger });
      // SIGTERM (an orchestrator) drains first; SIGINT (Ctrl-C at a terminal) stops at once.
      const shutdown = (signal: string) => {
        const drainSeconds = signal === 'SIGTERM' ? config.ELEVATE_SHUTDOWN_DELAY : 0;
        logger.info({ signal, drainSeconds }, drainSeconds > 0 ? 'shutting down: not ready any more, still serving while load balancers drain' : 'shutting down');
        server.beginShutdown();
        setTimeout(() => {
          server.stop().then(() => process.exit(0), (error: unknown) => { logger.error({ err: error }, 'shutdown failed'); process.exit(1); });
        }, drainSeconds * 1000);
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    }), 'PORT=8080 DATABASE_URL=/var/lib/elevate/elevate.db elevate serve', 'ELEVATE_CONFIG=/etc/elevate/elevate.json elevate serve');
}

export function migrateCommand(): Command {
  return example(new Command('migrate').description('apply database migrations (serve does it too, at start)').action(async () => {
    const config = loadConfig();
    const { db } = await openDatabase(config.DATABASE_URL, undefined, { poolSize: 1 });
    await db.destroy();
    process.stdout.write('database is up to date\n');
  }), 'DATABASE_URL=postgres://elevate@db.example.com:5432/elevate elevate migrate');
}

/**
 * `elevate backup <file>`: a consistent copy of the SQLite database while Elevate runs (SQLite's
 * online backup, through better-sqlite3), readable by its owner only. PostgreSQL is backed up
 * with pg_dump, which this command names.
 */
export function backupCommand(): Command {
  return example(new Command('backup').argument('<file>', 'where to write the copy (a new file)')
    .description('copy the SQLite database consistently while Elevate runs (PostgreSQL: use pg_dump)')
    .action(async (file: string) => {
      const config = loadConfig();
      if (isPostgresUrl(config.DATABASE_URL)) {
        throw new InvalidInputError(`DATABASE_URL is PostgreSQL (${describeDatabase(config.DATABASE_URL)}): back it up with pg_dump, e.g. pg_dump --format=custom --file elevate.dump "$DATABASE_URL" (see README, "Backup and restore")`);
      }
      const source = resolve(config.DATABASE_URL.replace(/^sqlite:(\/\/)?/i, ''));
      if (!existsSync(source)) throw new InvalidInputError(`DATABASE_URL: there is no database at ${source} to back up`);
      const target = resolve(file);
      if (existsSync(target)) throw new InvalidInputError(`${target} already exists: name a new file (a backup never overwrites one)`);
      const database = new BetterSqlite3(source, { fileMustExist: true });
      try {
        // The busy timeout lets the copy wait for a running server's write instead of failing.
        database.pragma('busy_timeout = 5000');
        await database.backup(target);
      } finally {
        database.close();
      }
      chmodSync(target, 0o600);
      const copy = new BetterSqlite3(target, { readonly: true });
      let records: number;
      try {
        const integrity = copy.pragma('integrity_check', { simple: true });
        if (integrity !== 'ok') throw new Error(`the copy at ${target} does not pass SQLite's integrity check: ${String(integrity)}`);
        records = (copy.prepare('select count(*) as n from audit_log').get() as { n: number }).n;
      } finally {
        copy.close();
      }
      const keyFile = keyFilePath({ secret: config.ELEVATE_SIGNING_KEY, file: config.ELEVATE_SIGNING_KEY_FILE, databaseUrl: config.DATABASE_URL });
      const keys = keyFile ? `the key file ${keyFile}` : 'ELEVATE_SIGNING_KEY (set in the configuration)';
      process.stdout.write(`backed up ${source} to ${target} (${records} audit records, ${Math.ceil(statSync(target).size / 1024)} KiB, mode 600)\n`
        + `Keep ${keys} with it, but apart from it: the backup holds no key, and without the keys neither signatures nor the audit log can be verified.\n`);
    }), 'elevate backup /var/backups/elevate/elevate-$(date +%F).db');
}
