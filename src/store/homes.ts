import type { DeliveryDraft } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import type { Db } from './database.js';
import { channelKeyOf, insertDeliveries } from './outbox.js';
import { batches } from './rows.js';

/** Records the first time an account opened its home view; false when it had before. */
export async function markHomeOpened(db: Db, identity: string, at: Instant): Promise<boolean> {
  const result = await db.updateTable('principal_identities').set({ home_opened_at: at })
    .where('identity', '=', identity).where('home_opened_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The accounts of these principals that have opened their home view. */
export async function listHomeIdentities(db: Db, principalIds: string[]): Promise<string[]> {
  const identities: string[] = [];
  for (const batch of batches([...new Set(principalIds)])) {
    const rows = await db.selectFrom('principal_identities').select('identity')
      .where('principal_id', 'in', batch).where('home_opened_at', 'is not', null)
      .orderBy('identity').execute();
    identities.push(...rows.map((row) => row.identity));
  }
  return identities;
}

function homeDraft(identity: string): DeliveryDraft {
  return { platform: identity.slice(0, identity.indexOf(':')), destination: { kind: 'home', identity }, kind: 'home.publish', cardKey: null, card: null };
}

/**
 * Queues a home publish per account unless one waits that no dispatcher has taken (never
 * leased: `lease_owner` null; a retry waiting for its time counts too). Finding it is an update
 * of that row, not a read: on PostgreSQL the row stays locked until this transaction commits, so a
 * dispatcher's claim (`FOR UPDATE SKIP LOCKED`) cannot take it meanwhile and read the home before
 * this change; if a claim took it first, the update waits for that claim and then finds the row
 * leased, and a new publish is queued. On SQLite, writers take turns anyway.
 */
export async function queueHomePublishes(db: Db, identities: string[], at: Instant): Promise<void> {
  const missing: DeliveryDraft[] = [];
  for (const identity of [...new Set(identities)]) {
    const draft = homeDraft(identity);
    const waiting = await db.updateTable('outbox').set({ lease_owner: null })
      .where('status', '=', 'pending').where('channel_key', '=', channelKeyOf(draft)).where('lease_owner', 'is', null)
      .executeTakeFirst();
    if (waiting.numUpdatedRows === 0n) missing.push(draft);
  }
  if (missing.length > 0) await insertDeliveries(db, missing, at);
}
