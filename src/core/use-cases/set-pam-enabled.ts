import { runChange, type EngineContext } from '../context.js';
import { ConflictError } from '../errors.js';
import { requireAdmin } from '../groups.js';
import { announceInFeed } from '../notify.js';
import type { Actor } from '../ports.js';
import { changeConfiguration, isConfigurationProtected, type ConfigurationOutcome } from './change-configuration.js';

/** Enabling PAM loosens nothing, so an admin does it directly; audited all the same. */
export async function enablePam(ctx: EngineContext, actor: Actor): Promise<ConfigurationOutcome> {
  return runChange(ctx, actor, { action: 'pam.enable', subject: 'pam' }, async (change) => {
    await requireAdmin(change, 'enable PAM');
    const settings = await change.tx.getSettings();
    if (settings.pamEnabled) throw new ConflictError('PAM is already enabled');
    await change.tx.putSettings({ ...settings, pamEnabled: true });
    change.audit('pam.enabled', 'pam', {});
    announceInFeed(change, 'PAM enabled', 'PAM was enabled: requests are accepted again');
    return { status: 'applied', summary: 'enable PAM', warnings: [] };
  });
}

/** Disabling PAM is a protected configuration change. */
export function disablePam(ctx: EngineContext, actor: Actor): Promise<ConfigurationOutcome> {
  return changeConfiguration(ctx, actor, { kind: 'pam.disable' });
}

export interface PamStatus {
  enabled: boolean;
  protectedConfiguration: 'auto' | 'on' | 'off';
  protectionInForce: boolean;
  policies: number;
  pendingRequests: number;
  activeGrants: number;
}

export async function getPamStatus(ctx: EngineContext): Promise<PamStatus> {
  const counts = await ctx.store.countByStatus();
  return ctx.store.read(async (tx) => {
    const settings = await tx.getSettings();
    return {
      enabled: settings.pamEnabled,
      protectedConfiguration: settings.protectedConfiguration,
      protectionInForce: await isConfigurationProtected(tx),
      policies: (await tx.listPolicies()).length,
      pendingRequests: counts.requests.pending ?? 0,
      activeGrants: counts.grants.active ?? 0,
    };
  });
}
