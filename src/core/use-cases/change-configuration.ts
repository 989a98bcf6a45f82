import { ADMINS_GROUP, runChange, type Change, type EngineContext } from '../context.js';
import { applyConfigurationChange } from '../configuration-changes.js';
import { describeChange } from '../configuration-changes-text.js';
import { requireAdmin, requireGroupByName } from '../groups.js';
import { CONFIGURATION_TARGET, type AccessRequest, type ConfigurationChange } from '../model.js';
import { publishRequest } from '../notify.js';
import type { Actor, StoreTx } from '../ports.js';
import { signRequest } from '../signature.js';
import { addSeconds } from '../time.js';

/** `warnings`: what the change allows but an admin should know (see `AppliedChange`). */
export type ConfigurationOutcome =
  | { status: 'applied'; summary: string; warnings: string[] }
  | { status: 'pending'; summary: string; warnings: string[]; request: AccessRequest };

/** Is protected configuration in force (setting `on`, or `auto` with two or more admins)? */
export async function isConfigurationProtected(tx: StoreTx): Promise<boolean> {
  const { protectedConfiguration } = await tx.getSettings();
  if (protectedConfiguration !== 'auto') return protectedConfiguration === 'on';
  const admins = await tx.findGroupByName(ADMINS_GROUP);
  return admins ? (await tx.listGroupMemberIds(admins.id)).length >= 2 : false;
}

/**
 * Policy, group and PAM-off changes. An admin's change under protected configuration becomes a
 * request on Elevate\Configuration that another admin must approve; it is applied on approval
 * exactly as written. The server CLI's operator (break-glass) and unprotected setups apply at once.
 */
export async function changeConfiguration(ctx: EngineContext, actor: Actor, config: ConfigurationChange): Promise<ConfigurationOutcome> {
  return runChange(ctx, actor, { action: 'configuration.change', subject: config.kind }, async (change) => {
    await requireAdmin(change, 'change policies, groups or PAM settings');
    const principalId = change.principalId;
    if (!principalId || !(await isConfigurationProtected(change.tx))) {
      const { summary, warnings } = await applyConfigurationChange(change, config, { dryRun: false });
      return { status: 'applied', summary, warnings };
    }
    const { summary, warnings } = await applyConfigurationChange(change, config, { dryRun: true });
    const request = await requestConfigurationChange(change, principalId, config, summary, warnings);
    return { status: 'pending', summary, warnings, request };
  });
}

/**
 * Records a configuration change as a request on Elevate\Configuration that another admin must
 * approve (applied exactly as written on approval) and shows it to the admins.
 */
export async function requestConfigurationChange(
  change: Change, principalId: string, config: ConfigurationChange, summary: string, warnings: string[],
): Promise<AccessRequest> {
    const unsigned = {
      id: change.ctx.ids.next('request'),
      requesterId: principalId,
      requesterIdentity: change.actor.kind === 'principal' ? change.actor.identity ?? null : null,
      policyId: null,
      policyVersion: null,
      extendsGrantId: null,
      target: CONFIGURATION_TARGET,
      durationSeconds: 0,
      reason: summary,
      ticket: null,
      status: 'pending' as const,
      createdAt: change.now,
      deadlineAt: addSeconds(change.now, change.ctx.config.requestTimeoutSeconds),
      decidedAt: null,
      decidedBy: null,
      decisionComment: null,
      approvalsRequired: 1,
      grantId: null,
      change: config,
      origin: change.origin,
      remindedAt: null,
      startsAt: null,
      remindersSent: 0,
    };
    const request: AccessRequest = { ...unsigned, signature: signRequest(change.ctx.config.keys.signing, unsigned) };
    await change.tx.insertRequest(request);
    change.audit('configuration.requested', request.id, { change: config, summary: describeChange(config), ...(warnings.length > 0 ? { warnings } : {}) });
    const admins = await requireGroupByName(change.tx, ADMINS_GROUP);
    await publishRequest(change, request, `configuration change requested: ${summary}`, {
      approverIds: await change.tx.listGroupMemberIds(admins.id),
    });
    return request;
}
