import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'elevate-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withFile(content: unknown): NodeJS.ProcessEnv {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return { ELEVATE_CONFIG: file };
}

function problem(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`configuration ${JSON.stringify(env)} was accepted`);
}

describe('configuration that explains itself', () => {
  it('config/elevate.example.json sets every setting and loads', () => {
    const path = new URL('../../config/elevate.example.json', import.meta.url).pathname;
    const example = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(example).filter((k) => !k.startsWith('//')).sort()).toEqual([...CONFIG_KEYS].sort());
    const config = loadConfig({ ELEVATE_CONFIG: path });
    expect(config).toMatchObject({
      DATABASE_URL: './data/elevate.db', PORT: 3000, ELEVATE_ADMINS: ['slack:U0123ABCD', 'teams:11111111-2222-3333-4444-555555555555'],
      ELEVATE_LINK_EMAIL_DOMAINS: ['example.com'], ELEVATE_REQUEST_TIMEOUT: 86_400, TEAMS_ALLOW_UNAUTHENTICATED: 'false',
    });
    expect(Object.keys(config.ELEVATE_HOOKS)).toEqual(['exchange-rbac', 'local-script']);
  });

  it('refuses unknown keys in the file, naming the closest known one', () => {
    expect(problem(withFile({ DATABSE_URL: 'x.db', PORT: 3000 }))).toMatch(/^ELEVATE_CONFIG: .* has unknown setting\(s\) "DATABSE_URL" \(did you mean DATABASE_URL\?\)/);
    expect(problem(withFile({ slack_bot_token: 'xoxb-1' }))).toMatch(/"slack_bot_token" \(did you mean SLACK_BOT_TOKEN\?\)/);
    expect(problem(withFile(['PORT']))).toMatch(/must hold a JSON object of settings/);
    expect(problem(withFile({ ELEVATE_CONFIG: '/etc/other.json' }))).toMatch(/"ELEVATE_CONFIG" \(it names this file: set it in the environment\)/);
    expect(loadConfig(withFile({ '// PORT': 'a comment', PORT: 8080, HOST: null })).PORT).toBe(8080);
  });

  it('takes lists as JSON arrays (in the file or the environment) or comma-separated text', () => {
    expect(loadConfig(withFile({ ELEVATE_ADMINS: ['slack:U1', 'teams:abc'] })).ELEVATE_ADMINS).toEqual(['slack:U1', 'teams:abc']);
    expect(loadConfig({ ELEVATE_ADMINS: '["slack:U1"]', ELEVATE_AUDITORS: 'slack:U2, slack:U3' })).toMatchObject({ ELEVATE_ADMINS: ['slack:U1'], ELEVATE_AUDITORS: ['slack:U2', 'slack:U3'] });
    expect(problem(withFile({ ELEVATE_ADMINS: ['slack:U1', 3] }))).toMatch(/ELEVATE_ADMINS \(in .*\): must be a comma-separated list \(a, b\) or a JSON array of strings/);
  });

  it('says in plain words what is wrong, naming the variable, where it came from and the expected form', () => {
    expect(problem({ PORT: 'eighty' })).toBe('invalid configuration: PORT: must be a whole number from 0 to 65535, not "eighty"');
    expect(problem({ DATABASE_POOL_SIZE: '2.5' })).toBe('invalid configuration: DATABASE_POOL_SIZE: must be a whole number from 1 to 1000, not "2.5"');
    expect(problem({ LOG_LEVEL: 'loud' })).toBe('invalid configuration: LOG_LEVEL: must be fatal, error, warn, info, debug, trace or silent, not "loud"');
    expect(problem({ ELEVATE_LEASE: 'a minute' })).toBe('invalid configuration: ELEVATE_LEASE: must be a duration such as 30s, 15m, 2h or 1d, not "a minute"');
    expect(problem(withFile({ PORT: true }))).toMatch(/^invalid configuration: PORT \(in .*\.json\): must be a whole number from 0 to 65535, not "true"$/);
    expect(problem(withFile({ ELEVATE_HOOKS: 5 }))).toMatch(/ELEVATE_HOOKS \(in .*\): must be a JSON object$/);
    // Whatever the value, no variable answers in a validation library's words.
    for (const key of CONFIG_KEYS) {
      for (const value of ['\u0001', 'NaN', '-1', '[1]', '{"a":1}']) {
        let message: string;
        try {
          loadConfig({ [key]: value, ...(key.startsWith('SLACK_') ? { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's'.repeat(20) } : {}), ...(key.startsWith('TEAMS_') ? { TEAMS_APP_ID: '11111111-2222-4333-8444-555555555555', TEAMS_APP_PASSWORD: 'p' } : {}) });
          continue;
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message, `${key}=${value}`).toMatch(/^invalid configuration: [A-Z_]+(\.[\w-]+)*( \(in .*\))?: /);
        expect(message, `${key}=${value}`).not.toMatch(/\bexpected\b|\breceived\b|Invalid input|NaN,|ZodError/);
      }
    }
  });

  it('DATABASE_URL is a path, a sqlite: URL or a postgres(ql):// URL; nothing else', () => {
    expect(problem({ DATABASE_URL: 'mysql://x/y' })).toBe('invalid configuration: DATABASE_URL: must be a SQLite file path (./data/elevate.db), a sqlite: URL (sqlite:/var/lib/elevate/elevate.db) or a PostgreSQL URL (postgres://user:password@host:5432/database), not "mysql://x/y"');
    expect(problem({ DATABASE_URL: 'postgres://' })).toMatch(/DATABASE_URL: is not a valid PostgreSQL URL/);
    for (const url of ['./data/elevate.db', '/var/lib/elevate/elevate.db', 'sqlite:/var/lib/elevate.db', 'postgresql://u:p@db:5432/elevate']) {
      expect(loadConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
  });

  it('a database that cannot be created or reached fails at once, naming DATABASE_URL', async () => {
    await expect(openDatabase('/proc/nope/elevate.db')).rejects.toThrow(
      "DATABASE_URL (/proc/nope/elevate.db): cannot create the folder /proc/nope for the SQLite database: ENOENT: no such file or directory, mkdir '/proc/nope'",
    );
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expect(openDatabase(join(file, 'elevate.db'))).rejects.toThrow(`DATABASE_URL (${join(file, 'elevate.db')}): cannot create the folder ${file} for the SQLite database: ${file} is not a folder`);
    await expect(openDatabase('postgres://elevate:secret@127.0.0.1:1/elevate')).rejects.toThrow(
      /^DATABASE_URL \(postgres:\/\/elevate:\*\*\*@127\.0\.0\.1:1\/elevate\): cannot reach PostgreSQL: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });
});
