import { fail, NETWORK_TIMEOUT_MS, ok, reason, skip, warn, type Check, type CheckResult } from '../doctor.js';

// Bot Framework tokens: the Microsoft identity platform's client-credentials grant for this
// scope, from the bot's tenant (single tenant) or botframework.com (multi-tenant bots); the same
// endpoint and scope as @microsoft/teams.api (auth/cloud-environment: PUBLIC).
const BOT_SCOPE = 'https://api.botframework.com/.default';
const MULTI_TENANT = 'botframework.com';

/** What to do about the Microsoft identity platform's AADSTS error codes. */
const FIXES: Array<[RegExp, string]> = [
  [/AADSTS7000215|AADSTS7000222|invalid_client/, 'TEAMS_APP_PASSWORD is wrong or expired: create a new client secret (app registration → Certificates & secrets) and copy its Value'],
  [/AADSTS700016|unauthorized_client/, 'TEAMS_APP_ID is not an app of that tenant: check TEAMS_APP_ID (the bot\'s Microsoft App ID) and TEAMS_TENANT_ID'],
  [/AADSTS90002|AADSTS900023|AADSTS90013/, 'TEAMS_TENANT_ID names no tenant: copy the tenant id from the Entra admin center (Overview)'],
];

/** Teams: a Bot Framework token can be obtained with the configured credentials; the tenant is known. */
export const teamsCheck: Check = {
  name: 'teams',
  async run(ctx) {
    const config = ctx.config;
    if (!config) return [skip('teams', 'needs a valid configuration')];
    if (!config.TEAMS_APP_ID) return [skip('teams', 'not configured (TEAMS_APP_ID and TEAMS_APP_PASSWORD enable it)')];
    const results: CheckResult[] = [config.TEAMS_TENANT_ID.length > 0
      ? ok('teams tenant', `${config.TEAMS_TENANT_ID.join(', ')}: activities from any other tenant are refused`)
      : fail('teams tenant', 'TEAMS_TENANT_ID is not set', 'set TEAMS_TENANT_ID to your Entra tenant id (Entra admin center → Overview); several, comma-separated, for a multi-tenant bot')];
    if (config.TEAMS_ALLOW_UNAUTHENTICATED === 'true') {
      results.push(warn('teams authentication', 'TEAMS_ALLOW_UNAUTHENTICATED=true: activities are accepted without a Bot Framework token', 'development only: remove it before this server is reachable by anyone'));
    }
    if (!config.TEAMS_APP_PASSWORD) return [...results, skip('teams token', 'no TEAMS_APP_PASSWORD: Elevate cannot send to Teams without it')];
    // One tenant: a single-tenant registration gets its tokens there; several: the multi-tenant authority.
    const tenant = config.TEAMS_TENANT_ID.length === 1 ? config.TEAMS_TENANT_ID[0]! : MULTI_TENANT;
    const url = new URL(`${encodeURIComponent(tenant)}/oauth2/v2.0/token`, ctx.teamsLoginUrl);
    let response: Response;
    const started = ctx.now();
    try {
      response = await ctx.fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: config.TEAMS_APP_ID, client_secret: config.TEAMS_APP_PASSWORD, scope: BOT_SCOPE }),
        signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
      });
    } catch (error) {
      return [...results, fail('teams token', `cannot reach ${url.origin}: ${reason(error)}`, 'check the network from this host (proxy, firewall, DNS)')];
    }
    const date = response.headers.get('date');
    if (date) ctx.peerClocks.set('Microsoft Entra', Date.parse(date) - (started + ctx.now()) / 2);
    const body = await response.json().catch(() => ({})) as { access_token?: string; error?: string; error_description?: string };
    if (response.ok && body.access_token) return [...results, ok('teams token', `a Bot Framework token was issued to app ${config.TEAMS_APP_ID}`)];
    const said = `${body.error ?? `HTTP ${response.status}`}${body.error_description ? `: ${body.error_description.split(/\r?\n/)[0]}` : ''}`;
    const fix = FIXES.find(([pattern]) => pattern.test(said))?.[1] ?? 'check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID (adapters/teams/README.md, Troubleshooting)';
    return [...results, fail('teams token', `no token for app ${config.TEAMS_APP_ID} from tenant ${tenant}: ${said}`, fix)];
  },
};
