import type { EngineContext } from '../context.js';
import type { Policy } from '../model.js';
import type { Actor } from '../ports.js';
import { listPolicies } from './queries.js';

/**
 * The policies this actor may request under now: those open to everyone and those whose
 * eligible group has them (a platform group's members come from the Directory port; an
 * unreachable directory hides its policies rather than failing). Requesting still checks.
 */
export async function requestablePolicies(ctx: EngineContext, actor: Actor): Promise<Array<Policy & { approverGroupName: string; eligibleGroupName: string | null }>> {
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

/**
 * What someone who may request nothing is told: who decides eligibility. "No access can be
 * requested yet" without policies; otherwise the groups that may request (ask to join one, at
 * most a few named) and the admins.
 */
export async function whoToAsk(ctx: EngineContext): Promise<string> {
  const policies = await listPolicies(ctx);
  if (policies.length === 0) return 'No access can be requested yet: an Elevate admin has to create a policy first.';
  const groups = [...new Set(policies.map((p) => p.eligibleGroupName).filter((name): name is string => name !== null))];
  // A few names read as advice; a long list would not.
  const shown = groups.slice(0, 5);
  const more = groups.length > shown.length ? ` and ${groups.length - shown.length} more` : '';
  return `You are not eligible to request any target yet. Each target is open to the members of one group (${shown.join(', ')}${more}): `
    + 'ask the owner of the group you need, or an Elevate admin, to add you.';
}
