import type { Grant, IdentityDetail, Principal } from './model.js';
import { normalizeIdentity, parsePrincipalRef } from './principals.js';
import type { Clock, Store } from './ports.js';
import { targetKey } from './targets.js';
import { addSeconds, toMillis, type Instant } from './time.js';

export interface CheckResult {
  allowed: boolean;
  grantId: string | null;
  endsAt: Instant | null;
  /** Allowed by a break-glass grant (granted without approval, reviewed afterwards); absent otherwise. */
  breakGlass?: boolean;
}

interface HeldGrant {
  grantId: string;
  endsAt: Instant;
  endsAtMs: number;
  /** Its start: a grant never allows before it (a scheduled window started a little early by a fast clock). */
  startsAtMs: number;
  /** When this index learnt it (a counter), so a reconcile removes only what its read can judge. */
  learnt: number;
  breakGlass: boolean;
}

const DENIED: CheckResult = { allowed: false, grantId: null, endsAt: null };
// Re-reads a few seconds of changes each time: covers transactions that committed after the
// previous read although their updated_at was earlier (a transaction's time is taken when it
// starts; another instance's clock may also run a little behind). Applying a grant twice is harmless.
const OVERLAP_SECONDS = 5;
// How long an ended grant is remembered, so a read that started before the end committed cannot
// bring it back (a grant never becomes active again once ended). Far longer than any one read.
const ENDED_MEMORY_SECONDS = 120;

/**
 * In-memory index of active grants for the enforcement check: answers in microseconds without
 * touching the database. It never allows past a grant's end (the end is compared with the time
 * asked about), and `refresh()` picks up grants changed by any instance.
 */
export class AuthorizationIndex {
  private readonly grantsByPrincipal = new Map<string, Map<string, HeldGrant>>();
  /** Identities and (unshared) verified addresses → principal id. */
  private readonly principalByName = new Map<string, string>();
  private readonly knownPrincipals = new Set<string>();
  /** Addresses more than one principal has: they name nobody for sure, so they allow nothing. */
  private sharedEmails = new Set<string>();
  private sharedEmailsLoaded = false;
  /** Identity changes from here on are learnt; principals loaded later are read as they are then. */
  private identityWatermark: Instant;
  /** Grant ids seen ended, with when (ms) they were seen; forgotten after ENDED_MEMORY_SECONDS. */
  private readonly ended = new Map<string, number>();
  private watermark: Instant | undefined;
  /** Counts grants applied, so a reconcile can tell what was learnt after its read began. */
  private learning = 0;
  private refreshing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** @param intact whether a grant is as Elevate signed it; one that is not is never honoured. */
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly intact: (grant: Grant) => boolean = () => true) {
    this.identityWatermark = addSeconds(clock.now(), -OVERLAP_SECONDS);
  }

  /**
   * Loads grants changed since the last refresh (all active grants the first time), by any
   * instance. One at a time: a call while one runs waits for that one and then runs its own, so
   * when it returns, every change committed before the call is applied.
   */
  refresh(): Promise<void> {
    // Calls made while one read runs share the one read queued after it (a timer faster than a
    // slow database must not pile reads up).
    if (this.queued) return this.queued;
    const previous = this.refreshing;
    const next = (previous ?? Promise.resolve()).catch(() => undefined).then(() => {
      if (this.queued === next) this.queued = undefined;
      return this.readChanges();
    });
    if (previous) this.queued = next;
    this.refreshing = next;
    void next.finally(() => { if (this.refreshing === next) this.refreshing = undefined; }).catch(() => undefined);
    return next;
  }

  private async readChanges(): Promise<void> {
    const startedAt = this.clock.now();
    await this.learnIdentities(await this.store.listIdentitiesChangedSince(this.identityWatermark));
    this.identityWatermark = addSeconds(startedAt, -OVERLAP_SECONDS);
    await this.applyChanged(await this.store.listGrantsChangedSince(this.watermark));
    this.watermark = addSeconds(startedAt, -OVERLAP_SECONDS);
    const forgetBefore = toMillis(startedAt) - ENDED_MEMORY_SECONDS * 1000;
    for (const [grantId, seenAt] of this.ended) if (seenAt < forgetBefore) this.ended.delete(grantId);
  }

  /** Applies grants this instance just changed, so its own revocations count at once. */
  async applyChanged(grants: Grant[]): Promise<void> {
    const unknown = [...new Set(grants.map((g) => g.principalId))].filter((id) => !this.knownPrincipals.has(id));
    if (unknown.length > 0) this.addPrincipals(await this.store.read((tx) => tx.getPrincipals(unknown)));
    for (const grant of grants) this.apply(grant);
  }

  private addPrincipals(principals: Principal[]): void {
    for (const principal of principals) {
      this.knownPrincipals.add(principal.id);
      for (const identity of principal.identities) this.principalByName.set(identity, principal.id);
      for (const email of principal.emails) if (!this.sharedEmails.has(email)) this.principalByName.set(email, principal.id);
    }
  }

  /**
   * Identities linked, unlinked or re-verified (by any instance) since the last read, so every
   * identity of a person gets the same answer. Which addresses are shared is read the first time
   * and again whenever identities changed.
   */
  async learnIdentities(changed: IdentityDetail[]): Promise<void> {
    if (!this.sharedEmailsLoaded || changed.length > 0) {
      this.sharedEmails = new Set(await this.store.listSharedEmails());
      this.sharedEmailsLoaded = true;
      for (const email of this.sharedEmails) this.principalByName.delete(email);
    }
    for (const detail of changed) {
      this.principalByName.set(detail.identity, detail.principalId);
      if (detail.email && !this.sharedEmails.has(detail.email)) this.principalByName.set(detail.email, detail.principalId);
    }
  }

  private apply(grant: Grant): void {
    const key = targetKey(grant.target.name);
    let held = this.grantsByPrincipal.get(grant.principalId);
    // A scheduled window has not started: nothing to hold yet, and not ended either (it becomes active later).
    if (grant.status === 'scheduled') return;
    if (grant.status === 'active' && this.intact(grant)) {
      // A read that started before this grant's end committed: the end stands.
      if (this.ended.has(grant.id)) return;
      if (!held) this.grantsByPrincipal.set(grant.principalId, (held = new Map()));
      held.set(key, { grantId: grant.id, endsAt: grant.endsAt, endsAtMs: toMillis(grant.endsAt), startsAtMs: toMillis(grant.startsAt), learnt: ++this.learning, breakGlass: grant.breakGlass === true });
    } else {
      this.ended.set(grant.id, toMillis(this.clock.now()));
      if (held?.get(key)?.grantId === grant.id) held.delete(key);
    }
  }

  /**
   * Compares the index with the active grants in the database and fixes any difference. The
   * refresh re-reads only a few seconds of changes; a change whose transaction waited longer than
   * that (a lock held by a long transaction, a clock far behind) would otherwise be missed until
   * the grant ends. Run now and then (the scheduler: every 30 s); it reads ids only.
   */
  async reconcile(): Promise<void> {
    const before = this.learning;
    const active = new Set(await this.store.listActiveGrantIds());
    const indexed = new Set<string>();
    for (const held of this.grantsByPrincipal.values()) {
      for (const [key, grant] of held) {
        // Learnt after the read began: the read may simply predate it.
        if (!active.has(grant.grantId) && grant.learnt <= before) held.delete(key);
        else indexed.add(grant.grantId);
      }
    }
    const missing = [...active].filter((id) => !indexed.has(id) && !this.ended.has(id));
    if (missing.length === 0) return;
    const grants = await this.store.read(async (tx) => (await Promise.all(missing.map((id) => tx.getGrant(id)))).filter((g): g is Grant => g !== undefined));
    await this.applyChanged(grants);
  }

  /**
   * Is `principal` (an identity like `slack:U1`, a verified address only one principal has, or a
   * principal id) authorized for `target` at `at`?
   */
  check(principal: string, target: string, at: Instant): CheckResult {
    const principalId = this.principalIdOf(principal);
    if (!principalId) return DENIED;
    const held = this.grantsByPrincipal.get(principalId)?.get(targetKey(target));
    if (!held || held.endsAtMs <= toMillis(at) || held.startsAtMs > toMillis(at)) return DENIED;
    return { allowed: true, grantId: held.grantId, endsAt: held.endsAt, ...(held.breakGlass ? { breakGlass: true } : {}) };
  }

  private principalIdOf(ref: string): string | undefined {
    const identity = normalizeIdentity(ref);
    if (identity) return this.principalByName.get(identity);
    let parsed;
    try {
      parsed = parsePrincipalRef(ref);
    } catch {
      return undefined;
    }
    if ('email' in parsed) return this.principalByName.get(parsed.email);
    if ('principalId' in parsed) return parsed.principalId;
    return undefined;
  }

  get size(): number {
    let total = 0;
    for (const held of this.grantsByPrincipal.values()) total += held.size;
    return total;
  }
}

