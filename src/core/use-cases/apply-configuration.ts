import { runChange, type EngineContext } from '../context.js';
import { applyConfigurationChange } from '../configuration-changes.js';
import { describeChange } from '../configuration-changes-text.js';
import { describePlan, planDocument, type ConfigurationDocument, type DocumentPlan } from '../configuration-document.js';
import { ConflictError } from '../errors.js';
import { requireAdmin } from '../groups.js';
import type { AccessRequest, ConfigurationChange } from '../model.js';
import type { Actor } from '../ports.js';
import { isConfigurationProtected, requestConfigurationChange } from './change-configuration.js';
import { planConfiguration } from './plan-configuration.js';

export type DocumentOutcome =
  | { status: 'unchanged'; plan: DocumentPlan }
  | { status: 'applied'; plan: DocumentPlan; warnings: string[] }
  | { status: 'pending'; plan: DocumentPlan; warnings: string[]; request: AccessRequest };

/**
 * Applies a configuration document as one change (admins): every planned change and its audit
 * in one transaction, plus a `configuration.documentApplied` record with the plan. Under
 * protected configuration an admin's apply becomes one configuration request showing the whole
 * plan, applied exactly as planned when another admin approves it; the operator (server CLI)
 * applies directly. Removing a policy with active grants needs `activeGrants`.
 */
export async function applyConfiguration(
  ctx: EngineContext, actor: Actor, doc: ConfigurationDocument, options: { activeGrants?: 'end' | 'keep' } = {},
): Promise<DocumentOutcome> {
  const trial = await planConfiguration(ctx, actor, doc, options);
  if (trial.changes.length === 0) return { status: 'unchanged', plan: trial };
  const held = trial.items.filter((item) => item.activeGrants);
  if (held.length > 0 && !options.activeGrants) {
    throw new ConflictError(
      `${held.map((i) => `policy ${i.name} has ${i.activeGrants} active grant(s)`).join('; ')}: `
        + 'say whether to end them now (--end-grants) or let them run to their end (--keep-grants)',
      { field: 'activeGrants' },
    );
  }
  return runChange(ctx, actor, { action: 'configuration.apply', subject: 'document' }, async (change) => {
    await requireAdmin(change, 'apply configuration documents');
    const plan = await planDocument(change, doc, options);
    const config: ConfigurationChange = { kind: 'document.apply', changes: plan.changes, plan: describePlan(plan) };
    const principalId = change.principalId;
    if (!principalId || !(await isConfigurationProtected(change.tx))) {
      const { warnings } = await applyConfigurationChange(change, config, { dryRun: false });
      return { status: 'applied', plan: { ...plan, warnings }, warnings };
    }
    // The request shows the whole plan: the approver sees every change they approve.
    const request = await requestConfigurationChange(change, principalId, config, describeChange(config), trial.warnings);
    return { status: 'pending', plan: { ...plan, warnings: trial.warnings }, warnings: trial.warnings, request };
  });
}
