import { Change, type EngineContext } from '../context.js';

/** A use of the API worth its own audit record: a read, a refused call, or a summary of reads, refusals or checks. */
export interface ApiUse {
  action: 'api.read' | 'api.reads' | 'api.refused' | 'api.refusals' | 'api.checks';
  subject: string;
  tokenId: string | null;
  principalId: string | null;
  details: Record<string, unknown>;
}

/**
 * Audits API uses that no use case audits (reads, refusals, check counts) and records when each
 * token was last used; all in one transaction, so a batch is written whole or not at all.
 */
export async function recordApiUses(ctx: EngineContext, uses: ApiUse[]): Promise<void> {
  if (uses.length === 0) return;
  await ctx.store.transaction(async (tx) => {
    for (const use of uses) {
      const tokenId = use.tokenId ?? undefined;
      const identity = tokenId ? `token:${tokenId}` : undefined;
      const actor = use.principalId
        ? { kind: 'principal' as const, principalId: use.principalId, origin: 'api' as const, tokenId, identity }
        : { kind: 'system' as const, origin: 'api' as const, tokenId, identity };
      const change = new Change(tx, ctx, actor);
      change.audit(use.action, use.subject, use.details);
      if (use.tokenId) await tx.markApiTokensUsed([use.tokenId], change.now);
      await change.flush();
    }
  });
}
