import { sql, type Kysely } from 'kysely';
import type { AuditRecord, Origin } from '../core/model.js';
import type { AuditChainStore, UnchainedAudit } from '../core/ports.js';
import { insertAuditRecords, lockAuditHead } from './audit.js';
import type { AuditPendingTable, Database, Db } from './database.js';
import { batches } from './rows.js';

/**
 * The deferred audit chain on PostgreSQL (README, architecture: "The audit chain").
 *
 * A writer ends its transaction with `appendUnchained`: one `nextval('audit_order')` (its
 * ordering number `ord`, taken after all its reads and writes) and the insert of its records.
 * A transaction that read or overwrote another's change did so after that one committed, so it
 * takes a larger `ord`: (ord, idx) order is consistent with commits.
 *
 * The chainer links only records below a settled bound B. It takes B = nextval('audit_order'),
 * then (a later statement) a snapshot S, and waits until every transaction in progress in S has
 * ended. A writer that took ord < B took it before B; it was given its transaction id before
 * that (the flush asks for it first), so before S was taken: it was either finished at S or is
 * listed in S as in progress. Once those have ended, no record below B can still appear.
 */

// Poll interval while waiting for the transactions in flight at the snapshot to end: they are
// change transactions, a few milliseconds each.
const POLL_MS = 2;

/** The writer's side, in its transaction: the ordering number, then the records. */
export async function appendUnchained(db: Db, records: UnchainedAudit[]): Promise<void> {
  if (records.length === 0) return;
  // The subquery (OFFSET 0 keeps it one) gives the transaction its id before nextval runs.
  const { rows } = await sql<{ ord: string | number }>`select nextval('audit_order') as ord from (select pg_current_xact_id() offset 0) as xid`.execute(db);
  const ord = Number(rows[0]!.ord);
  let idx = 0;
  for (const batch of batches(records)) {
    await db.insertInto('audit_pending').values(batch.map((record): AuditPendingTable => ({
      ord,
      idx: idx++,
      at: record.at,
      actor: record.actor,
      actor_identity: record.actorIdentity,
      origin: record.origin,
      action: record.action,
      subject: record.subject,
      details: JSON.stringify(record.details),
      key_id: record.keyId,
      mac: record.mac,
    }))).execute();
  }
}

function fromRow(row: AuditPendingTable): UnchainedAudit {
  return {
    at: row.at,
    actor: row.actor,
    actorIdentity: row.actor_identity,
    origin: row.origin as Origin,
    action: row.action,
    subject: row.subject,
    details: JSON.parse(row.details) as Record<string, unknown>,
    keyId: row.key_id,
    mac: row.mac,
  };
}

export class PostgresAuditChain implements AuditChainStore {
  constructor(private readonly db: Kysely<Database>) {}

  async settledBound(waitMs: number): Promise<number | undefined> {
    const any = await this.db.selectFrom('audit_pending').select('ord').limit(1).executeTakeFirst();
    if (!any) return undefined;
    // Separate statements, in this order: the snapshot must be taken after the bound.
    const bound = Number((await sql<{ bound: string | number }>`select nextval('audit_order') as bound`.execute(this.db)).rows[0]!.bound);
    const snapshot = (await sql<{ snapshot: string }>`select pg_current_snapshot()::text as snapshot`.execute(this.db)).rows[0]!.snapshot;
    const deadline = performance.now() + waitMs;
    for (;;) {
      // pg_xact_status is null for ids too old to be known: long finished.
      const { rows } = await sql<{ running: string | number }>`select count(*) as running from pg_snapshot_xip(${snapshot}::pg_snapshot) as x(id)
        where pg_xact_status(x.id) = 'in progress'`.execute(this.db);
      if (Number(rows[0]!.running) === 0) return bound;
      if (performance.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
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
