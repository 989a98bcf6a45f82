import { runChange, type EngineContext } from '../context.js';
import { NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { Actor, DeliveryRecord, DeliveryStatus } from '../ports.js';

export interface DeliveryListQuery {
  /** Only deliveries in this status (e.g. `failed`: given up for good); default every status. */
  status?: DeliveryStatus;
  /** Continue after the delivery with this id (the last one of the previous page). */
  beforeId?: number;
  limit?: number;
}

// A screenful by default; a page is bounded so a large outbox is never read at once (the API asks
// for its page size plus one, to tell whether there is more).
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * Chat and hook deliveries, newest first, with their attempts and last error: how admins and
 * auditors see what failed for good (an approver card Slack or Teams refused, a channel the bot
 * is not in). Anyone else is refused, and the refusal is audited.
 */
export async function listDeliveries(ctx: EngineContext, actor: Actor, query: DeliveryListQuery = {}): Promise<DeliveryRecord[]> {
  const limit = Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
  return runChange(ctx, actor, { action: 'delivery.list', subject: 'deliveries' }, async (change) => {
    if (!(await seesEverything(change.tx, actor))) throw new NotAllowedError('only admins and auditors may list deliveries');
    return change.tx.listDeliveries({ status: query.status, beforeId: query.beforeId, limit });
  });
}
