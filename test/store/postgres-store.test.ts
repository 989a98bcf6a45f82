import { afterAll, describe, expect, it } from 'vitest';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';
import { createTestSchema, openTestDatabase, POSTGRES_URL, postgresAvailable, reusedPostgres } from '../helpers/databases.js';
import { at, T0 } from './fixtures.js';
import { describeStoreContract } from './store-contract.js';

const available = await postgresAvailable();

describe.runIf(available)('postgres', () => {
  const shared = reusedPostgres();
  afterAll(() => shared.drop());
  describeStoreContract('postgres', async () => ({ store: new KyselyStore(await shared.fresh(), 'postgres'), close: async () => {} }));

  describe('postgres database', () => {
    it('several instances draining one outbox send each delivery once, each channel in order', async () => {
      const database = await openTestDatabase('postgres');
      try {
        const stores = [database.db, database.openAnother(), database.openAnother()].map((db) => new KyselyStore(db, 'postgres'));
        const channels = 6;
        await stores[0]!.transaction((tx) => tx.insertDeliveries(Array.from({ length: 120 }, (_, i) => ({
          platform: 'slack', destination: { kind: 'user' as const, identity: `slack:U${i % channels}` }, kind: 'message' as const,
          cardKey: null, card: null,
        })), T0));
        const sent: Array<{ id: number; channel: string; owner: string }> = [];
        await Promise.all(stores.map(async (store, i) => {
          const owner = `instance-${i}`;
          for (;;) {
            const claimed = await store.claimDeliveries({ platforms: ['slack'], owner, now: T0, leaseUntil: at(60), limit: 7 });
            if (claimed.length === 0) {
              if ((await store.outboxStats(T0)).pending === 0) return;
              await new Promise((resolve) => setTimeout(resolve, 5));
              continue;
            }
            for (const delivery of claimed) {
              // "Sending" happens while the lease is held, before it is marked done.
              sent.push({ id: delivery.id, channel: delivery.channelKey, owner });
              expect(await store.completeDelivery(delivery.id, owner, T0)).toBe(true);
            }
          }
        }));
        expect(sent.map((d) => d.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
        for (let c = 0; c < channels; c++) {
          const ids = sent.filter((d) => d.channel === `slack:user:slack:U${c}`).map((d) => d.id);
          expect(ids).toEqual([...ids].sort((x, y) => x - y));
        }
        // The work was shared (three pools each claimed some).
        expect(new Set(sent.map((d) => d.owner)).size).toBeGreaterThan(1);
      } finally {
        await database.close();
      }
    });

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
