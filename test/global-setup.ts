import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Names this run's PostgreSQL test schemas (`elevate_test_<run>_…`). */
    testRun: string;
  }
}

/**
 * PostgreSQL test schemas are dropped once, after the whole run, not by each suite as it ends:
 * Kysely's migrator reads the catalog of every schema (has_schema_privilege per schema), and a
 * schema dropped by a suite finishing at that moment made another suite's migration fail with
 * "schema … does not exist". Each run drops only its own schemas.
 */
export default function setup(project: TestProject) {
  const run = randomBytes(4).toString('hex');
  project.provide('testRun', run);
  return async () => {
    const url = process.env.ELEVATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [`elevate_test_${run}_%`]);
      for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
    } catch {
      // PostgreSQL unreachable: nothing was created on it.
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}
