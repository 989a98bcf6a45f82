import type { DeliveryFilter, DeliveryKind, DeliveryRecord } from '../core/ports.js';
import type { Db } from './database.js';

/** Deliveries newest first, for admins looking at what was (not) delivered; `failed` ones use the outbox's status index. */
export async function listDeliveries(db: Db, filter: DeliveryFilter): Promise<DeliveryRecord[]> {
  let query = db.selectFrom('outbox')
    .select(['id', 'status', 'platform', 'channel_key', 'kind', 'card_key', 'attempts', 'last_error', 'created_at'])
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: Number(row.id),
    status: row.status,
    platform: row.platform,
    channel: row.channel_key,
    kind: row.kind as DeliveryKind,
    cardKey: row.card_key,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    createdAt: row.created_at,
  }));
}
