import { runChange, type EngineContext } from '../context.js';
import { applyConfigurationChange } from '../configuration-changes.js';
import { planDocument, type ConfigurationDocument, type DocumentPlan } from '../configuration-document.js';
import { requireAdmin } from '../groups.js';
import type { Actor } from '../ports.js';

/** Carries a trial run's result out of its transaction, which it rolls back. */
class TrialDone extends Error {
  constructor(readonly plan: DocumentPlan) {
    super('trial run rolled back');
  }
}

/**
 * What applying a configuration document would change (admins): the plan, checked by applying
 * every change in a transaction that is then rolled back, so a document that would fail to apply
 * (an unknown group, a policy nobody could approve) is refused here with the reason. Changes
 * nothing and audits nothing but a refusal. Removed policies with active grants are tried with
 * their grants kept unless `activeGrants` says otherwise (the plan counts them).
 */
export async function planConfiguration(
  ctx: EngineContext, actor: Actor, doc: ConfigurationDocument, options: { activeGrants?: 'end' | 'keep' } = {},
): Promise<DocumentPlan> {
  try {
    await runChange(ctx, actor, { action: 'configuration.plan', subject: 'document' }, async (change) => {
      await requireAdmin(change, 'plan configuration changes');
      const plan = await planDocument(change, doc, { activeGrants: options.activeGrants ?? 'keep' });
      for (const step of plan.changes) plan.warnings.push(...(await applyConfigurationChange(change, step, { dryRun: false })).warnings);
      throw new TrialDone(plan);
    });
  } catch (error) {
    if (error instanceof TrialDone) {
      const plan = error.plan;
      // The plan shows the changes as they will be asked for (the trial kept grants only to go on).
      const changes = plan.changes.map((c) => (c.kind === 'policy.remove' && !options.activeGrants ? { kind: c.kind, targetName: c.targetName } : c));
      return { ...plan, changes, warnings: [...new Set(plan.warnings)] };
    }
    throw error;
  }
  throw new Error('unreachable: a trial run always rolls back');
}
