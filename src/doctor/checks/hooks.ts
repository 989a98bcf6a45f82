import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fail, NETWORK_TIMEOUT_MS, ok, reason, skip, type Check, type CheckResult } from '../doctor.js';

/** Whether `program` runs: an executable file at that path, or (a bare name) on PATH. */
function executable(program: string, path: string | undefined): boolean {
  const candidates = program.includes('/') ? [program] : (path ?? '').split(delimiter).filter(Boolean).map((folder) => join(folder, program));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Provisioning hooks: every hook a policy names is defined in ELEVATE_HOOKS; each webhook answers
 * (any HTTP status: a HEAD request sends no event); each command exists and may be run.
 */
export const hooksCheck: Check = {
  name: 'hooks',
  async run(ctx) {
    const config = ctx.config;
    if (!config) return [skip('hooks', 'needs a valid configuration')];
    const defined = Object.entries(config.ELEVATE_HOOKS);
    const results: CheckResult[] = [];
    if (ctx.store) {
      const named = (await ctx.store.read((tx) => tx.listPolicies())).filter((p) => p.hook !== null && !(p.hook in config.ELEVATE_HOOKS));
      for (const policy of named) {
        results.push(fail(`hook ${policy.hook}`, `policy ${policy.target.name} names it, but ELEVATE_HOOKS does not define it: its grants' calls fail`,
          `define "${policy.hook}" in ELEVATE_HOOKS, or run elevate policy set '${policy.target.name}' --no-hook`));
      }
    }
    if (defined.length === 0) return results.length > 0 ? results : [skip('hooks', 'none defined (ELEVATE_HOOKS)')];
    for (const [name, hook] of defined) {
      if ('command' in hook) {
        const program = hook.command[0]!;
        results.push(executable(program, ctx.env.PATH)
          ? ok(`hook ${name}`, `command ${program} can be run`)
          : fail(`hook ${name}`, `command ${program} does not exist or may not be run by this user`, `install it, or chmod +x it, or correct ELEVATE_HOOKS.${name}.command`));
        continue;
      }
      try {
        const response = await ctx.fetch(hook.url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS) });
        results.push(ok(`hook ${name}`, `${new URL(hook.url).origin} answers (HTTP ${response.status} to a HEAD request)`));
      } catch (error) {
        results.push(fail(`hook ${name}`, `cannot reach ${hook.url}: ${reason(error)}`, `check that the receiver runs and this host may reach it, or correct ELEVATE_HOOKS.${name}.url`));
      }
    }
    return results;
  },
};
