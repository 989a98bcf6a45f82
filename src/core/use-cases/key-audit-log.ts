import { ChainVerifier, GENESIS_HASH, keyedRecord } from '../audit.js';
import { runChange, type Change, type EngineContext } from '../context.js';
import type { AuditRecord } from '../model.js';
import { signGrant } from '../signature.js';

// Records re-keyed per statement batch; the whole upgrade is one transaction holding the head.
const PAGE_SIZE = 2000;

export interface KeyingDone {
  /** Records of an earlier version's unkeyed chain now keyed (0: nothing to do). */
  rekeyed: number;
  /** Grants an earlier version left unsigned, now signed. */
  grantsSigned: number;
}

/**
 * The one-time upgrade of records an earlier version left unproven, at start: its audit chain
 * (plain SHA-256, head in the database) is checked as it is, then re-keyed with the audit key,
 * and an `audit.keyed` record says up to which record that was and whether the old chain held
 * (verify reports it: what came before cannot be proven better than it was). Its grants, which
 * had no signature, are signed as they stand (`integrity.grantsSigned`). Holding the chain's
 * head, so instances starting together do it once.
 */
export async function keyLegacyRecords(ctx: EngineContext): Promise<KeyingDone> {
  return runChange(ctx, { kind: 'system', origin: 'cli' }, { action: 'audit.key', subject: 'audit' }, async (change) => {
    const { tx } = change;
    const head = await tx.lockAuditHead();
    const first = head ? (await tx.listAuditForKeying(0, 1))[0] : undefined;
    let rekeyed = 0;
    if (first && first.keyId === null) rekeyed = await rekey(change, head!.seq);
    const grantsSigned = await signUnsignedGrants(change);
    return { rekeyed, grantsSigned };
  });
}

async function rekey(change: Change, lastSeq: number): Promise<number> {
  const { tx } = change;
  const legacy = new ChainVerifier('unkeyed');
  let legacyProblem: string | null = null;
  let prevHash = GENESIS_HASH;
  let afterSeq = 0;
  let count = 0;
  for (;;) {
    const page = await tx.listAuditForKeying(afterSeq, PAGE_SIZE);
    if (page.length === 0) break;
    const keyed: AuditRecord[] = [];
    for (const record of page) {
      if (legacyProblem === null) legacyProblem = legacy.check(record)?.message ?? null;
      const rekeyed = keyedRecord(change.ctx.config.keys.audit, record, record.seq, prevHash);
      keyed.push(rekeyed);
      prevHash = rekeyed.hash;
    }
    await tx.rewriteAuditRecords(keyed);
    count += page.length;
    afterSeq = page.at(-1)!.seq;
    if (page.length < PAGE_SIZE) break;
  }
  change.audit('audit.keyed', 'audit', {
    upTo: lastSeq, records: count, legacyVerified: legacyProblem === null, ...(legacyProblem ? { legacyProblem } : {}),
  });
  return count;
}

async function signUnsignedGrants(change: Change): Promise<number> {
  let count = 0;
  for (;;) {
    const grants = await change.tx.listUnsignedGrants(PAGE_SIZE);
    for (const grant of grants) {
      if (await change.tx.setGrantSignature(grant.id, signGrant(change.ctx.config.keys.signing, grant))) count += 1;
    }
    if (grants.length < PAGE_SIZE) break;
  }
  if (count > 0) change.audit('integrity.grantsSigned', 'grants', { count, reason: 'grants of an earlier version, signed as they stood at the upgrade' });
  return count;
}
