import { card } from '../cards.js';
import { ADMINS_GROUP, runChange, type EngineContext } from '../context.js';
import type { AuditRecord, Group, Policy } from '../model.js';
import { messageTo } from '../notify.js';
import type { AuditFilter, Store } from '../ports.js';

const SHORT = 'group.approversShort';
const RESTORED = 'group.approversRestored';

/** A policy its approver group can no longer serve: no member at all, or fewer than its N approvals. */
function isShort(policy: Policy, members: number): boolean {
  return members === 0 || (policy.approval === 'manual' && members < policy.approvalsRequired);
}

/** The newest record matching `filter` (records come oldest first, a page at a time). */
async function newest(store: Store, filter: AuditFilter): Promise<AuditRecord | undefined> {
  let last: AuditRecord | undefined;
  for (;;) {
    const page = await store.listAudit({ ...filter, afterSeq: last?.seq });
    if (page.length === 0) return last;
    last = page[page.length - 1];
  }
}

/** What was last said about a group: short (with the details then), restored, or nothing yet. */
async function lastNotice(store: Store, group: Group): Promise<{ short: boolean; signature: string | null }> {
  const short = await newest(store, { subject: group.name, action: SHORT });
  const restored = await newest(store, { subject: group.name, action: RESTORED });
  if (!short || (restored && restored.seq > short.seq)) return { short: false, signature: null };
  return { short: true, signature: typeof short.details.signature === 'string' ? short.details.signature : null };
}

/**
 * Called when this instance reads a platform-linked group's members and they changed: if the
 * group decides policies it can no longer serve (fewer members than a policy's approvals, or
 * none), the admins and the audit feed are told, and told again when it recovers; each state is
 * said once (checked against the audit log), so reading the group again says nothing new. Two
 * instances noticing the same change at the same moment may both say it.
 */
export async function noticeDirectoryGroup(ctx: EngineContext, ref: string, identities: string[]): Promise<void> {
  const watched = await ctx.store.read(async (tx) => {
    const groups = (await tx.listGroups()).filter((g) => g.source === 'directory' && g.directoryRef === ref);
    const policies = await tx.listPolicies();
    return groups.map((group) => ({ group, policies: policies.filter((p) => p.approverGroupId === group.id) }))
      .filter((entry) => entry.policies.length > 0);
  });
  const members = new Set(identities).size;
  for (const { group, policies } of watched) {
    const short = policies.filter((p) => isShort(p, members)).sort((a, b) => a.target.name.localeCompare(b.target.name));
    const signature = `${members}:${short.map((p) => `${p.target.name}/${p.approvalsRequired}`).join(',')}`;
    const said = await lastNotice(ctx.store, group);
    if (short.length === 0 ? !said.short : said.signature === signature) continue;
    const platform = ref.slice(0, ref.indexOf(':')) === 'teams' ? 'teams' : 'slack';
    await runChange(ctx, { kind: 'system', origin: platform }, { action: short.length > 0 ? SHORT : RESTORED, subject: group.name }, async (change) => {
      const needs = short.map((p) => `${p.target.name} needs ${p.approvalsRequired} approval(s)`).join('; ');
      const title = short.length > 0 ? `Approver group ${group.name} is too small` : `Approver group ${group.name} can approve again`;
      const text = short.length > 0
        ? `${group.name} (${ref}) now has ${members} member(s): ${needs}, so new requests there cannot be approved. `
          + `Add people to ${ref}, or lower the policy's approvals required (policy set … --approvals-required N)`
        : `${group.name} (${ref}) has ${members} member(s) again: every policy it decides can reach its approvals`;
      change.audit(short.length > 0 ? SHORT : RESTORED, group.name, {
        ref, members, signature, policies: short.map((p) => ({ target: p.target.name, approvalsRequired: p.approvalsRequired })),
      });
      const alert = card({ title, summary: text, status: { tone: short.length > 0 ? 'warning' : 'info', text } });
      const admins = await change.tx.findGroupByName(ADMINS_GROUP);
      if (admins) await messageTo(change, await change.tx.listGroupMemberIds(admins.id), alert);
      for (const feed of change.ctx.config.feedPlatforms) {
        change.deliver({ platform: feed, destination: { kind: 'feed' }, kind: 'message', cardKey: null, card: alert });
      }
    });
  }
}
