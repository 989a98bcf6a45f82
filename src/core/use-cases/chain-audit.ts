import { GENESIS_HASH, linkRecord } from '../audit.js';
import type { EngineContext } from '../context.js';
import type { AuditRecord } from '../model.js';
import type { UnchainedAudit } from '../ports.js';

// Records linked per transaction of the chainer: a short hold of the chain head per batch.
const BATCH = 1000;

/**
 * Links the audit records committed unchained (stores with `auditChain`, i.e. PostgreSQL) into
 * the chain, in commit order: everything below a bound that no running transaction can still
 * write under. Waits at most `waitMs` for transactions in flight; what they write is linked by the
 * next pass. Safe on several instances at once (the chain head is the lock). How many were linked;
 * 0 on stores that chain inline.
 */
export async function chainAudit(ctx: EngineContext, waitMs: number): Promise<number> {
  const chain = ctx.store.auditChain;
  if (!chain) return 0;
  const bound = await chain.settledBound(waitMs);
  if (bound === undefined) return 0;
  const keys = ctx.config.keys.audit;
  const link = (head: { seq: number; hash: string } | undefined, records: UnchainedAudit[]): AuditRecord[] => {
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    return records.map((record) => {
      const linked = linkRecord(keys, record, (seq += 1), prevHash);
      prevHash = linked.hash;
      return linked;
    });
  };
  let linked = 0;
  for (;;) {
    const n = await chain.linkUnchained(bound, BATCH, link);
    linked += n;
    if (n < BATCH) return linked;
  }
}
