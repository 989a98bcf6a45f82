import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './core/duration.js';

// Each helper below validates one kind of setting and says what is wrong in plain words; the
// variable's name is put in front of the message by loadConfig. Values arrive as text (the
// environment), or as the JSON text of a value from the ELEVATE_CONFIG file.

/** A message for a value: `must be …, not "<value>"` (long values cut). */
function notThis(expected: string, value: string): string {
  return `must be ${expected}, not "${value.length > 60 ? `${value.slice(0, 60)}…` : value}"`;
}

/** A duration written like 30m, 2h, 1d or 1h30m. */
const duration = (fallback: string) =>
  z.string().default(fallback).transform((text, ctx) => {
    try {
      return parseDuration(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: notThis('a duration such as 30s, 15m, 2h or 1d', text) });
      return z.NEVER;
    }
  });

/** A whole number from `min` to `max`. */
const integer = (fallback: number, min: number, max: number) =>
  z.string().default(String(fallback)).transform((text, ctx) => {
    const value = Number(text.trim());
    if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
      ctx.addIssue({ code: 'custom', message: notThis(`a whole number from ${min} to ${max}`, text) });
      return z.NEVER;
    }
    return value;
  });

/** One of a few words. */
const choice = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((text, ctx) => {
    const value = text.trim().toLowerCase();
    if (!(values as readonly string[]).includes(value)) {
      ctx.addIssue({ code: 'custom', message: notThis(values.join(', ') .replace(/, ([^,]*)$/, ' or $1'), text) });
      return z.NEVER;
    }
    return value as T[number];
  });

/** Text of at least `min` characters (secrets, tokens), saying what it is. */
const text = (min: number, what: string) =>
  z.string().refine((value) => value.length >= min, { message: `must be ${what} (at least ${min} characters)` });

/**
 * A list: comma-separated (`a, b`), or a JSON array (`["a", "b"]`, which is also how the
 * ELEVATE_CONFIG file may write it).
 */
const list = z.string().default('').transform((value, ctx) => {
  if (!value.trim().startsWith('[')) return value.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed.map((s) => s.trim()).filter(Boolean);
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list (a, b) or a JSON array of strings (["a", "b"])' });
  return z.NEVER;
});

const DATABASE_URL_FORMS = 'a SQLite file path (./data/elevate.db), a sqlite: URL (sqlite:/var/lib/elevate/elevate.db) or a PostgreSQL URL (postgres://user:password@host:5432/database)';

/**
 * Where the data lives: a SQLite path, `sqlite:<path>`, or `postgres://` / `postgresql://`.
 * Anything else that looks like a URL (`mysql://…`) is refused rather than taken for a file name.
 */
const databaseUrl = z.string().default('./data/elevate.db').transform((value, ctx) => {
  const url = value.trim();
  if (/^postgres(ql)?:\/\//i.test(url)) {
    try {
      if (new URL(url).hostname) return url;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'is not a valid PostgreSQL URL: write postgres://user:password@host:5432/database' });
    return z.NEVER;
  }
  // A URL scheme (two or more letters before ':'; one letter is a Windows drive).
  if (/^[a-z][a-z0-9+.-]+:/i.test(url) && !/^sqlite:/i.test(url)) {
    ctx.addIssue({ code: 'custom', message: notThis(DATABASE_URL_FORMS, url) });
    return z.NEVER;
  }
  if (url.replace(/^sqlite:(\/\/)?/i, '') === '') {
    ctx.addIssue({ code: 'custom', message: `names no file: it must be ${DATABASE_URL_FORMS}` });
    return z.NEVER;
  }
  return url;
});

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
    ctx.addIssue({ code: 'custom', message: `must be a JSON object of hooks by name ({"name": {"url": …, "secret": …}}), and this is not JSON: ${(error as Error).message}` });
    return z.NEVER;
  }
}).pipe(z.record(z.string(), hookDefinition).superRefine((defined, ctx) => {
  for (const name of Object.keys(defined).filter((key) => !HOOK_NAME.test(key))) {
    ctx.addIssue({ code: 'custom', path: [name], message: 'hook names are lower-case letters, digits and dashes (at most 63, starting with a letter or digit)' });
  }
}));

/** Every setting, its environment variable, default and meaning. The README's table mirrors this. */
const schema = z.object({
  DATABASE_URL: databaseUrl,
  // Connections each instance keeps to PostgreSQL (ignored for SQLite, which uses one).
  DATABASE_POOL_SIZE: integer(10, 1, 1000),
  PORT: integer(3000, 0, 65535),
  // Unset: every address, IPv6 and IPv4 (so `localhost` works whichever it resolves to).
  HOST: z.string().optional(),
  LOG_LEVEL: choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Unset: pretty on a terminal, JSON lines otherwise (log collectors).
  LOG_FORMAT: choice(['pretty', 'json']).optional(),
  ELEVATE_SIGNING_KEY: text(32, 'a random server key').optional(),
  // Default: `<database>.keys` beside a SQLite database; PostgreSQL needs this or ELEVATE_SIGNING_KEY.
  ELEVATE_SIGNING_KEY_FILE: z.string().optional(),
  ELEVATE_MAX_GRANT_DURATION: duration('30d'),
  // How far ahead a scheduled window may start (request … --start).
  ELEVATE_MAX_SCHEDULE_AHEAD: duration('30d'),
  // Approvers review a break-glass use within this long; then the admins are told.
  ELEVATE_BREAK_GLASS_REVIEW: duration('24h'),
  ELEVATE_AUDIT_CHECKPOINT: duration('10m'),
  ELEVATE_AUDIT_CHECKPOINT_FILE: z.string().optional(),
  ELEVATE_AUDIT_CHECKPOINT_URL: hookUrl.optional(),
  ELEVATE_AUDIT_CHECKPOINT_SECRET: text(16, 'a shared secret the checkpoint webhook verifies signatures with').optional(),
  ELEVATE_ADMINS: list,
  ELEVATE_AUDITORS: list,
  ELEVATE_DEFAULT_APPROVER_GROUP: z.string().default('admins'),
  ELEVATE_LINK_EMAIL_DOMAINS: list,
  ELEVATE_REQUEST_TIMEOUT: duration('24h'),
  ELEVATE_EXPIRY_WARNING: duration('15m'),
  ELEVATE_REMINDER_AFTER: duration('1h'),
  // Reminders to approvers before the policy's escalation group is reminded too.
  ELEVATE_ESCALATE_AFTER: integer(2, 0, 1000),
  ELEVATE_SCHEDULER_INTERVAL: duration('15s'),
  ELEVATE_DELIVERY_MAX_ATTEMPTS: integer(50, 1, 1000),
  // REST API changes per token: a steady rate with short bursts (reads and checks are not limited).
  ELEVATE_API_WRITES_PER_MINUTE: integer(60, 1, 100_000),
  ELEVATE_API_WRITE_BURST: integer(20, 1, 10_000),
  // Unset: /metrics is open (restrict it at the network); set: scrapers send it as a bearer token.
  ELEVATE_METRICS_TOKEN: text(16, 'a bearer token for scrapers').optional(),
  // On SIGTERM, /readyz answers 503 this long before the server stops accepting (load balancers
  // notice within a few health checks); 0 to stop at once.
  ELEVATE_SHUTDOWN_DELAY: z.string().default('5s').transform((value, ctx) => {
    if (/^0+[smhdw]?$/.test(value.trim())) return 0;
    try {
      return parseDuration(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: notThis('a duration such as 5s or 30s, or 0 to stop at once', value) });
      return z.NEVER;
    }
  }),
  ELEVATE_HOOKS: hooks,
  ELEVATE_HOOK_MAX_ATTEMPTS: integer(10, 1, 1000),
  ELEVATE_HOOK_ALERT_AFTER: integer(5, 1, 1000),
  // How long a claimed batch of deliveries (and the scheduler's pass) is an instance's own: after
  // a crash, other instances take the work over once it lapses.
  ELEVATE_LEASE: duration('60s'),
  ELEVATE_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) address people open the web console at, e.g. https://elevate.example.com' }).transform((url) => url.replace(/\/+$/, '')).optional(),
  ELEVATE_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'must be the identity provider\'s issuer URL' }).optional(),
  ELEVATE_OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  ELEVATE_OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  ELEVATE_STEP_UP_MAX_AGE: duration('5m'),
  ELEVATE_STEP_UP_ACR: list,
  ELEVATE_WEB_SESSION_IDLE: duration('30m'),
  ELEVATE_WEB_SESSION_MAX: duration('12h'),
  ELEVATE_WEB_DEV_SIGNIN: choice(['true', 'false']).default('false'),
  // On-call approval: an on-call grant lasts at most until the shift's end plus this.
  ELEVATE_ON_CALL_GRACE: duration('15m'),
  // A request waits for the on-call check; a slower provider means manual approval, not a stuck chat.
  ELEVATE_ON_CALL_TIMEOUT: duration('3s'),
  PAGERDUTY_TOKEN: text(8, 'a PagerDuty REST API key').optional(),
  PAGERDUTY_API_URL: hookUrl.default('https://api.pagerduty.com').transform((url) => url.replace(/\/+$/, '')),
  OPSGENIE_API_KEY: text(8, 'an Opsgenie API key').optional(),
  // The EU instance is https://api.eu.opsgenie.com.
  OPSGENIE_API_URL: hookUrl.default('https://api.opsgenie.com').transform((url) => url.replace(/\/+$/, '')),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)').optional(),
  SLACK_SIGNING_SECRET: text(16, 'the app\'s signing secret').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…) with connections:write').optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL ending in /api/' }).optional(),
  SLACK_AUDIT_CHANNEL: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a channel id (C… or G…), not a name').optional(),
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a slash command like /elevate').default('/elevate'),
  // Slack allows about one message per second per channel (short bursts allowed).
  SLACK_PACE_MS: integer(1000, 0, 60_000),
  TEAMS_APP_ID: z.uuid('must be the bot\'s Microsoft App ID (a GUID)').optional(),
  TEAMS_APP_PASSWORD: z.string().optional(),
  // The Entra tenants served, comma-separated GUIDs: activities from any other tenant are refused.
  TEAMS_TENANT_ID: list.pipe(z.array(z.uuid('each tenant must be an Entra tenant id (a GUID)')).transform((ids) => ids.map((id) => id.toLowerCase()))),
  // Bot Connector addresses beyond Microsoft's public and US government ones (sovereign clouds, tests).
  TEAMS_SERVICE_URL_ALLOW: list.pipe(z.array(z.string().refine((text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
    } catch {
      return false;
    }
  }, 'each address must be an https:// URL (http:// only to 127.0.0.1, localhost or [::1])'))),
  TEAMS_AUDIT_CONVERSATION: z.string().optional(),
  TEAMS_SERVICE_URL: z.url({ protocol: /^https?$/, error: 'must be the Bot Connector URL' }).default('https://smba.trafficmanager.net/teams/'),
  // Development only: accept activities without a Bot Framework token. Never in production.
  TEAMS_ALLOW_UNAUTHENTICATED: choice(['true', 'false']).default('false'),
  // Teams allows 7 sends per second per conversation (and 60 per 30 s, enforced separately).
  // 275 ms: under 4 sends a second, within Teams' 7 per second and 8 per 2 s (Teams "Rate limiting for bots")
  // with room for network jitter (Teams counts sends as they arrive).
  TEAMS_PACE_MS: integer(275, 0, 60_000),
});

/** The names of every setting (the environment variables and the ELEVATE_CONFIG file's keys). */
export const CONFIG_KEYS: readonly string[] = Object.keys(schema.shape);

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {}

/** Zod's own words for what no helper above words itself (a value of the wrong JSON type). */
function plainWords(issue: z.core.$ZodRawIssue): string {
  if (issue.code === 'invalid_type') {
    const forms: Record<string, string> = { string: 'text', number: 'a number', boolean: 'true or false', array: 'a JSON array', record: 'a JSON object', object: 'a JSON object' };
    return `must be ${forms[issue.expected] ?? issue.expected}`;
  }
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : ''}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : ''}`;
  if (issue.code === 'unrecognized_keys') return `has unknown field(s) ${issue.keys.join(', ')}`;
  return 'is not valid';
}

/** The known key most like `key` (edit distance on upper case), to suggest for a misspelt one. */
function closestKey(key: string): string {
  const wanted = key.toUpperCase();
  const distance = (a: string, b: string) => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
      previous = current;
    }
    return previous[b.length]!;
  };
  return [...CONFIG_KEYS].sort((a, b) => distance(wanted, a) - distance(wanted, b) || a.localeCompare(b))[0]!;
}

/**
 * Reads the ELEVATE_CONFIG file: a JSON object whose keys are the variables' names. Values may
 * be JSON numbers, booleans, arrays (lists), objects (ELEVATE_HOOKS) or null (unset); keys
 * starting with `//` are comments. An unknown key is refused, naming the closest known one.
 */
function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`ELEVATE_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`ELEVATE_CONFIG: ${path} must hold a JSON object of settings, e.g. { "PORT": 3000 }`);
  }
  const unknown = Object.keys(parsed).filter((key) => !key.startsWith('//') && !CONFIG_KEYS.includes(key));
  if (unknown.length > 0) {
    const described = unknown.map((key) => (key === 'ELEVATE_CONFIG' ? '"ELEVATE_CONFIG" (it names this file: set it in the environment)' : `"${key}" (did you mean ${closestKey(key)}?)`));
    throw new ConfigError(`ELEVATE_CONFIG: ${path} has unknown setting(s) ${described.join(', ')}; keys are the environment variables' names`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads configuration from an optional JSON file (`ELEVATE_CONFIG`, keys named like the
 * variables) overlaid by the environment, and validates it; the error names each bad variable,
 * says where its value came from and what form it must take.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = env.ELEVATE_CONFIG ? readConfigFile(env.ELEVATE_CONFIG) : {};
  const merged: Record<string, unknown> = {};
  const inFile = new Set<string>();
  for (const key of CONFIG_KEYS) {
    const fromEnv = env[key];
    const value = fromEnv !== undefined && fromEnv !== '' ? fromEnv : fromFile[key];
    if (value === undefined || value === null || value === '') continue;
    if (fromEnv === undefined || fromEnv === '') inFile.add(key);
    // Structured values (lists, ELEVATE_HOOKS) are passed on as the JSON text the environment would hold.
    merged[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  const parsed = schema.safeParse(merged, { error: plainWords });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const [key, ...rest] = issue.path.map(String);
      const where = key && inFile.has(key) ? ` (in ${env.ELEVATE_CONFIG})` : '';
      return `${[key ?? 'configuration', ...rest].join('.')}${where}: ${issue.message}`;
    });
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
  if (config.TEAMS_APP_ID && config.TEAMS_ALLOW_UNAUTHENTICATED === 'true' && config.TEAMS_APP_PASSWORD) {
    // A forged activity could then name any serviceUrl and make the bot send its token there.
    throw new ConfigError('invalid configuration: TEAMS_ALLOW_UNAUTHENTICATED=true is for development without credentials: remove TEAMS_APP_PASSWORD, or turn it off');
  }
  if (config.TEAMS_APP_ID && config.TEAMS_TENANT_ID.length === 0) {
    throw new ConfigError('invalid configuration: TEAMS_TENANT_ID: name the Entra tenant(s) Elevate serves (comma-separated GUIDs); activities from any other tenant are refused');
  }
  if (!config.TEAMS_APP_ID && (config.TEAMS_APP_PASSWORD || config.TEAMS_AUDIT_CONVERSATION || config.TEAMS_TENANT_ID.length > 0 || config.TEAMS_SERVICE_URL_ALLOW.length > 0)) {
    throw new ConfigError('invalid configuration: TEAMS_APP_ID: the other TEAMS_ variables need it');
  }
  return config;
}
