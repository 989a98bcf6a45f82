import type { EngineContext } from '../context.js';
import type { GrantStatus, Target } from '../model.js';
import type { Actor } from '../ports.js';
import { targetKey } from '../targets.js';
import { toMillis, type Instant } from '../time.js';
import { canSeeGrant, visibilityOf } from '../visibility.js';

// Grants read at most: far above the active grants of a real deployment, small enough for one read.
const DEFAULT_LIMIT = 10_000;

export interface EffectiveHoldersQuery {
  /** `Scope\Name`: only this target. */
  target?: string;
  limit?: number;
}

/**
 * Where a holder's provisioning stands:
 * - `none`: the grant has no hook (Elevate's own check is the whole authorization);
 * - `starting`: the start hook has not succeeded yet (the role may not be assigned yet);
 * - `started`: the start hook succeeded;
 * - `ending`: the grant ended but its end hook has not succeeded yet (the role may still be assigned).
 */
export type HookState = 'none' | 'starting' | 'started' | 'ending';

export interface EffectiveHolder {
  principalId: string;
  identities: string[];
  displayName: string | null;
  email: string | null;
  grantId: string;
  grantStatus: GrantStatus;
  since: Instant;
  /** The grant's end, or when it ended for a holder still `ending`. */
  until: Instant;
  hook: string | null;
  hookState: HookState;
  /** When the start hook succeeded (null: not yet, or no hook). */
  hookStartedAt: Instant | null;
}

export interface EffectiveTarget {
  target: Target;
  holders: EffectiveHolder[];
}

/**
 * Who holds each target now (see `Elevate.effectiveHolders`): active grants not past their end,
 * plus grants whose hook has not confirmed the end yet. Targets without holders are left out.
 */
export async function effectiveHolders(ctx: EngineContext, actor: Actor, query: EffectiveHoldersQuery = {}): Promise<EffectiveTarget[]> {
  const visibility = await visibilityOf(ctx, actor);
  const now = ctx.clock.now();
  const key = query.target ? targetKey(query.target) : undefined;
  return ctx.store.read(async (tx) => {
    const grants = (await tx.listGrantsHeld(query.limit ?? DEFAULT_LIMIT, {
      targetKey: key, visibleTo: visibility.all ? undefined : { principalId: visibility.principalId, policyIds: [...visibility.policyIds] },
    }))
      .filter((g) => (key === undefined || targetKey(g.target.name) === key) && canSeeGrant(visibility, g))
      // Without a hook, a grant past its end is not held even before the scheduler marks it expired.
      .filter((g) => g.hook !== null || (g.status === 'active' && toMillis(g.endsAt) > toMillis(now)));
    const principals = new Map((await tx.getPrincipals([...new Set(grants.map((g) => g.principalId))])).map((p) => [p.id, p]));
    const byTarget = new Map<string, EffectiveTarget>();
    for (const grant of grants) {
      const principal = principals.get(grant.principalId);
      const hookState: HookState = grant.hook === null ? 'none'
        : grant.status !== 'active' ? 'ending' : grant.hookStartedAt ? 'started' : 'starting';
      const entry = byTarget.get(targetKey(grant.target.name)) ?? { target: grant.target, holders: [] };
      entry.holders.push({
        principalId: grant.principalId, identities: principal?.identities ?? [], displayName: principal?.displayName ?? null,
        email: principal?.email ?? null, grantId: grant.id, grantStatus: grant.status, since: grant.startsAt,
        until: grant.endedAt ?? grant.endsAt, hook: grant.hook, hookState, hookStartedAt: grant.hookStartedAt,
      });
      byTarget.set(targetKey(grant.target.name), entry);
    }
    const label = (h: EffectiveHolder) => h.identities[0] ?? h.principalId;
    return [...byTarget.values()]
      .map((entry) => ({ ...entry, holders: entry.holders.sort((a, b) => label(a).localeCompare(label(b)) || a.grantId.localeCompare(b.grantId)) }))
      .sort((a, b) => a.target.name.localeCompare(b.target.name));
  });
}
