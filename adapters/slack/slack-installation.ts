import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebClient } from '@slack/web-api';
import type { SlackInstallation, SlackOrigin } from '../../src/core/installations.js';
import type { ReplayGuard } from '../../src/core/ports.js';

/**
 * The workspace (or Grid org) and app the bot token belongs to: `auth.test` names the team, the
 * org and whether the install is org-wide; `bots.info` (scope users:read) names the app, which
 * every request's `api_app_id` must match. A token that cannot say stops start-up.
 * https://docs.slack.dev/reference/methods/auth.test, https://docs.slack.dev/reference/methods/bots.info
 */
export async function learnInstallation(client: WebClient): Promise<SlackInstallation> {
  const auth = await client.auth.test();
  if (!auth.team_id) throw new Error('auth.test did not name the workspace of SLACK_BOT_TOKEN');
  let appId = auth.app_id;
  if (!appId && auth.bot_id) appId = (await client.bots.info({ bot: auth.bot_id })).bot?.app_id;
  if (!appId) throw new Error('could not learn the Slack app of SLACK_BOT_TOKEN (bots.info needs the users:read scope)');
  const orgWide = auth.is_enterprise_install === true;
  if (orgWide && !auth.enterprise_id) throw new Error('auth.test reports an org-wide install without an Enterprise Grid org id');
  return { platform: 'slack', appId, teamId: auth.team_id, enterpriseId: auth.enterprise_id ?? null, orgWide };
}

type Body = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const field = (value: unknown, key: string): unknown => (value && typeof value === 'object' ? (value as Body)[key] : undefined);

/**
 * The ids a Slack payload came with, wherever its kind puts them: slash commands (`team_id`,
 * `enterprise_id`, `api_app_id`), interactions (`team.id`, `enterprise.id`, `user.team_id`,
 * `api_app_id`) and events (`team_id`, `enterprise_id`, `api_app_id`, `event.user_team`).
 */
export function originOf(body: Body): SlackOrigin {
  return {
    platform: 'slack',
    appId: text(body.api_app_id),
    teamId: text(body.team_id) ?? text(field(body.team, 'id')) ?? text(field(body.view, 'team_id')),
    enterpriseId: text(body.enterprise_id) ?? text(field(body.enterprise, 'id')),
    userTeamId: text(field(body.user, 'team_id')) ?? text(field(body.event, 'user_team')),
  };
}

// Slack's own rule for the signature timestamp: older than five minutes is refused
// (https://docs.slack.dev/authentication/verifying-requests-from-slack); a request dated further
// in the future than that is no more trustworthy.
export const SIGNATURE_WINDOW_SECONDS = 300;
// Larger bodies are not Slack's (Bolt's own default limit).
export const MAX_SLACK_BODY_BYTES = 10 * 1024 * 1024;

export type GuardVerdict =
  | { ok: true }
  | { ok: false; status: 401; reason: 'signature' | 'stale' | 'future' | 'replayed' };

/**
 * Checks a Slack request before Bolt sees it: a valid `v0` signature, a timestamp within five
 * minutes either way of now, and a signature never seen before (a replayed request is refused,
 * across instances: the fingerprints live in the database). `ssl_check` pings carry no signature
 * and are left to Bolt, which strips anything else from them.
 */
export async function checkSlackRequest(
  req: IncomingMessage,
  rawBody: Buffer,
  signingSecret: string,
  guard: ReplayGuard,
  nowMs: number,
): Promise<GuardVerdict> {
  const timestampHeader = req.headers['x-slack-request-timestamp'];
  const signature = req.headers['x-slack-signature'];
  if (typeof timestampHeader !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(timestampHeader)) {
    return { ok: false, status: 401, reason: 'signature' };
  }
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestampHeader}:`).update(rawBody).digest('hex')}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 401, reason: 'signature' };
  const timestampMs = Number(timestampHeader) * 1000;
  if (nowMs - timestampMs > SIGNATURE_WINDOW_SECONDS * 1000) return { ok: false, status: 401, reason: 'stale' };
  if (timestampMs - nowMs > SIGNATURE_WINDOW_SECONDS * 1000) return { ok: false, status: 401, reason: 'future' };
  // Remembered until the timestamp could no longer pass the window (plus a minute for clock skew).
  const expiresAt = new Date(timestampMs + (SIGNATURE_WINDOW_SECONDS + 60) * 1000).toISOString();
  if (!(await guard.rememberOnce(`slack:${signature}`, expiresAt, new Date(nowMs).toISOString()))) {
    return { ok: false, status: 401, reason: 'replayed' };
  }
  return { ok: true };
}

/** Whether a form body is Slack's unsigned `ssl_check` ping. */
export function isSslCheck(req: IncomingMessage, rawBody: Buffer): boolean {
  return req.headers['content-type'] === 'application/x-www-form-urlencoded' && new URLSearchParams(rawBody.toString('utf8')).get('ssl_check') === '1';
}

/** A Slack body's fields: a form (slash commands), or the JSON of its `payload` field (interactions), or JSON (events). */
export function parseSlackBody(rawBody: Buffer): Body {
  const text = rawBody.toString('utf8');
  try {
    if (text.startsWith('{')) return JSON.parse(text) as Body;
    const form = new URLSearchParams(text);
    const payload = form.get('payload');
    return payload !== null ? (JSON.parse(payload) as Body) : Object.fromEntries(form);
  } catch {
    return {};
  }
}
