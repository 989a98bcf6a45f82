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

/** Every setting, its environment variable, default and meaning. The README's table mirrors this. */
const schema = z.object({
  DATABASE_URL: z.string().min(1).default('./data/elevate.db'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ELEVATE_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ELEVATE_SIGNING_KEY_FILE: z.string().min(1).default('./data/signing.key'),
  ELEVATE_ADMINS: list,
  ELEVATE_AUDITORS: list,
  ELEVATE_DEFAULT_APPROVER_GROUP: z.string().min(1).default('admins'),
  ELEVATE_REQUEST_TIMEOUT: duration('ELEVATE_REQUEST_TIMEOUT', '24h'),
  ELEVATE_EXPIRY_WARNING: duration('ELEVATE_EXPIRY_WARNING', '15m'),
  ELEVATE_REMINDER_AFTER: duration('ELEVATE_REMINDER_AFTER', '1h'),
  ELEVATE_SCHEDULER_INTERVAL: duration('ELEVATE_SCHEDULER_INTERVAL', '15s'),
  ELEVATE_FEED_PLATFORMS: list,
  ELEVATE_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(50),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  TEAMS_APP_ID: z.string().optional(),
  TEAMS_APP_PASSWORD: z.string().optional(),
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
    if (value !== undefined && value !== '') merged[key] = typeof value === 'string' ? value : String(value);
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
