import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { Actor } from '../../src/core/ports.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { FakeClock, LiveClock } from '../fakes/fake-clock.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import type { StoreDialect } from '../../src/store/kysely-store.js';
import { createTestSchema } from './databases.js';
import { silentLogger } from './engine.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
/** The workspace and app of the fake Slack's bot token (what Elevate pins). */
export const TEAM = 'T0ELEVATE';
export const APP = 'A0ELEVATE';

/** Where a request says it comes from: another workspace, org or app, or a user of another workspace (shared channels). */
export interface SlackWorkspace { team: string; userTeam: string; enterprise: string; app: string }
export const AUDIT_CHANNEL = 'CAUDIT';
export const GENERAL_CHANNEL = 'CGENERAL';

/** Signs a body exactly as Slack does: v0=HMAC-SHA256(secret, "v0:{ts}:{body}"). */
export function slackSignature(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * A whole Elevate server with Slack enabled, on a temporary SQLite file (or, with `database:
 * 'postgres'`, a schema of its own on the test PostgreSQL), talking to a fake Slack
 * Web API on 127.0.0.1, with a fake clock. People: admin alice; approvers carol, dave, erin;
 * requester ursula; a deactivated approver (zed) and a bot in the approver group.
 */
export async function startSlackHarness(options: {
  perChannelPerSecond?: number; env?: Record<string, string>; database?: StoreDialect;
  /** The bot token's scopes (default the manifest's, chat:write.public included). */
  slackScopes?: string[];
  /** The real time (paced deliveries whose pace is kept in the database) instead of a fake clock. */
  liveClock?: boolean;
} = {}) {
  const slack = await FakeSlackApi.start({ perChannelPerSecond: options.perChannelPerSecond, scopes: options.slackScopes });
  const users: Array<[string, string, string | undefined]> = [
    ['UALICE', 'Alice Admin', 'alice@example.com'], ['UCAROL', 'Carol', 'carol@example.com'], ['UDAVE', 'Dave', 'dave@example.com'],
    ['UERIN', 'Erin', 'erin@example.com'], ['UURSULA', 'Ursula', 'ursula@example.com'], ['UMALLORY', 'Mallory', undefined],
  ];
  for (const [id, name, email] of users) slack.addUser({ id, name, realName: name, email });
  slack.addUser({ id: 'UZED', realName: 'Zed Gone', deleted: true });
  slack.addUser({ id: 'UROBOT', realName: 'Robot', isBot: true });
  // The audit channel has the bot in it; #general, where commands are typed, has everyone.
  slack.addChannel({ id: AUDIT_CHANNEL, members: [FakeSlackApi.botUserId, 'UALICE'] });
  slack.addChannel({ id: GENERAL_CHANNEL, members: [FakeSlackApi.botUserId, ...users.map(([id]) => id)] });
  const dir = mkdtempSync(join(tmpdir(), 'elevate-slack-'));
  // PostgreSQL: a schema of this harness's own, dropped on close.
  const postgres = options.database === 'postgres' ? await createTestSchema() : undefined;
  const clock = options.liveClock ? new LiveClock() : new FakeClock();
  clock.set(new Date().toISOString());
  const config = loadConfig({
    DATABASE_URL: postgres?.url ?? join(dir, 'elevate.db'), DATABASE_POOL_SIZE: '4', ELEVATE_SIGNING_KEY: 'k'.repeat(40), PORT: '0', HOST: '127.0.0.1',
    ELEVATE_ADMINS: 'slack:UALICE', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url, SLACK_AUDIT_CHANNEL: AUDIT_CHANNEL, SLACK_PACE_MS: '0', ELEVATE_SCHEDULER_INTERVAL: '1h',
    ...options.env,
  });
  const server: RunningServer = await startServer(config, { logger: silentLogger, clock, slackProcessBeforeResponse: true });
  const elevate = server.engine.elevate;
  const base = `http://127.0.0.1:${server.port}`;
  const operator: Actor = { kind: 'operator', origin: 'cli' };

  async function post(body: string, contentType: string, signing: { timestamp?: number; secret?: string } = {}) {
    const timestamp = signing.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(body, timestamp, signing.secret) },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  let triggers = 0;
  let responses = 0;
  return {
    slack, server, elevate, clock, operator, config,
    /** `/elevate <text>` from a user; answers with the ephemeral reply Slack would show. */
    command: (user: string, text: string, signing?: { timestamp?: number; secret?: string }, from: Partial<SlackWorkspace> = {}) => post(new URLSearchParams({
      token: 'legacy', team_id: from.team ?? TEAM, team_domain: 'elevate', channel_id: GENERAL_CHANNEL, channel_name: 'general', user_id: user,
      user_name: user.toLowerCase(), command: '/elevate', text, api_app_id: from.app ?? APP, response_url: `${slack.responseUrlBase}cmd-${++responses}`, trigger_id: `trigger-${++triggers}`,
      ...(from.enterprise ? { enterprise_id: from.enterprise } : {}),
    }).toString(), 'application/x-www-form-urlencoded', signing),
    /** A click on a button of a message the bot posted in `channel`; its response_url is `${slack.responseUrlBase}click-<n>`. */
    click: (user: string, actionId: string, value: string, channel: string, from: Partial<SlackWorkspace> = {}) => post(new URLSearchParams({ payload: JSON.stringify({
      type: 'block_actions', team: { id: from.team ?? TEAM, domain: 'elevate' }, user: { id: user, username: user.toLowerCase(), team_id: from.userTeam ?? from.team ?? TEAM },
      api_app_id: from.app ?? APP, token: 'legacy', trigger_id: `trigger-${++triggers}`, channel: { id: channel, name: 'directmessage' },
      container: { type: 'message', channel_id: channel, message_ts: '1', is_ephemeral: false }, response_url: `${slack.responseUrlBase}click-${++responses}`,
      actions: [{ type: 'button', action_id: actionId, block_id: 'elevate:actions:0', value, action_ts: String(Date.now() / 1000), text: { type: 'plain_text', text: actionId } }],
    }) }).toString(), 'application/x-www-form-urlencoded'),
    /** Submits a modal the bot opened, with values by block id. */
    submit: (user: string, view: { callback_id: string; private_metadata?: string; id?: string }, values: Record<string, string | { option: string } | { dateTime: number }>, from: Partial<SlackWorkspace> = {}) => post(new URLSearchParams({ payload: JSON.stringify({
      type: 'view_submission', team: { id: from.team ?? TEAM, domain: 'elevate' }, user: { id: user, username: user.toLowerCase(), team_id: from.userTeam ?? from.team ?? TEAM },
      api_app_id: from.app ?? APP, token: 'legacy', trigger_id: `trigger-${++triggers}`,
      view: {
        id: view.id ?? 'V1', type: 'modal', callback_id: view.callback_id, private_metadata: view.private_metadata ?? '', hash: 'h', team_id: from.team ?? TEAM,
        state: { values: Object.fromEntries(Object.entries(values).map(([block, value]) => [block, { [block === 'target' ? 'form.target' : block]: typeof value === 'string'
          ? { type: 'plain_text_input', value }
          // A date-time picker submits Unix seconds (docs.slack.dev/reference/block-kit/block-elements/datetime-picker-element).
          : 'dateTime' in value ? { type: 'datetimepicker', selected_date_time: value.dateTime }
            : { type: 'static_select', selected_option: { value: value.option, text: { type: 'plain_text', text: value.option } } } }])) },
      },
    }) }).toString(), 'application/x-www-form-urlencoded'),
    post,
    /** Runs the outbox until nothing is due. */
    async deliver() {
      for (let n = await server.dispatcher.runOnce(); n > 0; n = await server.dispatcher.runOnce()) { /* until drained */ }
    },
    dm: (user: string) => `D${user}`,
    /** The latest text (with blocks flattened) of every message in a channel. */
    texts(channel: string) {
      return slack.messagesIn(channel).map((m) => `${m.text}\n${JSON.stringify(m.blocks)}`);
    },
    async close() {
      await server.stop();
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
      await postgres?.drop();
    },
  };
}

export type SlackHarness = Awaited<ReturnType<typeof startSlackHarness>>;

/** The approver group and two policies most scenarios use. */
export async function seedSlackPolicies(h: SlackHarness, approvalsRequired = 1) {
  await h.elevate.createGroup(h.operator, 'approvers');
  for (const member of ['slack:UCAROL', 'slack:UDAVE', 'slack:UERIN', 'slack:UZED', 'slack:UROBOT']) await h.elevate.addGroupMember(h.operator, 'approvers', member);
  await h.elevate.createPolicy(h.operator, {
    target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers',
    approvalsRequired, maxDurationSeconds: 8 * 3600, reasonHint: 'Give the incident number',
  });
  await h.elevate.createPolicy(h.operator, {
    target: { type: 'roleGroup', scope: 'Exchange', name: 'Exchange\\Organization Management' }, approval: 'auto', approverGroup: 'approvers',
  });
}
