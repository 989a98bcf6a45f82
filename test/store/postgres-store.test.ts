import { afterAll, describe, expect, it } from 'vitest';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';
import { createTestSchema, POSTGRES_URL, postgresAvailable, reusedPostgres } from '../helpers/databases.js';
import { describeStoreContract } from './store-contract.js';

const available = await postgresAvailable();

describe.runIf(available)('postgres', () => {
  const shared = reusedPostgres();
  afterAll(() => shared.drop());
  describeStoreContract('postgres', async () => ({ store: new KyselyStore(await shared.fresh(), 'postgres'), close: async () => {} }));

  describe('postgres database', () => {
    it('migrates from several instances at once: one applies, the others find it done', async () => {
      const test = await createTestSchema();
      const dbs = Array.from({ length: 3 }, () => openPostgres(POSTGRES_URL, { schema: test.schema, poolSize: 2 }));
      try {
        const applied = await Promise.all(dbs.map((db) => migrateToLatest(db)));
        expect(applied.flat().sort()).toEqual(Object.keys(migrations).sort());
        expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
        expect(await migrateToLatest(dbs[0]!)).toEqual([]);
      } finally {
        for (const db of dbs) await db.destroy();
        await test.drop();
      }
    });
  });
});
