import { card } from '../cards.js';
import { runChange, type EngineContext } from '../context.js';
import type { Actor } from '../ports.js';
import type { Anchor } from './audit-log.js';
import { chainAudit } from './chain-audit.js';

// How long publishing waits for changes in flight to commit before it reads the head.
const ANCHOR_SETTLE_WAIT_MS = 1000;
const CHECKPOINTS: Actor = { kind: 'system', origin: 'scheduler' };

/**
 * Publishes the audit chain's head outside the database, so that a later cut of the tail or a
 * rewrite of the whole log (which a database owner holding the key could re-hash) is caught by
 * `audit verify --anchor`: the head goes to every audit feed (chat keeps its own copy) and is
 * returned for the operator's file and webhook (src/scheduler/audit-checkpoints.ts).
 *
 * Writes no audit record of its own: that would move the head it publishes. Returns undefined
 * when the log is empty or its head is `lastPublishedSeq` (nothing new to anchor).
 */
export async function publishAuditAnchor(ctx: EngineContext, lastPublishedSeq: number | undefined): Promise<Anchor | undefined> {
  // What has committed is linked first (PostgreSQL links after commit), so the anchor covers it.
  await chainAudit(ctx, ANCHOR_SETTLE_WAIT_MS);
  const head = await ctx.store.getAuditHead();
  if (!head || head.seq === lastPublishedSeq) return undefined;
  const anchor: Anchor = { seq: head.seq, hash: head.hash, at: ctx.clock.now() };
  if (ctx.config.feedPlatforms.length > 0) {
    await runChange(ctx, CHECKPOINTS, { action: 'audit.checkpoint', subject: 'audit' }, async (change) => {
      const message = card({
        title: `Audit checkpoint: record ${anchor.seq}`,
        summary: `The audit log ends at record ${anchor.seq} with hash ${anchor.hash}. Keep this message: \`elevate audit verify --anchor ${anchor.seq}:${anchor.hash}\` proves the log still holds this record unchanged.`,
      });
      for (const platform of ctx.config.feedPlatforms) {
        change.deliver({ platform, destination: { kind: 'feed' }, kind: 'message', cardKey: null, card: message });
      }
    });
  }
  return anchor;
}
