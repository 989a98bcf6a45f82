import type { ReplayGuard } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import type { Db } from './database.js';

// Expired fingerprints are swept now and then, not on every request.
const SWEEP_EVERY = 500;

/**
 * Fingerprints of signed requests already handled (Slack signatures), kept until the request
 * could no longer pass the timestamp check. The primary key decides: of two instances receiving
 * the same request, one insert succeeds.
 */
export class SeenRequests implements ReplayGuard {
  private inserts = 0;

  constructor(private readonly db: Db) {}

  async rememberOnce(key: string, expiresAt: Instant, now: Instant): Promise<boolean> {
    if (++this.inserts % SWEEP_EVERY === 0) await this.db.deleteFrom('seen_requests').where('expires_at', '<', now).execute();
    const result = await this.db.insertInto('seen_requests').values({ fingerprint: key, expires_at: expiresAt })
      .onConflict((oc) => oc.column('fingerprint').doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }
}
