import type { Principal } from '../core/model.js';
import type { StoreTx } from '../core/ports.js';

type Area = 'settings' | 'policies' | 'groups' | 'members' | 'principals' | 'requests' | 'decisions' | 'grants';

/** Reads worth remembering within one transaction, by the area of data they read. */
const READS: Partial<Record<keyof StoreTx, Area>> = {
  getSettings: 'settings',
  getPolicy: 'policies', findPolicyByTargetKey: 'policies', listPolicies: 'policies',
  getGroup: 'groups', findGroupByName: 'groups', listGroups: 'groups',
  listGroupMemberIds: 'members',
  findPrincipalByIdentity: 'principals', findPrincipalsByEmail: 'principals', listIdentityDetails: 'principals',
  getRequest: 'requests', listDecisions: 'decisions', getGrant: 'grants',
};

/** Writes, and the areas whose remembered reads they make stale. */
const WRITES: Partial<Record<keyof StoreTx, Area[]>> = {
  putSettings: ['settings'],
  insertPolicy: ['policies'], updatePolicy: ['policies'], deletePolicy: ['policies'],
  insertGroup: ['groups'],
  addGroupMember: ['members'], removeGroupMember: ['members'],
  insertPrincipal: ['principals'], assignIdentity: ['principals'], setIdentityProfile: ['principals'],
  insertRequest: ['requests'], lockPendingRequest: ['requests'], updateRequestIfPending: ['requests'], markRequestReminded: ['requests'],
  insertDecision: ['decisions'],
  insertGrant: ['grants'], updateGrantIfActive: ['grants'], updateGrantIfScheduled: ['grants'], expireGrantsIfDue: ['grants'], markGrantWarned: ['grants'], markGrantHook: ['grants'],
};

/**
 * A transaction that remembers its reads (settings, policies, groups, principals, and single
 * requests, decisions and grants) until it writes to that area. A use case looks up the same rows
 * several times (rules, cards, notices); inside one transaction the answer cannot change except by
 * its own writes, which forget the area. Callers never mutate what they read.
 */
export function memoizing(tx: StoreTx): StoreTx {
  const remembered = new Map<Area, Map<string, Promise<unknown>>>();
  // Principals are remembered one by one: use cases ask for them singly and in varying sets.
  let principals = new Map<string, Principal | undefined>();
  const getPrincipals = async (ids: string[]): Promise<Principal[]> => {
    const missing = ids.filter((id) => !principals.has(id));
    if (missing.length > 0) {
      const known = principals;
      const found = await tx.getPrincipals([...new Set(missing)]);
      for (const id of missing) known.set(id, undefined);
      for (const principal of found) known.set(principal.id, principal);
    }
    return ids.map((id) => principals.get(id)).filter((p): p is Principal => p !== undefined);
  };
  return new Proxy(tx, {
    get(target, property: keyof StoreTx) {
      if (property === 'getPrincipals') return getPrincipals;
      if (property === 'getPrincipal') return async (id: string) => (await getPrincipals([id]))[0];
      const original = target[property];
      if (typeof original !== 'function') return original;
      const area = READS[property];
      if (area) {
        return (...args: unknown[]) => {
          let cache = remembered.get(area);
          if (!cache) remembered.set(area, (cache = new Map()));
          const key = `${property}:${JSON.stringify(args)}`;
          let result = cache.get(key);
          if (!result) {
            result = (original as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            cache.set(key, result);
            result.catch(() => cache!.delete(key));
          }
          return result;
        };
      }
      const stale = WRITES[property];
      if (stale) {
        return (...args: unknown[]) => {
          for (const a of stale) remembered.delete(a);
          if (stale.includes('principals')) principals = new Map();
          return (original as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      }
      return original.bind(target);
    },
  });
}
