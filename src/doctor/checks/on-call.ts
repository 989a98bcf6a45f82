import { opsgenieProbe } from '../../on-call/opsgenie.js';
import { pagerDutyProbe } from '../../on-call/pagerduty.js';
import { fail, NETWORK_TIMEOUT_MS, ok, skip, warn, type Check, type CheckResult } from '../doctor.js';

/**
 * On-call providers: each configured credential works (one cheap authenticated call: PagerDuty
 * `GET /abilities`, Opsgenie `GET /v2/schedules?limit=1`), and every provider a policy's
 * on-call schedules name is configured (else those requests always go to manual approval).
 */
export const onCallCheck: Check = {
  name: 'on-call',
  async run(ctx) {
    const config = ctx.config;
    if (!config) return [skip('on-call', 'needs a valid configuration')];
    const results: CheckResult[] = [];
    const named = ctx.store ? (await ctx.store.read((tx) => tx.listPolicies())).flatMap((p) => p.onCall.map((schedule) => ({ policy: p.target.name, schedule }))) : [];
    const probes = [
      { provider: 'pagerduty', name: 'PagerDuty', variable: 'PAGERDUTY_TOKEN', urlVariable: 'PAGERDUTY_API_URL', configured: Boolean(config.PAGERDUTY_TOKEN), url: config.PAGERDUTY_API_URL,
        probe: () => pagerDutyProbe({ token: config.PAGERDUTY_TOKEN!, apiUrl: config.PAGERDUTY_API_URL, timeoutMs: NETWORK_TIMEOUT_MS, fetch: ctx.fetch }) },
      { provider: 'opsgenie', name: 'Opsgenie', variable: 'OPSGENIE_API_KEY', urlVariable: 'OPSGENIE_API_URL', configured: Boolean(config.OPSGENIE_API_KEY), url: config.OPSGENIE_API_URL,
        probe: () => opsgenieProbe({ apiKey: config.OPSGENIE_API_KEY!, apiUrl: config.OPSGENIE_API_URL, timeoutMs: NETWORK_TIMEOUT_MS, fetch: ctx.fetch }) },
    ];
    for (const p of probes) {
      const users = named.filter((n) => n.schedule.startsWith(`${p.provider}:`));
      if (!p.configured) {
        if (users.length > 0) {
          results.push(warn(`on-call ${p.provider}`, `policy ${users[0]!.policy} names ${users[0]!.schedule}, but ${p.variable} is not set: its requests always go to manual approval`, `set ${p.variable}, or remove the schedule with elevate policy set '${users[0]!.policy}' --on-call …`));
        }
        continue;
      }
      const answer = await p.probe();
      results.push('error' in answer
        ? fail(`on-call ${p.provider}`, `${p.name} at ${p.url} ${answer.error}`, answer.error.includes('HTTP 401') || answer.error.includes('HTTP 403')
          ? `${p.variable} is not a valid ${p.name} API key (or lacks read access): create one and set it` : `check that this host may reach ${p.url} (${p.urlVariable})`)
        : ok(`on-call ${p.provider}`, `${p.name} at ${p.url} accepts ${p.variable}`));
    }
    return results.length > 0 ? results : [skip('on-call', 'no provider configured (PAGERDUTY_TOKEN, OPSGENIE_API_KEY) and no policy names an on-call schedule')];
  },
};
