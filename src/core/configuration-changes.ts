import type { Change } from './context.js';
import { describeChange } from './configuration-changes-text.js';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';
import { requireGroupByName } from './groups.js';
import type { ConfigurationChange, Group, Policy } from './model.js';
import { announceInFeed } from './notify.js';
import { endGrant } from './grants.js';
import { nameOf } from './notify.js';
import {
  buildPolicy, ensureApprovable, ensureGroupStillApproves, normalizePolicyFields, policyToInput, resolvePolicyGroups,
} from './policies.js';
import { describeAccounts, holdingsOf, mergeInto } from './linking.js';
import { findPrincipal, normalizeIdentity, parsePrincipalRef, resolvePrincipal } from './principals.js';
import { closestNames, targetKey } from './targets.js';

const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const DIRECTORY_REF_PATTERN = /^(slack|teams):\S{1,200}$/;

function requireIdentity(text: string): string {
  const identity = normalizeIdentity(text);
  if (!identity) throw new InvalidInputError(`"${text.slice(0, 80)}" is not an account: write slack:U…, teams:<user id> or oidc:<subject>`, { field: 'identity' });
  return identity;
}

export async function requirePolicy(change: Change, targetName: string): Promise<Policy> {
  const policy = await change.tx.findPolicyByTargetKey(targetKey(targetName));
  if (policy) return policy;
  const names = (await change.tx.listPolicies()).map((p) => p.target.name);
  const closest = closestNames(targetName, names);
  throw new NotFoundError(
    `no policy for ${targetName}${closest.length ? `; closest targets: ${closest.join(', ')}` : ''}`,
    { field: 'target', closest },
  );
}

/** What a configuration change did (or, in a dry run, would do). */
export interface AppliedChange {
  summary: string;
  /**
   * Things the change allows but an admin should know, e.g. approvers whose own requests could
   * never be approved. Shown with the outcome, posted to the feed and audited with the change.
   */
  warnings: string[];
}

// Active grants ended per query when a policy is removed with them (a policy rarely has more).
const GRANT_BATCH = 500;

/**
 * Checks a configuration change and, unless `dryRun`, applies it exactly as written. The same code
 * serves direct changes and changes applied on approval, so an approved change is the one asked for.
 */
export async function applyConfigurationChange(
  change: Change,
  config: ConfigurationChange,
  options: { dryRun: boolean; approval?: { requestId: string; requestedBy: string; approvedBy: string } },
): Promise<AppliedChange> {
  const applied = await applyChange(change, config, options);
  return typeof applied === 'string' ? { summary: applied, warnings: [] } : applied;
}

async function applyChange(
  change: Change,
  config: ConfigurationChange,
  options: { dryRun: boolean; approval?: { requestId: string; requestedBy: string; approvedBy: string } },
): Promise<string | AppliedChange> {
  const tx = change.tx;
  const summary = describeChange(config);
  const audit = (action: string, subject: string, details: Record<string, unknown>, warnings: string[] = []) => {
    if (options.dryRun) return;
    change.audit(action, subject, { ...details, ...(warnings.length > 0 ? { warnings } : {}), ...(options.approval ? { approval: options.approval } : {}) });
    announceInFeed(change, 'Configuration changed', [summary, ...warnings.map((w) => `Warning: ${w}`)].join('\n'));
  };

  switch (config.kind) {
    case 'policy.create': {
      const fields = normalizePolicyFields(config.policy, change.ctx.config, change.ctx.patterns);
      if (targetKey(fields.target.name) === targetKey('Elevate\\Configuration')) {
        throw new InvalidInputError('Elevate\\Configuration is built in and cannot have a policy', { field: 'target' });
      }
      const existing = await tx.findPolicyByTargetKey(targetKey(fields.target.name));
      if (existing) {
        throw new ConflictError(
          `a policy for ${existing.target.name} already exists (${existing.approval} approval): change it with policy set`,
        );
      }
      const groups = await resolvePolicyGroups(change, fields);
      const warnings = await ensureApprovable(change, fields, groups);
      if (options.dryRun) return { summary, warnings };
      const policy = buildPolicy(change.ctx.ids.next('policy'), fields, groups, { createdAt: change.now, updatedAt: change.now });
      await tx.insertPolicy(policy);
      audit('policy.created', policy.target.name, { policy }, warnings);
      return { summary, warnings };
    }
    case 'policy.update': {
      const current = await requirePolicy(change, config.targetName);
      const fields = normalizePolicyFields({ ...(await policyToInput(change, current)), ...config.patch }, change.ctx.config, change.ctx.patterns);
      const groups = await resolvePolicyGroups(change, fields);
      const warnings = await ensureApprovable(change, fields, groups);
      if (options.dryRun) return { summary, warnings };
      const policy = buildPolicy(current.id, fields, groups, { createdAt: current.createdAt, updatedAt: change.now });
      await tx.updatePolicy(policy);
      audit('policy.updated', policy.target.name, { before: current, after: policy }, warnings);
      return { summary, warnings };
    }
    case 'policy.remove': {
      const policy = await requirePolicy(change, config.targetName);
      const active = await tx.listGrants({ policyIds: [policy.id], status: 'active', limit: GRANT_BATCH });
      if (active.length > 0 && config.activeGrants === undefined) {
        throw new ConflictError(
          `policy ${policy.target.name} has ${active.length === GRANT_BATCH ? `${GRANT_BATCH} or more` : active.length} active grant(s): `
            + 'say whether to end them now (--end-grants) or let them run to their end (--keep-grants)',
          { field: 'activeGrants', activeGrants: active.length },
        );
      }
      if (options.dryRun) return summary;
      await tx.deletePolicy(policy.id);
      audit('policy.removed', policy.target.name, { policy, activeGrants: config.activeGrants ?? null });
      if (config.activeGrants === 'end') await endGrantsOfRemovedPolicy(change, policy);
      return summary;
    }
    case 'group.create': {
      const name = config.name.trim();
      if (!GROUP_NAME_PATTERN.test(name)) {
        throw new InvalidInputError(`group name "${config.name}" must be 1-64 letters, digits, spaces, dots, dashes or underscores`, { field: 'name' });
      }
      if (config.directoryRef !== null && !DIRECTORY_REF_PATTERN.test(config.directoryRef)) {
        throw new InvalidInputError(`directory group "${config.directoryRef}" must be written slack:<user group id> or teams:<group id>`, { field: 'directoryRef' });
      }
      if (await tx.findGroupByName(name)) throw new ConflictError(`group ${name} already exists`);
      if (options.dryRun) return summary;
      const group: Group = {
        id: change.ctx.ids.next('group'), name, description: config.description?.trim() || null,
        source: config.directoryRef ? 'directory' : 'elevate', directoryRef: config.directoryRef, createdAt: change.now,
      };
      await tx.insertGroup(group);
      audit('group.created', name, { group });
      return summary;
    }
    case 'group.addMember':
    case 'group.removeMember': {
      const group = await requireGroupByName(tx, config.group);
      if (group.source === 'directory') {
        throw new InvalidInputError(`group ${group.name} is linked to ${group.directoryRef}: change its members there`, { field: 'group' });
      }
      parsePrincipalRef(config.member);
      const member = await resolvePrincipal(change, config.member);
      if (config.kind === 'group.addMember') {
        if (options.dryRun) return summary;
        if (!(await tx.addGroupMember(group.id, member.id, change.now))) {
          throw new ConflictError(`${config.member} is already a member of ${group.name}`);
        }
        audit('group.memberAdded', group.name, { member: config.member, principalId: member.id });
        return summary;
      }
      const members = await tx.listGroupMemberIds(group.id);
      if (!members.includes(member.id)) throw new NotFoundError(`${config.member} is not a member of ${group.name}`);
      if (group.name === 'admins' && members.length === 1) {
        throw new ConflictError('the last admin cannot be removed: add another admin first');
      }
      const remaining = members.filter((id) => id !== member.id);
      const warnings = await ensureGroupStillApproves(change, group, remaining, `removing ${config.member} from ${group.name}`);
      if (options.dryRun) return { summary, warnings };
      await tx.removeGroupMember(group.id, member.id);
      audit('group.memberRemoved', group.name, { member: config.member, principalId: member.id }, warnings);
      return { summary, warnings };
    }
    case 'pam.disable': {
      const settings = await tx.getSettings();
      if (!settings.pamEnabled) throw new ConflictError('PAM is already disabled');
      if (options.dryRun) return summary;
      await tx.putSettings({ ...settings, pamEnabled: false });
      audit('pam.disabled', 'pam', {});
      return summary;
    }
    case 'pam.enable': {
      const settings = await tx.getSettings();
      if (settings.pamEnabled) throw new ConflictError('PAM is already enabled');
      if (options.dryRun) return summary;
      await tx.putSettings({ ...settings, pamEnabled: true });
      audit('pam.enabled', 'pam', {});
      return summary;
    }
    case 'document.apply': {
      // Each change depends on those before it (a group created, then a policy naming it), so a
      // dry run could not check them one by one: documents are checked by a trial run rolled back
      // (src/core/use-cases/plan-configuration.ts) and always applied for real here.
      if (options.dryRun) throw new InvalidInputError('a configuration document is checked by its plan, not by a dry run', { field: 'kind' });
      const warnings: string[] = [];
      for (const step of config.changes) {
        if (step.kind === 'document.apply') throw new InvalidInputError('a configuration document cannot hold another', { field: 'kind' });
        warnings.push(...(await applyConfigurationChange(change, step, options)).warnings);
      }
      change.audit('configuration.documentApplied', 'configuration', { plan: config.plan, changes: config.changes.length, ...(options.approval ? { approval: options.approval } : {}) });
      return { summary, warnings };
    }
    case 'feed.set': {
      // Slack's feed is SLACK_AUDIT_CHANNEL; Teams channels are only known from inside them.
      if (config.platform !== 'teams') throw new InvalidInputError(`the ${config.platform} audit feed is set in configuration, not in chat`, { field: 'platform' });
      if (!/^\S{1,300}$/.test(config.conversation)) throw new InvalidInputError('that conversation id is not valid', { field: 'conversation' });
      const settings = await tx.getSettings();
      if (options.dryRun) return summary;
      await tx.putSettings({ ...settings, feedConversations: { ...settings.feedConversations, [config.platform]: config.conversation } });
      audit('feed.set', config.platform, { from: settings.feedConversations[config.platform] ?? null, to: config.conversation });
      return summary;
    }
    case 'principal.link': {
      const identity = requireIdentity(config.identity);
      const principal = await findPrincipal(tx, config.principal);
      const current = await tx.findPrincipalByIdentity(identity);
      if (current?.id === principal.id) throw new ConflictError(`${identity} already belongs to ${principal.id}`);
      if (current) {
        const held = await holdingsOf(tx, current, change.now);
        if (held.length > 0) {
          throw new ConflictError(`${identity} belongs to ${describeAccounts(current)}, which holds ${held.join(', ')}: end or move those first`);
        }
      }
      if (options.dryRun) return summary;
      if (current) {
        await mergeInto(change, principal, current, 'admin', options.approval ? { approval: options.approval } : {});
      } else {
        await tx.assignIdentity(identity, principal.id, 'admin', change.now);
        audit('principal.linked', principal.id, { identity, from: null, by: 'admin' });
      }
      if (current) announceInFeed(change, 'Configuration changed', summary);
      return summary;
    }
    case 'principal.unlink': {
      const identity = requireIdentity(config.identity);
      const current = await tx.findPrincipalByIdentity(identity);
      if (!current) throw new NotFoundError(`${identity} is not known to Elevate`, { field: 'identity' });
      if (current.identities.length === 1) throw new ConflictError(`${identity} is the only account of ${current.id}: there is nothing to unlink it from`);
      if (options.dryRun) return summary;
      const id = change.ctx.ids.next('principal');
      await tx.insertPrincipal({ id, displayName: null }, null, change.now);
      await tx.assignIdentity(identity, id, 'unlinked', change.now);
      audit('principal.unlinked', current.id, { identity, to: id });
      return summary;
    }
    case 'settings.protectedConfiguration': {
      if (!['auto', 'on', 'off'].includes(config.mode)) {
        throw new InvalidInputError(`protected configuration must be auto, on or off, not "${config.mode}"`, { field: 'mode' });
      }
      const settings = await tx.getSettings();
      if (options.dryRun) return summary;
      await tx.putSettings({ ...settings, protectedConfiguration: config.mode });
      audit('settings.protectedConfiguration', 'settings', { from: settings.protectedConfiguration, to: config.mode });
      return summary;
    }
  }
}

/** Revokes every active grant of a policy being removed (`policy.remove` with `activeGrants: 'end'`). */
async function endGrantsOfRemovedPolicy(change: Change, policy: Policy): Promise<void> {
  const principalId = change.principalId;
  const by = { principalId: principalId ?? null, name: principalId ? await nameOf(change, principalId) : 'the operator' };
  for (;;) {
    const batch = await change.tx.listGrants({ policyIds: [policy.id], status: 'active', limit: GRANT_BATCH });
    if (batch.length === 0) return;
    for (const grant of batch) await endGrant(change, grant, 'revoked', by, `policy ${policy.target.name} removed`);
  }
}
