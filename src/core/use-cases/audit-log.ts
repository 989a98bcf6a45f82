import { ChainVerifier, type ChainProblem } from '../audit.js';
import type { EngineContext } from '../context.js';
import { NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { AuditRecord } from '../model.js';
import type { Actor, AuditFilter } from '../ports.js';

// Records read per query while walking the log: bounded memory for any log size.
const PAGE_SIZE = 5000;

export interface AuditVerification {
  ok: boolean;
  checked: number;
  problem: ChainProblem | null;
}

async function requireAuditReader(ctx: EngineContext, actor: Actor): Promise<void> {
  if (!(await ctx.store.read((tx) => seesEverything(tx, actor)))) {
    throw new NotAllowedError('only admins and auditors may read the audit log');
  }
}

/** Recomputes the whole hash chain and names the first altered or missing record. */
export async function verifyAuditLog(ctx: EngineContext, actor: Actor): Promise<AuditVerification> {
  await requireAuditReader(ctx, actor);
  const verifier = new ChainVerifier();
  let afterSeq = 0;
  for (;;) {
    const page = await ctx.store.listAudit({ afterSeq, limit: PAGE_SIZE });
    for (const record of page) {
      const problem = verifier.check(record);
      if (problem) return { ok: false, checked: verifier.checked, problem };
    }
    if (page.length < PAGE_SIZE) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  const problem = verifier.finish(await ctx.store.getAuditHead());
  return { ok: problem === null, checked: verifier.checked, problem };
}

/** Streams audit records matching the filter, page by page, in sequence order (after `afterSeq` if given). */
export async function* exportAuditLog(ctx: EngineContext, actor: Actor, filter: Omit<AuditFilter, 'limit'>): AsyncGenerator<AuditRecord> {
  await requireAuditReader(ctx, actor);
  let afterSeq = filter.afterSeq ?? 0;
  for (;;) {
    const page = await ctx.store.listAudit({ ...filter, afterSeq, limit: PAGE_SIZE });
    yield* page;
    if (page.length < PAGE_SIZE) return;
    afterSeq = page[page.length - 1]!.seq;
  }
}
