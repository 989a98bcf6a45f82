import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite (in memory)', async () => {
  const db = openSqlite(':memory:');
  await migrateToLatest(db);
  return { store: new KyselyStore(db, 'sqlite'), close: () => db.destroy() };
});

describe('sqlite database', () => {
  it('creates the folder, uses WAL, and migrates once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-store-'));
    try {
      const db = openSqlite(join(dir, 'nested', 'elevate.db'));
      expect(await migrateToLatest(db)).toEqual(Object.keys(migrations));
      expect(await migrateToLatest(db)).toEqual([]);
      const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      expect(rows[0]?.journal_mode).toBe('wal');
      await db.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands out disjoint, in-order deliveries to instances claiming from the same file at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-store-'));
    try {
      const path = join(dir, 'elevate.db');
      const dbs = [openSqlite(path), openSqlite(path), openSqlite(path)];
      await migrateToLatest(dbs[0]!);
      const stores = dbs.map((db) => new KyselyStore(db, 'sqlite'));
      const now = '2026-11-27T09:00:00.000Z';
      await stores[0]!.transaction((tx) => tx.insertDeliveries(Array.from({ length: 60 }, (_, i) => ({
        platform: 'slack', destination: { kind: 'user' as const, identity: `slack:U${i % 6}` }, kind: 'message' as const,
        cardKey: null, card: null,
      })), now));
      const claimed = await Promise.all(stores.map((store, i) =>
        store.claimDeliveries({ platforms: ['slack'], owner: `i${i}`, now, leaseUntil: '2026-11-27T09:01:00.000Z', limit: 7 })));
      const ids = claimed.flat().map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Each instance holds, per channel, the first pending deliveries of that channel.
      const byChannel = new Map<string, number[]>();
      for (const d of claimed.flat()) byChannel.set(d.channelKey, [...(byChannel.get(d.channelKey) ?? []), d.id]);
      for (const [channel, held] of byChannel) {
        const owners = new Set(claimed.flatMap((list, i) => list.filter((d) => d.channelKey === channel).map(() => i)));
        expect(owners.size).toBe(1);
        const first = Number(channel.slice('slack:user:slack:U'.length)) + 1;
        expect(held.sort((a, b) => a - b)).toEqual(held.map((_, k) => first + 6 * k));
      }
      for (const db of dbs) await db.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sees what another connection committed to the same file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-store-'));
    try {
      const path = join(dir, 'elevate.db');
      const first = openSqlite(path);
      await migrateToLatest(first);
      const second = openSqlite(path);
      await new KyselyStore(first, 'sqlite').transaction((tx) => tx.putSettings({ pamEnabled: false, protectedConfiguration: 'on', feedConversations: { teams: '19:feed' } }));
      expect(await new KyselyStore(second, 'sqlite').read((tx) => tx.getSettings()))
        .toEqual({ pamEnabled: false, protectedConfiguration: 'on', feedConversations: { teams: '19:feed' } });
      await first.destroy();
      await second.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
