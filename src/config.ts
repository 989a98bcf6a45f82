import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './core/duration.js';

const duration = (name: string, fallback: string) =>
  z.string().default(fallback).transform((text, ctx) => {
    try {
      return parseDuration(text, name);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const list = z.string().default('').transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean));

// http:// only to this machine (a local receiver, tests); anything else must be https.
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const hookUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
  } catch {
    return false;
  }
}, 'must be an https:// URL (http:// only to 127.0.0.1, localhost or [::1])');

const hookDefinition = z.union([
  z.strictObject({ url: hookUrl, secret: z.string().min(16, 'must be at least 16 characters') }),
  z.strictObject({
    command: z.array(z.string().min(1)).min(1, 'must name the program: ["/path/to/program", "arg", …]'),
    // A hook holds its outbox lease while it runs; 5 minutes is plenty for a provisioning script.
    timeoutSeconds: z.number().int().min(1).max(300).optional(),
  }),
], { error: 'must be { "url": "https://…", "secret": "…" } or { "command": ["/path/to/program", …], "timeoutSeconds"?: n }' });

const HOOK_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Provisioning hooks by name: JSON text (environment) or an object (ELEVATE_CONFIG file). */
const hooks = z.string().default('{}').transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `must be JSON: ${(error as Error).message}` });
    return z.NEVER;
  }
}).pipe(z.record(z.string(), hookDefinition).superRefine((defined, ctx) => {
  for (const name of Object.keys(defined).filter((key) => !HOOK_NAME.test(key))) {
    ctx.addIssue({ code: 'custom', path: [name], message: 'hook names are lower-case letters, digits and dashes (at most 63, starting with a letter or digit)' });
  }
}));

/** Every setting, its environment variable, default and meaning. The README's table mirrors this. */
const schema = z.object({
  DATABASE_URL: z.string().min(1).default('./data/elevate.db'),
  // Connections each instance keeps to PostgreSQL (ignored for SQLite, which uses one).
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // Unset: every address, IPv6 and IPv4 (so `localhost` works whichever it resolves to).
  HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ELEVATE_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ELEVATE_SIGNING_KEY_FILE: z.string().min(1).default('./data/signing.key'),
  ELEVATE_ADMINS: list,
  ELEVATE_AUDITORS: list,
  ELEVATE_DEFAULT_APPROVER_GROUP: z.string().min(1).default('admins'),
  ELEVATE_LINK_EMAIL_DOMAINS: list,
  ELEVATE_REQUEST_TIMEOUT: duration('ELEVATE_REQUEST_TIMEOUT', '24h'),
  ELEVATE_EXPIRY_WARNING: duration('ELEVATE_EXPIRY_WARNING', '15m'),
  ELEVATE_REMINDER_AFTER: duration('ELEVATE_REMINDER_AFTER', '1h'),
  ELEVATE_SCHEDULER_INTERVAL: duration('ELEVATE_SCHEDULER_INTERVAL', '15s'),
  ELEVATE_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(50),
  // REST API changes per token: a steady rate with short bursts (reads and checks are not limited).
  ELEVATE_API_WRITES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  ELEVATE_API_WRITE_BURST: z.coerce.number().int().min(1).max(10_000).default(20),
  // Unset: /metrics is open (restrict it at the network); set: scrapers send it as a bearer token.
  ELEVATE_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // On SIGTERM, /readyz answers 503 this long before the server stops accepting (load balancers
  // notice within a few health checks); 0 to stop at once.
  ELEVATE_SHUTDOWN_DELAY: z.string().default('5s').transform((text, ctx) => {
    if (/^0+[smhdw]?$/.test(text.trim())) return 0;
    try {
      return parseDuration(text, 'ELEVATE_SHUTDOWN_DELAY');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  ELEVATE_HOOKS: hooks,
  ELEVATE_HOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  ELEVATE_HOOK_ALERT_AFTER: z.coerce.number().int().min(1).max(1000).default(5),
  // How long a claimed batch of deliveries (and the scheduler's pass) is an instance's own: after
  // a crash, other instances take the work over once it lapses.
  ELEVATE_LEASE: duration('ELEVATE_LEASE', '60s'),
  ELEVATE_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) address people open the web console at, e.g. https://elevate.example.com' }).transform((url) => url.replace(/\/+$/, '')).optional(),
  ELEVATE_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'must be the identity provider\'s issuer URL' }).optional(),
  ELEVATE_OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  ELEVATE_OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  ELEVATE_STEP_UP_MAX_AGE: duration('ELEVATE_STEP_UP_MAX_AGE', '5m'),
  ELEVATE_STEP_UP_ACR: list,
  ELEVATE_WEB_SESSION_IDLE: duration('ELEVATE_WEB_SESSION_IDLE', '30m'),
  ELEVATE_WEB_SESSION_MAX: duration('ELEVATE_WEB_SESSION_MAX', '12h'),
  ELEVATE_WEB_DEV_SIGNIN: z.enum(['true', 'false']).default('false'),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(16, 'must be the app\'s signing secret').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…) with connections:write').optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL ending in /api/' }).optional(),
  SLACK_AUDIT_CHANNEL: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a channel id (C… or G…), not a name').optional(),
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a slash command like /elevate').default('/elevate'),
  // Slack allows about one message per second per channel (short bursts allowed).
  SLACK_PACE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  TEAMS_APP_ID: z.uuid('must be the bot\'s Microsoft App ID (a GUID)').optional(),
  TEAMS_APP_PASSWORD: z.string().min(1).optional(),
  TEAMS_TENANT_ID: z.string().min(1).optional(),
  TEAMS_AUDIT_CONVERSATION: z.string().min(1).optional(),
  TEAMS_SERVICE_URL: z.url({ protocol: /^https?$/, error: 'must be the Bot Connector URL' }).default('https://smba.trafficmanager.net/teams/'),
  // Development only: accept activities without a Bot Framework token. Never in production.
  TEAMS_ALLOW_UNAUTHENTICATED: z.enum(['true', 'false']).default('false'),
  // Teams allows 7 sends per second per conversation (and 60 per 30 s, enforced separately).
  TEAMS_PACE_MS: z.coerce.number().int().min(0).max(60_000).default(150),
});

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {}

/**
 * Reads configuration from an optional JSON file (`ELEVATE_CONFIG`, keys named like the
 * variables) overlaid by the environment, and validates it; the error names each bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let fromFile: Record<string, unknown> = {};
  if (env.ELEVATE_CONFIG) {
    try {
      fromFile = JSON.parse(readFileSync(env.ELEVATE_CONFIG, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`ELEVATE_CONFIG: cannot read ${env.ELEVATE_CONFIG}: ${(error as Error).message}`);
    }
  }
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key] ?? fromFile[key];
    // Structured values (ELEVATE_HOOKS in the file) are passed on as the JSON text the environment would hold.
    if (value !== undefined && value !== '') merged[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  const slackVariables = [config.SLACK_APP_TOKEN, config.SLACK_API_URL, config.SLACK_AUDIT_CHANNEL];
  if (Boolean(config.SLACK_BOT_TOKEN) !== Boolean(config.SLACK_SIGNING_SECRET) || (!config.SLACK_BOT_TOKEN && slackVariables.some(Boolean))) {
    throw new ConfigError('invalid configuration: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET: Slack needs both (and the other SLACK_ variables need them)');
  }
  if (config.TEAMS_APP_ID && !config.TEAMS_APP_PASSWORD && config.TEAMS_ALLOW_UNAUTHENTICATED !== 'true') {
    throw new ConfigError('invalid configuration: TEAMS_APP_PASSWORD: Teams needs the bot\'s client secret with TEAMS_APP_ID');
  }
  if (!config.TEAMS_APP_ID && (config.TEAMS_APP_PASSWORD || config.TEAMS_AUDIT_CONVERSATION || config.TEAMS_TENANT_ID)) {
    throw new ConfigError('invalid configuration: TEAMS_APP_ID: the other TEAMS_ variables need it');
  }
  return config;
}
