import { ADMINS_GROUP, AUDITORS_GROUP, DirectoryLookupNeeded, type Change } from './context.js';
import { NotAllowedError, NotFoundError } from './errors.js';
import type { AccessRequest, Group, Policy } from './model.js';
import { ensurePrincipal } from './principals.js';
import type { StoreTx } from './ports.js';

/** Member principal ids of a group, now. A platform group's members come from the Directory port. */
export async function groupMemberIds(change: Change, group: Group): Promise<string[]> {
  if (group.source === 'elevate') return change.tx.listGroupMemberIds(group.id);
  const identities = change.directoryMembers.get(group.directoryRef!);
  if (!identities) throw new DirectoryLookupNeeded(group.directoryRef!);
  const members = [];
  for (const identity of identities) members.push((await ensurePrincipal(change, identity, 'directory')).id);
  return members;
}

export async function requireGroupByName(tx: StoreTx, name: string): Promise<Group> {
  const group = await tx.findGroupByName(name.trim());
  if (!group) {
    const known = (await tx.listGroups()).map((g) => g.name);
    throw new NotFoundError(`group "${name}" does not exist${known.length ? ` (known: ${known.join(', ')})` : ''}`, {
      field: 'group',
      known,
    });
  }
  return group;
}

/** The approver group of a policy, falling back to the configured default. */
export async function approverGroupOf(change: Change, policy: Policy): Promise<Group> {
  if (policy.approverGroupId) {
    const group = await change.tx.getGroup(policy.approverGroupId);
    if (group) return group;
  }
  return requireGroupByName(change.tx, change.ctx.config.defaultApproverGroup);
}

async function isMemberOfNamed(tx: StoreTx, groupName: string, principalId: string): Promise<boolean> {
  const group = await tx.findGroupByName(groupName);
  if (!group || group.source !== 'elevate') return false;
  return (await tx.listGroupMemberIds(group.id)).includes(principalId);
}

export function isAdmin(tx: StoreTx, principalId: string): Promise<boolean> {
  return isMemberOfNamed(tx, ADMINS_GROUP, principalId);
}

export function isAuditor(tx: StoreTx, principalId: string): Promise<boolean> {
  return isMemberOfNamed(tx, AUDITORS_GROUP, principalId);
}

/** Admins manage policies and groups; the operator (server CLI) always may. */
export async function requireAdmin(change: Change, what: string): Promise<void> {
  const principalId = change.principalId;
  if (change.actor.kind === 'operator') return;
  if (principalId && (await isAdmin(change.tx, principalId))) return;
  throw new NotAllowedError(`only Elevate admins may ${what}`);
}

/** Admins and auditors see everything. */
export async function seesEverything(tx: StoreTx, actor: Change['actor']): Promise<boolean> {
  if (actor.kind !== 'principal') return true;
  return (await isAdmin(tx, actor.principalId)) || (await isAuditor(tx, actor.principalId));
}

/** Members of the group that decides a request now. */
export async function approverIdsOf(change: Change, request: AccessRequest): Promise<string[]> {
  const policy = request.policyId ? await change.tx.getPolicy(request.policyId) : undefined;
  const group = request.change || !policy
    ? await change.tx.findGroupByName(request.change ? ADMINS_GROUP : change.ctx.config.defaultApproverGroup)
    : await approverGroupOf(change, policy);
  return group ? groupMemberIds(change, group) : [];
}
