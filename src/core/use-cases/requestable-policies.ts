import type { EngineContext } from '../context.js';
import type { Policy } from '../model.js';
import type { Actor } from '../ports.js';
import { listPolicies } from './queries.js';

/**
 * The policies this actor may request under now: those open to everyone and those whose
 * eligible group has them (a platform group's members come from the Directory port; an
 * unreachable directory hides its policies rather than failing). Requesting still checks.
 */
export async function requestablePolicies(ctx: EngineContext, actor: Actor): Promise<Array<Policy & { approverGroupName: string }>> {
  if (actor.kind !== 'principal') return [];
  const policies = await listPolicies(ctx);
  const { memberOf, directoryGroups, identities } = await ctx.store.read(async (tx) => {
    const memberOf = new Set<string>();
    const directoryGroups: Array<{ id: string; ref: string }> = [];
    for (const groupId of new Set(policies.map((p) => p.eligibleGroupId).filter((id): id is string => id !== null))) {
      const group = await tx.getGroup(groupId);
      if (group?.source === 'directory' && group.directoryRef) directoryGroups.push({ id: group.id, ref: group.directoryRef });
      else if (group && (await tx.listGroupMemberIds(group.id)).includes(actor.principalId)) memberOf.add(groupId);
    }
    return { memberOf, directoryGroups, identities: (await tx.getPrincipal(actor.principalId))?.identities ?? [] };
  });
  // Directory I/O outside the read, as everywhere in the core.
  for (const group of directoryGroups) {
    const members = await ctx.directory.resolveGroupMembers(group.ref).catch((): string[] => []);
    if (members.some((member) => identities.includes(member))) memberOf.add(group.id);
  }
  return policies.filter((p) => p.eligibleGroupId === null || memberOf.has(p.eligibleGroupId));
}
