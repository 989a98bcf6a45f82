import { sql, type Kysely } from 'kysely';
import type { AuditRecord } from '../core/model.js';
import type { AuditChainStore, UnchainedAudit } from '../core/ports.js';
import { contentColumns, contentOf, insertAuditRecords, lockAuditHead } from './audit.js';
import type { AuditPendingTable, Database, Db } from './database.js';
import { batches } from './rows.js';

/**
 * The deferred audit chain on PostgreSQL (README, architecture: "The audit chain").
 *
 * A writer ends its transaction with `appendUnchained`: it takes a shared transaction-level
 * advisory lock (the "writing" lock of this schema), then one `nextval('audit_order')` (its ordering
 * number `ord`, taken after all its reads and writes), then inserts its records. A transaction that
 * read or overwrote another's change did so after that one committed, so it takes a larger `ord`:
 * (ord, idx) order is consistent with commits. (Ordering by transaction id would not be: an id is
 * given at the first write, not at commit.)
 *
 * The chainer links only records below a settled bound B. It takes B = nextval('audit_order'),
 * then (a later statement) lists the transactions holding the writing lock, and waits until they
 * have all ended. A writer that took ord < B took the lock before that, and holds it to its end:
 * at the listing it had either ended or was listed. Once the listed ones have ended, no record
 * below B can still appear. Only Elevate's writers of this schema are waited for, never unrelated
 * long transactions on the server; the lock is shared, so writers never wait for each other.
 */

// The writing lock: advisory key (WRITING_LOCK, hash of the schema), so schemas sharing a
// database (tests, benchmarks) are apart. 0x456c6576 is "Elev".
const WRITING_LOCK = 0x456c6576;
const SCHEMA_KEY = sql`(hashtext(current_schema()) & 2147483647)`;

// Poll interval while waiting for the listed writers to end (change transactions, a few ms
// each): long enough that a pass under steady load costs little (each poll reads pg_locks).
const POLL_MS = 10;

/** The writer's side, in its transaction: the writing lock and the ordering number, then the records. */
export async function appendUnchained(db: Db, records: UnchainedAudit[]): Promise<void> {
  if (records.length === 0) return;
  // The subquery (OFFSET 0 keeps it one) takes the lock before nextval runs.
  const { rows } = await sql<{ ord: string | number }>`select nextval('audit_order') as ord
    from (select pg_advisory_xact_lock_shared(${sql.lit(WRITING_LOCK)}, ${SCHEMA_KEY}) offset 0) as writing`.execute(db);
  const ord = Number(rows[0]!.ord);
  let idx = 0;
  for (const batch of batches(records)) {
    await db.insertInto('audit_pending').values(batch.map((record): AuditPendingTable => ({
      ord, idx: idx++, ...contentColumns(record), key_id: record.keyId, mac: record.mac,
    }))).execute();
  }
}

/** Transactions (virtual ids) holding this schema's writing lock now. */
async function writers(db: Db): Promise<string[]> {
  const { rows } = await sql<{ vxid: string }>`select virtualtransaction as vxid from pg_locks
    where locktype = 'advisory' and granted and classid = ${sql.lit(WRITING_LOCK)} and objid::int8 = ${SCHEMA_KEY} and objsubid = 2
      and database = (select oid from pg_database where datname = current_database())`.execute(db);
  return rows.map((r) => r.vxid);
}

function fromRow(row: AuditPendingTable): UnchainedAudit {
  return { ...contentOf(row), keyId: row.key_id, mac: row.mac };
}

export class PostgresAuditChain implements AuditChainStore {
  constructor(private readonly db: Kysely<Database>) {}

  async settledBound(waitMs: number): Promise<number | undefined> {
    const any = await this.db.selectFrom('audit_pending').select('ord').limit(1).executeTakeFirst();
    if (!any) return undefined;
    // Separate statements, in this order: the writers are listed after the bound is taken.
    const bound = Number((await sql<{ bound: string | number }>`select nextval('audit_order') as bound`.execute(this.db)).rows[0]!.bound);
    let waitingFor = new Set(await writers(this.db));
    const deadline = performance.now() + waitMs;
    while (waitingFor.size > 0) {
      if (performance.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const now = new Set(await writers(this.db));
      waitingFor = new Set([...waitingFor].filter((vxid) => now.has(vxid)));
    }
    return bound;
  }

  linkUnchained(bound: number, limit: number, link: (head: { seq: number; hash: string } | undefined, records: UnchainedAudit[]) => AuditRecord[]): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // The head's row lock: one chainer at a time across instances; a second one waits, then
      // finds the records the first linked gone from audit_pending.
      const head = await lockAuditHead(trx);
      const rows = await trx.selectFrom('audit_pending').selectAll().where('ord', '<', bound)
        .orderBy('ord').orderBy('idx').limit(limit).execute();
      const last = rows.at(-1);
      if (!last) return 0;
      await insertAuditRecords(trx, link(head, rows.map(fromRow)));
      const lastOrd = Number(last.ord);
      await trx.deleteFrom('audit_pending')
        .where((eb) => eb.or([eb('ord', '<', lastOrd), eb.and([eb('ord', '=', lastOrd), eb('idx', '<=', last.idx)])]))
        .execute();
      return rows.length;
    });
  }

  async countUnchained(): Promise<number> {
    const row = await this.db.selectFrom('audit_pending').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
