import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { sql, type Kysely } from 'kysely';
import { describeDrift, groupDrift } from './admins.js';
import { ConfigError, type Config } from './config.js';
import type { EngineConfig } from './core/context.js';
import { Elevate } from './core/elevate.js';
import type { ChatPort, Clock, IdSource } from './core/ports.js';
import { OutboxDispatcher } from './delivery/dispatcher.js';
import { DEFAULT_COMMAND_TIMEOUT_SECONDS, HookRunner } from './delivery/hook-runner.js';
import { ConversationRefs } from './store/conversation-refs.js';
import { PlatformDirectories } from './directories.js';
import type { RestApi } from './http/api/rest-api.js';
import { Metrics } from './http/metrics.js';
import { checkReadiness } from './http/readiness.js';
import { apiIndex, notServed, serviceIndex } from './http/index-page.js';
import { HttpServer, sendJson } from './http/server.js';
import { AuditChainer } from './scheduler/audit-chainer.js';
import { AuditCheckpoints } from './scheduler/audit-checkpoints.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { Database } from './store/database.js';
import { KyselyStore } from './store/kysely-store.js';
import { migrateToLatest } from './store/migrate.js';
import { openSqlite } from './store/sqlite.js';
import { KeyError, loadKeys } from './keys.js';
import type { Keyring } from './core/keyring.js';
import { Re2Patterns } from './patterns.js';
import { SeenRequests } from './store/seen-requests.js';
import { currentRequestId } from './request-context.js';
import { ProviderOnCallDirectory } from './on-call/directory.js';
import { randomIds, systemClock } from './system.js';

// Never logged, wherever they appear in a logged object (tokens, secrets, credentials).
const REDACTED = [
  'authorization', '*.authorization', '*.headers.authorization', '*.headers.cookie', 'token', '*.token', 'secret', '*.secret',
  'password', '*.password', '*.botToken', '*.signingSecret', '*.appPassword', '*.appToken',
];

// Refused attempts past each source's burst are audited as one count per source and kind this often.
const REFUSAL_SUMMARY_INTERVAL_MS = 60_000;
// PostgreSQL: how often committed audit records are linked into the chain. A pass with nothing to
// link is one indexed read; `audit verify` and exports link first, so nothing waits on this.
const AUDIT_CHAIN_INTERVAL_MS = 100;

/**
 * Logs: JSON lines, or readable lines (pino-pretty) with `LOG_FORMAT=pretty`, the default when
 * standard output is a terminal. Every line written while serving an HTTP request carries its `reqId`.
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'> & Partial<Pick<Config, 'LOG_FORMAT'>>, destination?: DestinationStream): Logger {
  const format = config.LOG_FORMAT ?? (destination === undefined && process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    destination = pretty({
      destination: destination ?? 1, colorize: destination === undefined && Boolean(process.stdout.isTTY),
      // Written before the process may exit (a failed start): nothing is lost.
      sync: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname,service',
    });
  }
  return pino({
    level: config.LOG_LEVEL, base: { service: 'elevate' }, redact: REDACTED,
    mixin: () => {
      const reqId = currentRequestId();
      return reqId === undefined ? {} : { reqId };
    },
  }, destination);
}

/**
 * The keys of this installation (src/keys.ts): ELEVATE_SIGNING_KEY, or the key file beside the
 * SQLite database (made on first start) or named by ELEVATE_SIGNING_KEY_FILE. A database that
 * already holds signed records never gets new keys silently: its key file must be there.
 */
export async function loadKeyring(config: Config, db: Kysely<Database>, logger?: Logger): Promise<Keyring> {
  const source = { secret: config.ELEVATE_SIGNING_KEY, file: config.ELEVATE_SIGNING_KEY_FILE, databaseUrl: config.DATABASE_URL };
  const signed = await db.selectFrom('requests').select('id').limit(1).executeTakeFirst()
    ?? await db.selectFrom('audit_log').select('seq').where('key_id', 'is not', null).limit(1).executeTakeFirst();
  try {
    const loaded = loadKeys(source, { mayCreate: signed === undefined });
    if (loaded.created && loaded.file) logger?.warn({ file: loaded.file }, 'made the key file of this installation (signing and audit keys): back it up with the database; without it, existing signatures and the audit log can no longer be verified');
    return loaded.keyring;
  } catch (error) {
    throw error instanceof KeyError ? new ConfigError(`invalid configuration: ${error.message}`) : error;
  }
}

export function engineConfig(config: Config, keys: Keyring): EngineConfig {
  return {
    keys,
    maxGrantSeconds: config.ELEVATE_MAX_GRANT_DURATION,
    maxScheduleAheadSeconds: config.ELEVATE_MAX_SCHEDULE_AHEAD,
    breakGlassReviewSeconds: config.ELEVATE_BREAK_GLASS_REVIEW,
    requestTimeoutSeconds: config.ELEVATE_REQUEST_TIMEOUT,
    defaultApproverGroup: config.ELEVATE_DEFAULT_APPROVER_GROUP,
    expiryWarningSeconds: config.ELEVATE_EXPIRY_WARNING,
    reminderAfterSeconds: config.ELEVATE_REMINDER_AFTER,
    escalateAfterReminders: config.ELEVATE_ESCALATE_AFTER,
    // Teams' feed conversation may also be chosen later with audit-here, so Teams always has one.
    feedPlatforms: [...(config.SLACK_AUDIT_CHANNEL ? ['slack'] : []), ...(config.TEAMS_APP_ID ? ['teams'] : [])],
    linkEmailDomains: config.ELEVATE_LINK_EMAIL_DOMAINS.map((d) => d.toLowerCase()),
    hooks: Object.keys(config.ELEVATE_HOOKS),
    hookMaxAttempts: config.ELEVATE_HOOK_MAX_ATTEMPTS,
    hookAlertAfter: config.ELEVATE_HOOK_ALERT_AFTER,
    stepUp: { available: Boolean(config.ELEVATE_OIDC_ISSUER), maxAgeSeconds: config.ELEVATE_STEP_UP_MAX_AGE, acrValues: config.ELEVATE_STEP_UP_ACR },
    publicUrl: config.ELEVATE_PUBLIC_URL ?? null,
    onCallGraceSeconds: config.ELEVATE_ON_CALL_GRACE,
  };
}

/**
 * Opens the database named by DATABASE_URL and migrates it: a `postgres://` URL is PostgreSQL
 * (a pool of `poolSize` connections), anything else a SQLite path or `sqlite:` URL. The caller
 * closes it with `db.destroy()` (which ends the pool).
 */
export async function openDatabase(
  url: string,
  clock: Clock = systemClock,
  options: { poolSize?: number } = {},
): Promise<{ db: Kysely<Database>; store: KyselyStore }> {
  const dialect = isPostgresUrl(url) ? 'postgres' : 'sqlite';
  // Whatever goes wrong opening the database, the message names the setting to look at.
  const problem = (error: unknown, what = '') => new Error(`DATABASE_URL (${describeDatabase(url)}): ${what}${errorText(error)}`, { cause: error });
  let db: Kysely<Database>;
  try {
    // `pg` is loaded only for PostgreSQL: every CLI command opens the database, most on SQLite.
    db = dialect === 'postgres'
      ? (await import('./store/postgres.js')).openPostgres(url, { poolSize: options.poolSize })
      : openSqlite(url.replace(/^sqlite:(\/\/)?/, ''));
  } catch (error) {
    throw problem(error);
  }
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    throw problem(error, dialect === 'postgres' ? 'cannot reach PostgreSQL: ' : 'cannot read the database: ');
  }
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw problem(error);
  }
  return { db, store: new KyselyStore(db, dialect, { clock }) };
}

/** An error's message; `pg` reports a refused connection to several addresses with an empty one. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const inner = (error as { errors?: unknown[] }).errors?.[0];
  return inner instanceof Error && inner.message ? inner.message : (error as NodeJS.ErrnoException).code ?? error.name;
}

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** DATABASE_URL for logs: a PostgreSQL URL without its password. */
export function describeDatabase(url: string): string {
  if (!isPostgresUrl(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unparsable URL)';
  }
}

/** The on-call providers the configuration has credentials for (src/on-call). */
export function onCallDirectory(config: Config, fetcher: typeof fetch = globalThis.fetch): ProviderOnCallDirectory {
  return new ProviderOnCallDirectory({
    ...(config.PAGERDUTY_TOKEN ? { pagerduty: { token: config.PAGERDUTY_TOKEN, apiUrl: config.PAGERDUTY_API_URL, timeoutMs: config.ELEVATE_ON_CALL_TIMEOUT * 1000, fetch: fetcher } } : {}),
    ...(config.OPSGENIE_API_KEY ? { opsgenie: { apiKey: config.OPSGENIE_API_KEY, apiUrl: config.OPSGENIE_API_URL, timeoutMs: config.ELEVATE_ON_CALL_TIMEOUT * 1000, fetch: fetcher } } : {}),
  });
}

export interface Engine {
  elevate: Elevate;
  store: KyselyStore;
  directories: PlatformDirectories;
  close(): Promise<void>;
}

/** Config -> store -> core: what both the server and the CLI need. */
export async function createEngine(config: Config, options: { clock?: Clock; ids?: IdSource; logger?: Logger } = {}): Promise<Engine> {
  const { db, store } = await openDatabase(config.DATABASE_URL, options.clock, { poolSize: config.DATABASE_POOL_SIZE });
  const directories = new PlatformDirectories();
  let keys: Keyring;
  try {
    keys = await loadKeyring(config, db, options.logger);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const elevate = new Elevate({
    store,
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds,
    directory: directories,
    onCall: onCallDirectory(config),
    config: engineConfig(config, keys),
    patterns: new Re2Patterns(),
  });
  // An earlier version's audit chain and grants are keyed and signed once, before anything relies on them.
  const keyed = await elevate.keyLegacyRecords();
  if (keyed.rekeyed + keyed.grantsSigned > 0) options.logger?.warn(keyed, 'keyed the audit chain and signed the grants of an earlier version (audited as audit.keyed and integrity.grantsSigned)');
  const configured = { admins: config.ELEVATE_ADMINS, auditors: config.ELEVATE_AUDITORS };
  await elevate.bootstrap(configured);
  // After the first start the groups are managed in Elevate: say so when the variables disagree.
  if (options.logger) {
    for (const drift of await groupDrift(store, configured)) options.logger.warn({ group: drift.group, notMembers: drift.notMembers, notConfigured: drift.notConfigured }, describeDrift(drift));
  }
  await elevate.authorizations.refresh();
  return { elevate, store, directories, close: () => db.destroy() };
}

const PLATFORM_HINTS: Record<string, { enabled: (c: Config) => boolean; variables: string }> = {
  slack: { enabled: (c) => Boolean(c.SLACK_BOT_TOKEN && c.SLACK_SIGNING_SECRET), variables: 'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET' },
  teams: { enabled: (c) => Boolean(c.TEAMS_APP_ID), variables: 'TEAMS_APP_ID and TEAMS_APP_PASSWORD' },
};

export interface RunningServer {
  port: number;
  api: RestApi;
  engine: Engine;
  dispatcher: OutboxDispatcher;
  scheduler: Scheduler;
  /** Turns /readyz to 503 while still serving, so load balancers stop sending work. */
  beginShutdown(): void;
  stop(): Promise<void>;
}

/** `elevate serve`: the engine, the chat adapters, the scheduler, the outbox dispatcher and the HTTP server. */
export async function startServer(
  config: Config,
  options: {
    logger?: Logger; clock?: Clock; ports?: ChatPort[]; slackProcessBeforeResponse?: boolean; teamsToken?: () => string; teamsGraphScope?: string;
    /** Tests: a local Bot Framework OpenID metadata URL whose keys sign the test's activities (see the Teams adapter). */
    teamsOpenIdMetadataUrl?: string;
  } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  // The web console's variables are checked before anything starts (a bad one names itself).
  const { webConfig } = await import('./web/web-config.js');
  const web = webConfig(config);
  const engine = await createEngine(config, { logger, clock: options.clock });
  const clock = options.clock ?? systemClock;
  const ports = [...(options.ports ?? [])];
  const metrics = new Metrics(engine.store, clock);
  engine.elevate.ctx.observer = metrics;
  let stopping = false;
  const http = new HttpServer(logger)
    .route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }))
    .route('GET', '/readyz', async (_req, res) => {
      const readiness = await checkReadiness({ db: engine.store.db, dispatcher, stopping });
      sendJson(res, readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks });
    })
    .route('GET', '/metrics', async (req, res) => {
      if (config.ELEVATE_METRICS_TOKEN && req.headers.authorization !== `Bearer ${config.ELEVATE_METRICS_TOKEN}`) {
        sendJson(res, 401, { error: { code: 'unauthenticated', message: 'send Authorization: Bearer <ELEVATE_METRICS_TOKEN>' } });
        return;
      }
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
    });
  // The API's front door, before the API's own routes (which need a token).
  http.route('GET', '/api/v1', apiIndex).route('GET', '/api/v1/', apiIndex);
  // Loaded here, not at the top: every CLI command imports this file and should start fast.
  const { API_PREFIX, RestApi } = await import('./http/api/rest-api.js');
  const api = new RestApi({ elevate: engine.elevate, logger, writesPerMinute: config.ELEVATE_API_WRITES_PER_MINUTE, writeBurst: config.ELEVATE_API_WRITE_BURST });
  http.route('*', `${API_PREFIX}/`, api.handle, { prefix: true });
  const stops: Array<() => Promise<void>> = [];
  try {
    if (config.SLACK_BOT_TOKEN && config.SLACK_SIGNING_SECRET) {
      const { createSlackAdapter } = await import('../adapters/slack/slack-adapter.js');
      const slack = await createSlackAdapter({
        elevate: engine.elevate, logger, botToken: config.SLACK_BOT_TOKEN, signingSecret: config.SLACK_SIGNING_SECRET,
        appToken: config.SLACK_APP_TOKEN, apiUrl: config.SLACK_API_URL, auditChannel: config.SLACK_AUDIT_CHANNEL,
        command: config.SLACK_COMMAND, processBeforeResponse: options.slackProcessBeforeResponse,
        replayGuard: new SeenRequests(engine.store.db),
      });
      ports.push(slack.port);
      engine.directories.register('slack', slack.people);
      if (slack.handle) http.route('POST', '/slack/events', slack.handle);
      stops.push(slack.stop);
      logger.info({ platform: 'slack', mode: config.SLACK_APP_TOKEN ? 'socket' : 'http' }, 'slack is enabled');
    }
  } catch (error) {
    await engine.close();
    throw new Error(`Slack: ${(error as { data?: { error?: string } }).data?.error ?? (error as Error).message} (check SLACK_BOT_TOKEN and SLACK_API_URL)`);
  }
  if (config.TEAMS_APP_ID) {
    if (config.TEAMS_ALLOW_UNAUTHENTICATED === 'true') {
      logger.warn({ platform: 'teams' }, 'TEAMS_ALLOW_UNAUTHENTICATED=true: Teams activities are accepted WITHOUT authentication. Development only: never expose this server.');
    }
    const { createTeamsAdapter } = await import('../adapters/teams/teams-adapter.js');
    const teams = await createTeamsAdapter({
      elevate: engine.elevate, logger, outbox: engine.store, refs: new ConversationRefs(engine.store.db, () => (options.clock ?? systemClock).now()),
      appId: config.TEAMS_APP_ID, appPassword: config.TEAMS_APP_PASSWORD, tenantIds: config.TEAMS_TENANT_ID, serviceUrlAllow: config.TEAMS_SERVICE_URL_ALLOW, serviceUrl: config.TEAMS_SERVICE_URL,
      auditConversation: config.TEAMS_AUDIT_CONVERSATION, allowUnauthenticated: config.TEAMS_ALLOW_UNAUTHENTICATED === 'true', token: options.teamsToken,
      graphScope: options.teamsGraphScope, openIdMetadataUrl: options.teamsOpenIdMetadataUrl,
    });
    ports.push(teams.port);
    engine.directories.register('teams', teams.directory);
    http.route('POST', '/api/messages', (req, res) => teams.handle(req, res));
    logger.info({ platform: 'teams' }, 'teams is enabled');
  }
  for (const [platform, hint] of Object.entries(PLATFORM_HINTS)) {
    if (!hint.enabled(config) && !ports.some((p) => p.platform === platform)) {
      logger.info({ platform }, `${platform} is not configured: set ${hint.variables} to enable it`);
    }
  }
  // Endpoints of platforms not served here say why (a routing mistake shows at once), and what is.
  const slackServed = config.SLACK_BOT_TOKEN && config.SLACK_SIGNING_SECRET
    ? (config.SLACK_APP_TOKEN ? 'not served: Slack uses Socket Mode on this server (SLACK_APP_TOKEN)' : '/slack/events')
    : `not served: Slack is not configured (set ${PLATFORM_HINTS.slack!.variables})`;
  const teamsServed = config.TEAMS_APP_ID ? '/api/messages' : `not served: Teams is not configured (set ${PLATFORM_HINTS.teams!.variables})`;
  if (slackServed !== '/slack/events') http.route('*', '/slack/events', notServed(`Slack is not configured on this server${config.SLACK_APP_TOKEN ? ' for HTTP: it uses Socket Mode (SLACK_APP_TOKEN)' : `: set ${PLATFORM_HINTS.slack!.variables}`}`));
  if (teamsServed !== '/api/messages') http.route('*', '/api/messages', notServed(`Teams is not configured on this server: set ${PLATFORM_HINTS.teams!.variables}`));
  const index = serviceIndex({ slack: slackServed, teams: teamsServed });
  // Names this instance's outbox and scheduler leases: unique even for two containers that share
  // a host name and are both PID 1.
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const dispatcher = new OutboxDispatcher({
    store: engine.store, ports, clock, logger, owner,
    paceMs: { slack: config.SLACK_PACE_MS, teams: config.TEAMS_PACE_MS },
    // Teams also allows at most 60 sends per conversation per 30 s; counted here over 31 s, since
    // Teams counts a sliding window as sends arrive and this one restarts on a timer.
    windowLimits: { teams: { count: 60, intervalMs: 31_000 } },
    maxAttempts: config.ELEVATE_DELIVERY_MAX_ATTEMPTS,
    leaseSeconds: config.ELEVATE_LEASE,
    homeOf: (identity) => engine.elevate.homeOfAccount(identity),
    onAttempt: (delivery, outcome, info) => metrics.deliveryAttempt(delivery, outcome, info),
  });
  // Hook calls have their own dispatcher: a slow webhook or command (up to its timeout) must not
  // hold up chat cards, and its lease outlasts a grant's start and end calls at their timeout.
  const longestHookSeconds = Math.max(10, ...Object.values(config.ELEVATE_HOOKS).map((h) => ('command' in h ? h.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS : 10)));
  const hookDispatcher = new OutboxDispatcher({
    store: engine.store, ports: [], clock, logger, owner: `${owner}:hooks`, paceMs: {}, maxAttempts: config.ELEVATE_DELIVERY_MAX_ATTEMPTS,
    // Always present: hook calls queued under an earlier configuration are still run (or reported failing).
    hooks: { port: new HookRunner(config.ELEVATE_HOOKS, clock), record: async (report) => (await engine.elevate.recordHookAttempt(report)).verdict, wanted: (event) => engine.elevate.hookCallWanted(event) },
    leaseSeconds: Math.max(config.ELEVATE_LEASE, 2 * longestHookSeconds + 10),
    onAttempt: (delivery, outcome, info) => metrics.deliveryAttempt(delivery, outcome, info),
  });
  if (Object.keys(config.ELEVATE_HOOKS).length > 0) logger.info({ hooks: Object.keys(config.ELEVATE_HOOKS) }, 'provisioning hooks are configured');
  const scheduler = new Scheduler({
    elevate: engine.elevate, logger, intervalMs: config.ELEVATE_SCHEDULER_INTERVAL * 1000, leases: { store: engine.store, owner, leaseSeconds: config.ELEVATE_LEASE },
  });
  const chainer = new AuditChainer({ elevate: engine.elevate, logger, intervalMs: AUDIT_CHAIN_INTERVAL_MS });
  const checkpoints = new AuditCheckpoints({
    elevate: engine.elevate, logger, intervalMs: config.ELEVATE_AUDIT_CHECKPOINT * 1000,
    file: config.ELEVATE_AUDIT_CHECKPOINT_FILE, url: config.ELEVATE_AUDIT_CHECKPOINT_URL, secret: config.ELEVATE_AUDIT_CHECKPOINT_SECRET,
    leases: { store: engine.store, owner, leaseSeconds: config.ELEVATE_LEASE },
  });
  // Refusals beyond each source's burst are counted; their counts are audited once a minute.
  const refusalTimer = setInterval(() => {
    engine.elevate.flushRefusals().catch((error: unknown) => logger.error({ err: error }, 'could not audit refusal summaries; will retry'));
  }, REFUSAL_SUMMARY_INTERVAL_MS);
  refusalTimer.unref();
  // The web console answers every path nothing above took, so it is mounted last.
  const { createWebConsole } = await import('./web/console.js');
  const { WebSessions } = await import('./store/web-sessions.js');
  const webConsole = createWebConsole({ elevate: engine.elevate, clock, logger, store: new WebSessions(engine.store.db), ...web });
  // `GET /`: the console for browsers, what this server serves (JSON) for everything else.
  http.route('GET', '/', (req, res) => (/\btext\/html\b/.test(req.headers.accept ?? '') ? webConsole.handle(req, res) : index(req, res)));
  http.route('*', '/', webConsole.handle, { prefix: true });
  if (web.devSignIn) logger.warn({ host: web.host }, 'ELEVATE_WEB_DEV_SIGNIN=true: the web console lets ANYONE sign in as ANYONE. Development only, on this machine only.');
  if (!web.oidc && !web.devSignIn) logger.info('web console: no sign-in yet (ELEVATE_OIDC_ISSUER, ELEVATE_OIDC_CLIENT_ID, ELEVATE_OIDC_CLIENT_SECRET and ELEVATE_PUBLIC_URL enable company sign-in)');
  const port = await http.listen(config.PORT, web.host);
  dispatcher.start();
  hookDispatcher.start();
  scheduler.start();
  chainer.start();
  checkpoints.start();
  logger.info({ port, database: describeDatabase(config.DATABASE_URL) }, 'Elevate is serving');
  return {
    port, api, engine, dispatcher, scheduler,
    /**
     * Graceful shutdown: /readyz turns 503, no new connections, requests in flight finish
     * (within a grace period), then the scheduler and the dispatcher stop and hand back their
     * leases, pending audit summaries are written, and the database closes.
     */
    beginShutdown() {
      stopping = true;
    },
    async stop() {
      stopping = true;
      await http.close();
      // Chat platforms first (Socket Mode stops taking events), then the background work.
      for (const stop of stops) await stop();
      await scheduler.stop();
      await dispatcher.stop();
      await hookDispatcher.stop();
      await api.close();
      clearInterval(refusalTimer);
      await engine.elevate.flushRefusals(true).catch((error: unknown) => logger.error({ err: error }, 'could not audit refusal summaries'));
      // This instance's records into the chain (PostgreSQL) before the checkpoint publishes the head.
      await chainer.stop();
      // Last, so the head it publishes includes the refusal summaries; the feed message it queues
      // goes out at the next start (or from another instance).
      await checkpoints.stop();
      await engine.close();
      logger.info('Elevate stopped');
    },
  };
}
