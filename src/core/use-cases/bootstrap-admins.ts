import { ADMINS_GROUP, AUDITORS_GROUP, runChange, type EngineContext } from '../context.js';
import type { Group } from '../model.js';
import { resolvePrincipal } from '../principals.js';

/**
 * Makes sure the built-in groups exist and that the principals named in configuration are admins
 * (and auditors). It only adds: removing an admin is a configuration change like any other.
 */
export async function bootstrapAdmins(ctx: EngineContext, configured: { admins: string[]; auditors: string[] }): Promise<string[]> {
  return runChange(ctx, { kind: 'operator', origin: 'cli' }, { action: 'bootstrap', subject: ADMINS_GROUP }, async (change) => {
    const added: string[] = [];
    for (const [name, refs] of [[ADMINS_GROUP, configured.admins], [AUDITORS_GROUP, configured.auditors]] as const) {
      let group = await change.tx.findGroupByName(name);
      if (!group) {
        group = { id: ctx.ids.next('group'), name, description: `Elevate ${name} (built in)`, source: 'elevate', directoryRef: null, createdAt: change.now } satisfies Group;
        await change.tx.insertGroup(group);
        change.audit('group.created', name, { group, bootstrap: true });
      }
      for (const ref of refs) {
        const principal = await resolvePrincipal(change.tx, ctx.ids, ref);
        if (await change.tx.addGroupMember(group.id, principal.id, change.now)) {
          change.audit('group.memberAdded', name, { member: ref, principalId: principal.id, bootstrap: true });
          added.push(`${ref} → ${name}`);
        }
      }
    }
    return added;
  });
}
