import type { EngineContext } from './context.js';
import { seesEverything } from './groups.js';
import type { AccessRequest, Grant, Policy } from './model.js';
import type { Actor } from './ports.js';

/** What an actor may see: everything (admins, auditors, operator) or their own plus their policies'. */
export interface Visibility {
  all: boolean;
  principalId: string | null;
  /** Policies the actor approves for. */
  policyIds: Set<string>;
}

/** Policies whose approver group (the default group when a policy names none) has this principal now. */
async function approverPolicyIds(ctx: EngineContext, principalId: string): Promise<Set<string>> {
  const snapshot = await ctx.store.read(async (tx) => {
    const groups = await tx.listGroups();
    const memberOf = new Set<string>();
    for (const group of groups) {
      if (group.source === 'elevate' && (await tx.listGroupMemberIds(group.id)).includes(principalId)) memberOf.add(group.id);
    }
    return { principal: await tx.getPrincipal(principalId), groups, memberOf, policies: await tx.listPolicies() };
  });
  const identities = snapshot.principal?.identities ?? [];
  for (const group of snapshot.groups.filter((g) => g.source === 'directory')) {
    // An unreachable directory hides that group's policies rather than failing the listing.
    const members = await ctx.directory.resolveGroupMembers(group.directoryRef!).catch((): string[] => []);
    if (members.some((member) => identities.includes(member))) snapshot.memberOf.add(group.id);
  }
  const defaultGroupId = snapshot.groups.find((g) => g.name === ctx.config.defaultApproverGroup)?.id;
  const approves = (policy: Policy) => {
    const groupId = policy.approverGroupId ?? defaultGroupId;
    return groupId !== undefined && snapshot.memberOf.has(groupId);
  };
  return new Set(snapshot.policies.filter(approves).map((policy) => policy.id));
}

export async function visibilityOf(ctx: EngineContext, actor: Actor): Promise<Visibility> {
  const all = await ctx.store.read((tx) => seesEverything(tx, actor));
  const principalId = actor.kind === 'principal' ? actor.principalId : null;
  return { all, principalId, policyIds: principalId ? await approverPolicyIds(ctx, principalId) : new Set() };
}

export function canSeeRequest(visibility: Visibility, request: AccessRequest, isAdmin = false): boolean {
  if (visibility.all || request.requesterId === visibility.principalId) return true;
  if (request.change) return isAdmin;
  return request.policyId !== null && visibility.policyIds.has(request.policyId);
}

export function canSeeGrant(visibility: Visibility, grant: Grant): boolean {
  return visibility.all || grant.principalId === visibility.principalId || visibility.policyIds.has(grant.policyId);
}
