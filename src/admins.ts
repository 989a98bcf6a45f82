import { ADMINS_GROUP, AUDITORS_GROUP } from './core/context.js';
import type { Principal } from './core/model.js';
import { describePerson } from './core/people.js';
import type { Store, StoreTx } from './core/ports.js';
import { findPrincipal } from './core/principals.js';

/** How the stored `admins` (or `auditors`) group differs from the configuration that first filled it. */
export interface GroupDrift {
  group: typeof ADMINS_GROUP | typeof AUDITORS_GROUP;
  variable: 'ELEVATE_ADMINS' | 'ELEVATE_AUDITORS';
  /** Configured principals who are not members. */
  notMembers: string[];
  /** Members the variable does not list ("Carol (slack:UCAROL)"). */
  notConfigured: string[];
}

async function findPrincipalOrNone(tx: StoreTx, ref: string): Promise<Principal | undefined> {
  try {
    return await findPrincipal(tx, ref);
  } catch {
    return undefined;
  }
}

/**
 * Compares ELEVATE_ADMINS / ELEVATE_AUDITORS with the stored groups. The variables fill a group
 * only while it is empty (first start); afterwards the groups change through (protected)
 * configuration changes, so the two may differ: this says how. Only groups that differ are returned.
 */
export async function groupDrift(store: Store, configured: { admins: string[]; auditors: string[] }): Promise<GroupDrift[]> {
  return store.read(async (tx) => {
    const drifts: GroupDrift[] = [];
    for (const [group, variable, refs] of [[ADMINS_GROUP, 'ELEVATE_ADMINS', configured.admins], [AUDITORS_GROUP, 'ELEVATE_AUDITORS', configured.auditors]] as const) {
      const stored = await tx.findGroupByName(group);
      const memberIds = stored ? await tx.listGroupMemberIds(stored.id) : [];
      // An empty group is filled from the variable at the next start: nothing differs yet.
      if (memberIds.length === 0) continue;
      const listed = new Set<string>();
      const notMembers: string[] = [];
      for (const ref of refs) {
        const principal = await findPrincipalOrNone(tx, ref);
        if (principal) listed.add(principal.id);
        if (!principal || !memberIds.includes(principal.id)) notMembers.push(ref);
      }
      // With the variable unset, the group is managed in Elevate alone: nothing to compare.
      const unlisted = refs.length === 0 ? [] : memberIds.filter((id) => !listed.has(id));
      const principals = await tx.getPrincipals(unlisted);
      const notConfigured = unlisted.map((id) => describePerson(principals.find((p) => p.id === id), id)).sort();
      if (notMembers.length > 0 || notConfigured.length > 0) drifts.push({ group, variable, notMembers, notConfigured });
    }
    return drifts;
  });
}

/** What differs, and how to change the group. */
export function driftParts(drift: GroupDrift): { what: string; how: string } {
  const parts = [
    ...(drift.notMembers.length > 0 ? [`${drift.variable} lists ${drift.notMembers.join(', ')}, not in the ${drift.group} group`] : []),
    ...(drift.notConfigured.length > 0 ? [`the ${drift.group} group has ${drift.notConfigured.join(', ')}, not in ${drift.variable}`] : []),
  ];
  return {
    what: `${parts.join('; ')} (${drift.variable} only fills the ${drift.group} group while it is empty, at first start)`,
    how: `change ${drift.group} with "elevate group add-member ${drift.group} <principal>" or "elevate group remove-member ${drift.group} <principal>" `
      + `(a protected change once there are two admins); "elevate group get ${drift.group}" shows who they are and who added them`,
  };
}

/** One sentence for a drift, saying how to change the group. */
export function describeDrift(drift: GroupDrift): string {
  const { what, how } = driftParts(drift);
  return `${what}: ${how}`;
}
