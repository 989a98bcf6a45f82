import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { Actor } from '../../src/core/ports.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { FakeBotConnector } from '../fakes/fake-bot-connector.js';
import { FakeClock, LiveClock } from '../fakes/fake-clock.js';
import { FakeGraph } from '../fakes/fake-graph.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import type { StoreDialect } from '../../src/store/kysely-store.js';
import { createTestSchema } from './databases.js';
import { silentLogger } from './engine.js';
import { SIGNING_SECRET, slackSignature } from './slack-harness.js';

export const APP_ID = '00000000-0000-4000-8000-00000000e1e7';
export const TENANT = '7a1c0000-0000-4000-8000-00000000e1e7';

export interface TeamsUser { aad: string; mri: string; name: string }

export const USERS: Record<string, TeamsUser> = {
  ursula: { aad: 'aad-ursula', mri: '29:ursula', name: 'Ursula' },
  carol: { aad: 'aad-carol', mri: '29:carol', name: 'Carol' },
  dave: { aad: 'aad-dave', mri: '29:dave', name: 'Dave' },
  mallory: { aad: 'aad-mallory', mri: '29:mallory', name: 'Mallory' },
  erin: { aad: 'aad-erin', mri: '29:erin', name: 'Erin' },
};

/**
 * Elevate with Teams (and optionally Slack) enabled on a temporary SQLite file (or a PostgreSQL
 * schema of its own with `database: 'postgres'`); Teams calls go to
 * a fake Bot Connector on 127.0.0.1, activities are POSTed to the real /api/messages endpoint.
 * The people of USERS are in the tenant with the app installed for them; each one's 1:1 chat with
 * the bot exists from their first activity (or when the bot creates it).
 */
export async function startTeamsHarness(options: {
  withSlack?: boolean; database?: StoreDialect; env?: Record<string, string>;
  /** The real time (paced deliveries whose pace is kept in the database) instead of a fake clock. */
  liveClock?: boolean;
} = {}) {
  const connector = await FakeBotConnector.start({ tenantId: TENANT });
  // Members of the tenant, as the roster answers for them (Elevate refuses accounts it cannot find there).
  for (const user of Object.values(USERS)) {
    connector.addUser({ id: user.mri, aadObjectId: user.aad, name: user.name, email: `${user.name.toLowerCase()}@example.com` });
  }
  const graph = await FakeGraph.start();
  const slack = options.withSlack ? await FakeSlackApi.start() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'elevate-teams-'));
  // PostgreSQL: a schema of this harness's own, dropped on close.
  const postgres = options.database === 'postgres' ? await createTestSchema() : undefined;
  const clock = options.liveClock ? new LiveClock() : new FakeClock();
  clock.set(new Date().toISOString());
  const config = loadConfig({
    DATABASE_URL: postgres?.url ?? join(dir, 'elevate.db'), DATABASE_POOL_SIZE: '4', ELEVATE_SIGNING_KEY: 'k'.repeat(40), PORT: '0', HOST: '127.0.0.1',
    ELEVATE_ADMINS: `teams:${USERS.carol!.aad}`, ELEVATE_SCHEDULER_INTERVAL: '1h',
    TEAMS_APP_ID: APP_ID, TEAMS_TENANT_ID: TENANT, TEAMS_SERVICE_URL: connector.url, TEAMS_ALLOW_UNAUTHENTICATED: 'true', TEAMS_PACE_MS: '0',
    ...(slack ? { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.url, SLACK_PACE_MS: '0' } : {}),
    ...options.env,
  });
  const server: RunningServer = await startServer(config, {
    logger: silentLogger, clock, teamsToken: (scope?: string) => connector.issueToken(scope), slackProcessBeforeResponse: true, teamsGraphScope: `${graph.url}.default`,
  });
  const base = `http://127.0.0.1:${server.port}`;
  let next = 0;

  /** The user's 1:1 chat with the bot: the one the bot created, or a new one (installing the app creates it). */
  const personal = (user: TeamsUser) => connector.conversationFor(user.mri)
    ?? connector.addConversation({ id: `a:personal-${user.aad}`, type: 'personal', members: [user.mri] }).id;
  const activityFrom = (user: TeamsUser, extra: Record<string, unknown>) => ({
    id: `act-${++next}`, timestamp: new Date().toISOString(), serviceUrl: connector.url, channelId: 'msteams',
    from: { id: user.mri, aadObjectId: user.aad, name: user.name },
    conversation: { id: personal(user), conversationType: 'personal', tenantId: TENANT },
    recipient: { id: `28:${APP_ID}`, name: 'Elevate' }, channelData: { tenant: { id: TENANT } }, ...extra,
  });
  async function post(activity: object) {
    const response = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }
  const operator: Actor = { kind: 'operator', origin: 'cli' };

  return {
    connector, graph, slack, server, clock, operator, elevate: server.engine.elevate,
    /** A message from a user in their personal chat with the bot. */
    say: (user: TeamsUser, text: string) => post(activityFrom(user, { type: 'message', text })),
    /** An Action.Execute click on a card; `extra`: more activity fields (e.g. the client's `localTimezone`). */
    invoke: (user: TeamsUser, verb: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) => post(activityFrom(user, {
      type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' }, ...extra,
    })),
    post,
    /** `/elevate <text>` from a Slack user of the pinned workspace (with `withSlack`), signed as Slack signs it. */
    async slackCommand(user: string, text: string) {
      const body = new URLSearchParams({
        team_id: 'T0ELEVATE', api_app_id: 'A0ELEVATE', user_id: user, command: '/elevate', text, channel_id: `D${user}`, trigger_id: `trigger-${++next}`,
        response_url: `${slack!.responseUrlBase}cmd-${next}`,
      }).toString();
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await fetch(`${base}/slack/events`, {
        method: 'POST', body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(body, timestamp) },
      });
      const answer = await response.text();
      return { status: response.status, body: answer ? (JSON.parse(answer) as Record<string, unknown>) : null };
    },
    personal,
    async deliver() {
      for (let n = await server.dispatcher.runOnce(); n > 0; n = await server.dispatcher.runOnce()) { /* until drained */ }
    },
    async close() {
      await server.stop();
      await connector.close();
      await graph.close();
      await slack?.close();
      rmSync(dir, { recursive: true, force: true });
      await postgres?.drop();
    },
  };
}

export type TeamsHarness = Awaited<ReturnType<typeof startTeamsHarness>>;
