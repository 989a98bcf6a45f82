import { fail, NETWORK_TIMEOUT_MS, ok, reason, skip, warn, type Check, type CheckResult } from '../doctor.js';

/**
 * The bot scopes Elevate's Slack calls need (Slack's method reference), as the manifest asks
 * for them (manifest/slack/manifest.yaml; test/slack/manifest.test.ts keeps the two in step).
 */
export const SLACK_SCOPES: Readonly<Record<string, string>> = {
  commands: 'the slash command',
  'chat:write': 'cards, DMs and private replies',
  'chat:write.public': 'the audit channel and approvers channels without joining them',
  'im:write': 'opening DMs (conversations.open)',
  'users:read': 'names, deactivated users (users.info)',
  'users:read.email': 'verified emails that link Slack and Teams identities',
  'usergroups:read': 'Slack user groups as approver groups',
};

const TOKEN_FIXES: Record<string, string> = {
  invalid_auth: 'SLACK_BOT_TOKEN is wrong: copy the Bot User OAuth Token again (app settings → OAuth & Permissions; reinstalling the app can change it)',
  not_authed: 'set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…)',
  account_inactive: 'the app was uninstalled or its bot deactivated: reinstall the app and copy its new Bot User OAuth Token into SLACK_BOT_TOKEN',
  token_revoked: 'the token was revoked: reinstall the app and copy its new Bot User OAuth Token into SLACK_BOT_TOKEN',
  token_expired: 'the token expired (token rotation is on): turn rotation off for the app, or reinstall it and copy the new token',
};

interface AuthTest {
  ok: boolean;
  error?: string;
  url?: string;
  team?: string;
  team_id?: string;
  user?: string;
  user_id?: string;
  enterprise_id?: string;
}

/**
 * Slack: `auth.test` with the bot token (valid, which bot, which workspace), the scopes the token
 * has, from the `x-oauth-scopes` header Slack returns on Web API calls (read by @slack/web-api's
 * WebClient as `response_metadata.scopes`), against every scope Elevate's calls need; and Slack's
 * clock (its Date header), for the clock check.
 */
export const slackCheck: Check = {
  name: 'slack',
  async run(ctx) {
    const config = ctx.config;
    if (!config) return [skip('slack', 'needs a valid configuration')];
    if (!config.SLACK_BOT_TOKEN) return [skip('slack', 'not configured (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET enable it)')];
    const base = config.SLACK_API_URL ?? 'https://slack.com/api/';
    let response: Response;
    const started = ctx.now();
    try {
      response = await ctx.fetch(new URL('auth.test', base), {
        method: 'POST', headers: { authorization: `Bearer ${config.SLACK_BOT_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: '', signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
      });
    } catch (error) {
      return [fail('slack token', `cannot reach Slack at ${base}: ${reason(error)}`, 'check the network from this host (proxy, firewall, DNS) and SLACK_API_URL')];
    }
    const date = response.headers.get('date');
    if (date) ctx.peerClocks.set('Slack', Date.parse(date) - (started + ctx.now()) / 2);
    let body: AuthTest;
    try {
      body = await response.json() as AuthTest;
    } catch {
      return [fail('slack token', `${base}auth.test answered HTTP ${response.status}, not Slack's JSON`, 'check SLACK_API_URL: it is the Web API base and ends in /api/')];
    }
    if (!body.ok) {
      return [fail('slack token', `auth.test answered ${body.error ?? 'an error'}`, TOKEN_FIXES[body.error ?? ''] ?? 'see https://api.slack.com/methods/auth.test for this error')];
    }
    const results: CheckResult[] = [ok('slack token', `valid: bot @${body.user ?? '?'} (${body.user_id ?? '?'})`)];
    const header = response.headers.get('x-oauth-scopes');
    if (header === null) {
      results.push(warn('slack scopes', 'Slack did not say which scopes the token has (no x-oauth-scopes header)', `make sure the app has ${Object.keys(SLACK_SCOPES).join(', ')}`));
    } else {
      const granted = new Set(header.split(',').map((s) => s.trim()).filter(Boolean));
      const missing = Object.keys(SLACK_SCOPES).filter((scope) => !granted.has(scope));
      results.push(missing.length > 0
        ? fail('slack scopes', `missing ${missing.map((s) => `${s} (${SLACK_SCOPES[s]})`).join(', ')}`,
          'add them under OAuth & Permissions → Bot Token Scopes (or paste manifest/slack/manifest.yaml again) and reinstall the app')
        : ok('slack scopes', `all ${Object.keys(SLACK_SCOPES).length} Elevate needs are granted`));
    }
    results.push(ok('slack workspace', `${body.team ?? '?'} (${body.team_id ?? '?'})${body.enterprise_id ? `, Enterprise Grid ${body.enterprise_id}` : ''}${body.url ? ` at ${body.url}` : ''}: the workspace this token belongs to`));
    if (config.SLACK_APP_TOKEN) results.push(skip('slack socket mode', 'SLACK_APP_TOKEN is set (Socket Mode); it is checked when the server connects'));
    return results;
  },
};
