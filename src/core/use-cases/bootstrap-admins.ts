import { ADMINS_GROUP, AUDITORS_GROUP, runChange, type EngineContext } from '../context.js';
import type { Group } from '../model.js';
import { resolvePrincipal } from '../principals.js';

/**
 * Makes sure the built-in groups exist and, while a group has no members yet, fills it with the
 * principals named in configuration. Once it has members, the group is managed through (protected)
 * configuration changes only: a restart must not bring back an admin whom two admins removed.
 * Returns what it added; `ignored` lists configured principals it left out for that reason.
 */
export async function bootstrapAdmins(ctx: EngineContext, configured: { admins: string[]; auditors: string[] }): Promise<{ added: string[]; ignored: string[] }> {
  return runChange(ctx, { kind: 'operator', origin: 'cli' }, { action: 'bootstrap', subject: ADMINS_GROUP }, async (change) => {
    const added: string[] = [];
    const ignored: string[] = [];
    for (const [name, refs] of [[ADMINS_GROUP, configured.admins], [AUDITORS_GROUP, configured.auditors]] as const) {
      let group = await change.tx.findGroupByName(name);
      if (!group) {
        group = { id: ctx.ids.next('group'), name, description: `Elevate ${name} (built in)`, source: 'elevate', directoryRef: null, createdAt: change.now } satisfies Group;
        await change.tx.insertGroup(group);
        change.audit('group.created', name, { group, bootstrap: true });
      }
      const hasMembers = (await change.tx.listGroupMemberIds(group.id)).length > 0;
      for (const ref of refs) {
        const principal = await resolvePrincipal(change, ref);
        if (hasMembers) {
          if (!(await change.tx.listGroupMemberIds(group.id)).includes(principal.id)) ignored.push(`${ref} → ${name}`);
          continue;
        }
        if (await change.tx.addGroupMember(group.id, principal.id, change.now)) {
          change.audit('group.memberAdded', name, { member: ref, principalId: principal.id, bootstrap: true });
          added.push(`${ref} → ${name}`);
        }
      }
    }
    return { added, ignored };
  });
}
