import type { Instant } from '../core/time.js';
import type { Db } from './database.js';
import { queryTemplate } from './query-templates.js';
import { changedOne } from './rows.js';

/** Named leases: work that one instance at a time should do (the scheduler's pass). */
export interface LeaseStore {
  /**
   * Takes (or renews) the lease `name` for `owner` until `until`, if it is free, already
   * `owner`'s, or its holder's lease ran out by `now` (a crashed instance). True when held.
   * A compare-and-set: of instances asking at once, one gets it.
   */
  takeLease(name: string, owner: string, now: Instant, until: Instant): Promise<boolean>;
  /** Frees the lease if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;
}

const CREATE = queryTemplate((db, a: { name: string }) => db.insertInto('leases')
  .values({ name: a.name, owner: null, lease_until: null }).onConflict((oc) => oc.column('name').doNothing()));
const TAKE = queryTemplate((db, a: { name: string; owner: string; now: Instant; until: Instant }) => db.updateTable('leases')
  .set({ owner: a.owner, lease_until: a.until })
  .where('name', '=', a.name)
  .where((eb) => eb.or([eb('owner', 'is', null), eb('owner', '=', a.owner), eb('lease_until', 'is', null), eb('lease_until', '<=', a.now)])));
const RELEASE = queryTemplate((db, a: { name: string; owner: string }) => db.updateTable('leases')
  .set({ owner: null, lease_until: null }).where('name', '=', a.name).where('owner', '=', a.owner));

export async function takeLease(db: Db, name: string, owner: string, now: Instant, until: Instant): Promise<boolean> {
  // Portable: the update is the compare-and-set (on PostgreSQL a concurrent taker waits for the
  // row lock, then re-checks the condition against the new holder and changes nothing).
  if (changedOne(await TAKE.affected(db, { name, owner, now, until }))) return true;
  await CREATE.affected(db, { name });
  return changedOne(await TAKE.affected(db, { name, owner, now, until }));
}

export async function releaseLease(db: Db, name: string, owner: string): Promise<void> {
  await RELEASE.affected(db, { name, owner });
}
