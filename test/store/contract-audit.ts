import { describe, expect, it } from 'vitest';
import { ChainVerifier, GENESIS_HASH, keyedRecord } from '../../src/core/audit.js';
import { keySet } from '../../src/core/keyring.js';
import { card } from '../../src/core/cards.js';
import type { AuditRecord } from '../../src/core/model.js';
import type { StoreTx } from '../../src/core/ports.js';
import { at } from './fixtures.js';
import type { CurrentStore } from './store-contract.js';

type Entry = Pick<AuditRecord, 'action' | 'subject'> & Partial<AuditRecord>;

const auditKeys = keySet([{ id: 'a-test', secret: Buffer.alloc(32, 7) }]);

/** Appends entries after the locked head, the way the core does; returns the records. */
async function append(tx: StoreTx, entries: Entry[]): Promise<AuditRecord[]> {
  const head = await tx.lockAuditHead();
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const records = entries.map((entry) => {
    seq += 1;
    const content = {
      at: at(seq), actor: 'slack:U1', actorIdentity: seq % 2 === 0 ? `slack:U1@T1` : null, origin: 'slack' as const, details: { n: seq, nested: { b: [1, 'x'] } },
      ...entry,
    };
    const record = keyedRecord(auditKeys, content, seq, prevHash);
    prevHash = record.hash;
    return record;
  });
  await tx.insertAuditRecords(records);
  return records;
}

/** The hash-chained audit log and its head, and the latest-version card store. */
export function describeAuditContract(store: CurrentStore): void {
  describe('audit log', () => {
    it('has no head while empty', async () => {
      expect(await store().transaction((tx) => tx.lockAuditHead())).toBeUndefined();
      expect(await store().getAuditHead()).toBeUndefined();
      expect(await store().listAudit({})).toEqual([]);
    });

    it('appends records and moves the head to the last one', async () => {
      const first = await store().transaction((tx) => append(tx, [{ action: 'a', subject: 's' }, { action: 'b', subject: 's' }]));
      const second = await store().transaction((tx) => append(tx, [{ action: 'c', subject: 't' }]));
      expect(second[0]?.prevHash).toBe(first[1]?.hash);
      expect(await store().getAuditHead()).toEqual({ seq: 3, hash: second[0]?.hash });
      expect(await store().transaction((tx) => tx.lockAuditHead())).toEqual({ seq: 3, hash: second[0]?.hash });
      expect(await store().listAudit({})).toEqual([...first, ...second]);
    });

    it('leaves log and head unchanged when the transaction rolls back', async () => {
      await store().transaction((tx) => append(tx, [{ action: 'a', subject: 's' }]));
      const head = await store().getAuditHead();
      await expect(store().transaction(async (tx) => {
        await append(tx, [{ action: 'b', subject: 's' }]);
        throw new Error('refused');
      })).rejects.toThrow('refused');
      expect(await store().getAuditHead()).toEqual(head);
      expect(await store().listAudit({})).toHaveLength(1);
    });

    it('keeps the chain linear when transactions append concurrently', async () => {
      await Promise.all(Array.from({ length: 5 }, (_, i) =>
        store().transaction((tx) => append(tx, [{ action: `a${i}`, subject: 's' }, { action: `b${i}`, subject: 's' }]))));
      const records = await store().listAudit({});
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const verifier = new ChainVerifier(auditKeys);
      records.forEach((record, i) => {
        expect(record.prevHash).toBe(i === 0 ? GENESIS_HASH : records[i - 1]!.hash);
        expect(verifier.check(record)).toBeNull();
      });
      expect((await store().getAuditHead())?.seq).toBe(10);
    });

    it('refuses a record whose sequence number is taken', async () => {
      const [record] = await store().transaction((tx) => append(tx, [{ action: 'a', subject: 's' }]));
      await expect(store().transaction((tx) => tx.insertAuditRecords([{ ...record!, action: 'forged' }]))).rejects.toThrow();
    });

    it('filters by time (inclusive), actor, subject, action and position, in sequence order', async () => {
      await store().transaction((tx) => append(tx, [
        { action: 'request.created', subject: 'R-1', actor: 'slack:U1' },
        { action: 'request.approved', subject: 'R-1', actor: 'slack:U2' },
        { action: 'request.created', subject: 'R-2', actor: 'slack:U1' },
        { action: 'grant.revoked', subject: 'G-1', actor: 'operator', origin: 'cli' },
      ]));
      const seqs = async (filter: Parameters<ReturnType<CurrentStore>['listAudit']>[0]) =>
        (await store().listAudit(filter)).map((r) => r.seq);
      expect(await seqs({ from: at(2), to: at(3) })).toEqual([2, 3]);
      expect(await seqs({ actor: 'slack:U1' })).toEqual([1, 3]);
      expect(await seqs({ subject: 'R-1' })).toEqual([1, 2]);
      expect(await seqs({ action: 'request.created' })).toEqual([1, 3]);
      expect(await seqs({ action: 'request' })).toEqual([]);
      expect(await seqs({ afterSeq: 2 })).toEqual([3, 4]);
      expect(await seqs({ afterSeq: 1, limit: 2 })).toEqual([2, 3]);
      expect((await store().listAudit({ actor: 'operator' }))[0]?.origin).toBe('cli');
    });

    it('returns at most 1000 records by default', async () => {
      await store().transaction((tx) => append(tx, Array.from({ length: 1005 }, (_, i) => ({ action: 'x', subject: `s${i}` }))));
      expect(await store().listAudit({})).toHaveLength(1000);
      expect(await store().listAudit({ afterSeq: 1000 })).toHaveLength(5);
    });
  });

  describe('cards', () => {
    it('saves the latest version of a card, bumping its version', async () => {
      expect(await store().getCard('request:R-1:approver')).toBeUndefined();
      const v1 = card({ title: 'Request R-1', facts: [{ label: 'Target', value: 'Exchange\\X' }] });
      const v2 = card({ title: 'Request R-1', status: { tone: 'approved', text: 'Approved' } });
      await store().transaction((tx) => tx.saveCards([{ cardKey: 'request:R-1:approver', card: v1 }]));
      expect(await store().getCard('request:R-1:approver')).toEqual({ version: 1, card: v1 });
      await store().transaction(async (tx) => {
        await tx.saveCards([{ cardKey: 'request:R-1:approver', card: v1 }]);
        await tx.saveCards([{ cardKey: 'request:R-1:approver', card: v2 }, { cardKey: 'request:R-1:feed', card: v1 }]);
      });
      expect(await store().getCard('request:R-1:approver')).toEqual({ version: 3, card: v2 });
      expect(await store().getCard('request:R-1:feed')).toEqual({ version: 1, card: v1 });
    });
  });
}
