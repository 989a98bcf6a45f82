import { driftParts, groupDrift } from '../../admins.js';
import { ADMINS_GROUP } from '../../core/context.js';
import { describePerson } from '../../core/people.js';
import { ok, skip, warn, type Check, type CheckResult } from '../doctor.js';

/** Who the admins are, and whether ELEVATE_ADMINS / ELEVATE_AUDITORS still say the same. */
export const adminsCheck: Check = {
  name: 'admins',
  async run(ctx) {
    if (!ctx.config || !ctx.store) return [skip('admins', 'needs the database')];
    const admins = await ctx.store.read(async (tx) => {
      const group = await tx.findGroupByName(ADMINS_GROUP);
      return group ? tx.getPrincipals(await tx.listGroupMemberIds(group.id)) : [];
    });
    const configured = ctx.config.ELEVATE_ADMINS;
    const results: CheckResult[] = admins.length > 0
      ? [ok('admins', `${admins.length}: ${admins.map((p) => describePerson(p, p.id)).sort().join(', ')}`)]
      : configured.length > 0
        ? [ok('admins', `none yet: ELEVATE_ADMINS fills the group at the next start (${configured.join(', ')})`)]
        : [warn('admins', 'there are no admins: nobody can create policies or groups from chat', 'set ELEVATE_ADMINS=slack:U… (or teams:…) and start Elevate, or run elevate group add-member admins <principal>')];
    for (const drift of await groupDrift(ctx.store, { admins: ctx.config.ELEVATE_ADMINS, auditors: ctx.config.ELEVATE_AUDITORS })) {
      const { what, how } = driftParts(drift);
      results.push(warn(drift.group, what, how));
    }
    return results;
  },
};
