import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runCli } from '../../src/cli/program.js';
import { signRequest } from '../../src/core/signature.js';
import { createEngine } from '../../src/main.js';

/**
 * The CLI's contract with people and scripts: usage errors exit 2 with one line and the usage,
 * "no" answers exit 1, every documented command has an example in its --help, output is safe
 * for terminals and pipes.
 */

// The compiled CLI, exactly as users run it (npm test builds first).
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
let dir: string;
let env: NodeJS.ProcessEnv;

interface Run { code: number | null; out: string; err: string }

function elevate(...args: string[]): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/**
 * The same CLI in this process, for what ends before any command runs (usage errors, help): one
 * process per documented command would take minutes on a busy machine. `code` is what the
 * process would exit with (see src/cli/main.ts).
 */
async function elevateHere(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli([process.execPath, CLI, ...args], { writeOut: (text) => { out += text; }, writeErr: (text) => { err += text; } });
  return { code: code ?? 0, out, err };
}

/**
 * Every command the README's CLI table documents, as the words that name it (`policy new`,
 * `group add-member`, …): the leading lower-case words of each `code` span of the first column,
 * alternatives (`approve\|deny`) expanded.
 */
function documentedCommands(): string[][] {
  const table = README.slice(README.indexOf('\n## CLI\n'), README.indexOf('\n## Architecture\n'));
  const commands = new Map<string, string[]>();
  for (const row of table.split('\n').filter((line) => line.startsWith('| `'))) {
    const firstCell = row.split(/(?<!\\)\|/)[1]!;
    for (const [, span] of firstCell.matchAll(/`([^`]+)`/g)) {
      const words: string[][] = [];
      for (const token of span!.replace(/\\\|/g, '|').split(/\s+/)) {
        if (!/^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(token)) break;
        words.push(token.split('|'));
      }
      const expand = (prefix: string[], rest: string[][]): string[][] => (rest.length === 0 ? [prefix] : rest[0]!.flatMap((w) => expand([...prefix, w], rest.slice(1))));
      if (words.length > 0) for (const path of expand([], words)) commands.set(path.join(' '), path);
    }
  }
  return [...commands.values()];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-contract-'));
  env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'), ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent' };
  // A database with people whose names and reasons carry terminal escapes, and enough audit records to fill a pipe.
  const engine = await createEngine(loadConfig(env));
  try {
    const operator = { kind: 'operator', origin: 'cli' } as const;
    const e = engine.elevate;
    // As the Slack adapter would identify them (names keep no control characters; reasons below do).
    e.pinInstallation({ platform: 'slack', appId: 'A1', teamId: 'T1', enterpriseId: null, orgWide: false });
    const origin = { platform: 'slack', appId: 'A1', teamId: 'T1' } as const;
    await e.identify({ identity: 'slack:UURSULA', origin, profile: { displayName: 'Ursula', verifiedEmail: null, standing: 'active' } });
    await e.identify({ identity: 'slack:UCAROL', origin, profile: { displayName: 'Carol\u001b[8m', verifiedEmail: null, standing: 'active' } });
    await e.createGroup(operator, 'approvers');
    for (const m of ['slack:UCAROL', 'slack:UDAVE']) await e.addGroupMember(operator, 'approvers', m);
    await e.createPolicy(operator, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers' });
    const ursula = await e.principalFor('slack:UURSULA');
    // New reasons with control characters are refused; one an earlier version stored must still be
    // shown safely: written (and re-signed, as that version signed it) behind the engine's back.
    const { request } = await e.requestAccess({ kind: 'principal', principalId: ursula.id, origin: 'cli' }, { target: 'Exchange\\Search-Mailbox', reason: 'INC-1' });
    await expect(e.requestAccess({ kind: 'principal', principalId: ursula.id, origin: 'cli' }, { target: 'Exchange\\Search-Mailbox', reason: 'INC-1 \u001b[31mred' }))
      .rejects.toThrow(/control characters/);
    const stored = { ...request, reason: 'INC-1 \u001b[31mred\u001b[0m\nfake line \u202eevil' };
    await engine.store.db.updateTable('requests').set({ reason: stored.reason, signature: signRequest(e.ctx.config.keys.signing, stored) }).where('id', '=', request.id).execute();
    for (let i = 0; i < 300; i++) await e.createGroup(operator, `filler-${i}`, { description: 'x'.repeat(200) });
  } finally {
    await engine.close();
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI contract', { timeout: 180_000 }, () => {
  it('every documented command, given a wrong argument, prints one clear line with its usage and exits 2', async () => {
    const commands = documentedCommands();
    expect(commands.map((c) => c.join(' '))).toEqual(expect.arrayContaining([
      'policy new', 'policy remove', 'group add-member', 'group remove-member', 'admins', 'request approve', 'request deny', 'authorization check',
      'audit export', 'report usage', 'pam protect auto', 'token revoke', 'migrate', 'serve', 'doctor', 'backup',
    ]));
    for (const command of commands) {
      const run = await elevateHere([...command, '--no-such-option']);
      const what = `elevate ${command.join(' ')} --no-such-option`;
      expect(run.code, what).toBe(2);
      expect(run.out, what).toBe('');
      expect(run.err.trimEnd().split('\n'), what).toHaveLength(1);
      // Mostly "unknown option"; a command with a required option says that one is missing first.
      expect(run.err, what).toMatch(new RegExp(`^error: (unknown option '--no-such-option'|required option '[^']+' not specified); usage: elevate ${command.slice(0, 2).join(' ')}`));
    }
    // The same, as a process: the exit status scripts see.
    expect(elevate('pam', 'status', '--no-such-option')).toEqual({ code: 2, out: '', err: "error: unknown option '--no-such-option'; usage: elevate pam status [options]\n" });
  });

  it('other usage errors: a missing argument, a bad choice, too many arguments, a missing option, an unknown command', async () => {
    expect(elevate('authorization', 'check', 'slack:U1')).toEqual({
      code: 2, out: '', err: "error: missing required argument 'target'; usage: elevate authorization check [options] <principal> <target>\n",
    });
    expect(await elevateHere(['report', 'usage', '--format', 'xml'])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: option '--format <format>' argument 'xml' is invalid\. Allowed choices are table, json, csv; usage: elevate report usage \[options\]\n$/) });
    expect(await elevateHere(['audit', 'verify', 'now'])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: too many arguments for 'verify'\. Expected 0 arguments but got 1; usage: elevate audit verify/) });
    expect(await elevateHere(['token', 'new', '--scope', 'admin'])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: required option '--name <name>' not specified; usage: elevate token new/) });
    expect(await elevateHere(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: unknown command 'frobnicate'; usage: elevate /) });
  });

  it('a question that is itself wrong is an error (2), not a "no" (1)', () => {
    expect(elevate('authorization', 'check', 'nobody', 'Exchange\\Search-Mailbox')).toEqual({
      code: 2, out: '', err: 'error: "nobody" is not a principal: write slack:U0123ABCD, teams:<Entra object id> or a linked email address\n',
    });
    expect(elevate('authorization', 'check', 'slack:UURSULA', 'Search-Mailbox').code).toBe(2);
    expect(elevate('authorization', 'check', 'slack:UURSULA', 'Exchange\\Search-Mailbox')).toMatchObject({ code: 1, out: 'not allowed\n' });
  });

  it('--version, and an example in every documented command\'s --help; serve --help lists the configuration variables', async () => {
    expect(elevate('--version')).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    const commands = documentedCommands();
    for (const command of commands) {
      const help = await elevateHere([...command, '--help']);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.out, command.join(' ')).toMatch(/\nExamples?:\n {2}\$ (\S+=\S+ )*elevate /);
    }
    const serve = (await elevateHere(['serve', '--help'])).out;
    for (const variable of ['DATABASE_URL', 'LOG_FORMAT', 'ELEVATE_ADMINS', 'SLACK_BOT_TOKEN', 'TEAMS_APP_ID', 'ELEVATE_HOOKS']) expect(serve).toContain(variable);
    expect(serve).toContain('README.md, section "Configuration"');
  });

  it('shows people\'s text with control characters escaped, and names next to ids', () => {
    const listed = elevate('request', 'list');
    expect(listed.code).toBe(0);
    expect(listed.out).not.toContain('\u001b');
    expect(listed.out).not.toContain('\u202e');
    expect(listed.out).toContain('INC-1 \\e[31mred\\e[0m\\nfake line \\u202eevil');
    expect(listed.out).toMatch(/REQUESTER/);
    expect(listed.out).toContain('Ursula (slack:UURSULA)');
    const group = elevate('group', 'get', 'approvers').out;
    expect(group).toContain('Carol [8m (slack:UCAROL)');
    expect(group).not.toContain('\u001b');
    // JSON stays JSON, with the same escapes a JSON reader undoes.
    const json = elevate('--json', 'request', 'list').out;
    expect(json).not.toContain('\u001b');
    expect(json).not.toContain('\u202e');
    expect((JSON.parse(json) as Array<{ reason: string }>)[0]!.reason).toBe('INC-1 \u001b[31mred\u001b[0m\nfake line \u202eevil');
  });

  it('ends quietly when the reader of its output goes away (elevate audit export | head -1)', () => {
    const piped = spawnSync('bash', ['--norc', '--noprofile', '-c', `set -o pipefail; "${process.execPath}" "${CLI}" audit export | head -1 >/dev/null; echo "exit \${PIPESTATUS[0]}" >&2`], { env, encoding: 'utf8' });
    expect(piped.stderr).toBe('exit 0\n');
  });

  it('elevate admins: who, since when, added how; and what ELEVATE_ADMINS differs in', () => {
    const same = elevate('admins');
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/slack:UADMIN\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d\s+ELEVATE_ADMINS at first start/);
    const changed = spawnSync(process.execPath, [CLI, 'admins'], { env: { ...env, ELEVATE_ADMINS: 'slack:UBOB' }, encoding: 'utf8' });
    expect(changed.stdout).toContain('ELEVATE_ADMINS lists slack:UBOB, not in the admins group; the admins group has slack:UADMIN, not in ELEVATE_ADMINS');
    expect(changed.stdout).toContain('elevate group add-member admins <principal>');
    expect(elevate('group', 'add-member', 'admins', 'slack:UBOB').code).toBe(0);
    expect(elevate('group', 'get', 'admins').out).toMatch(/slack:UBOB\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d\s+operator via cli/);
  });

  it('elevate backup: a consistent, private copy; never over an existing file; PostgreSQL is pg_dump\'s', () => {
    const file = join(dir, 'backup.db');
    const backup = elevate('backup', file);
    expect(backup.code, backup.err).toBe(0);
    expect(backup.out).toMatch(/^backed up .*elevate\.db to .*backup\.db \(\d+ audit records, \d+ KiB, mode 600\)\nKeep the key file .*signing\.key with it, but apart from it/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const copy = new BetterSqlite3(file, { readonly: true });
    expect((copy.prepare('select count(*) as n from policies').get() as { n: number }).n).toBe(1);
    copy.close();
    expect(elevate('backup', file)).toMatchObject({ code: 2, err: expect.stringMatching(/already exists: name a new file/) });
    const postgres = spawnSync(process.execPath, [CLI, 'backup', join(dir, 'pg.db')], { env: { ...env, DATABASE_URL: 'postgres://u:secret@db.example.com:5432/elevate' }, encoding: 'utf8' });
    expect(postgres.status).toBe(2);
    expect(postgres.stderr).toMatch(/^error: DATABASE_URL is PostgreSQL \(postgres:\/\/u:\*\*\*@db\.example\.com:5432\/elevate\): back it up with pg_dump/);
    expect(existsSync(join(dir, 'pg.db'))).toBe(false);
  });

  it('policy remove with active grants says what to do; the usage report gives seconds and a relinquished column', () => {
    expect(elevate('policy', 'new', '--task', 'Exchange\\Get-Mailbox', '--approval', 'auto', '--approver-group', 'approvers', '--max-duration', '1h').code).toBe(0);
    expect(elevate('policy', 'get', 'Exchange\\Get-Mailbox').out).toMatch(/default duration\s+1h\n/);
    const granted = JSON.parse(elevate('--json', '--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Get-Mailbox', '--reason', 'INC-2').out) as { grant: { id: string } };
    expect(elevate('--as', 'slack:UURSULA', 'authorization', 'relinquish', granted.grant.id).code).toBe(0);
    elevate('--as', 'slack:UURSULA', 'request', 'new', 'Exchange\\Get-Mailbox', '--reason', 'INC-3');
    expect(elevate('policy', 'remove', 'Exchange\\Get-Mailbox')).toMatchObject({
      code: 2, err: 'error: policy Exchange\\Get-Mailbox has 1 active grant(s): say whether to end them now (--end-grants) or let them run to their end (--keep-grants)\n',
    });
    expect(elevate('policy', 'remove', 'Exchange\\Get-Mailbox', '--end-grants', '--keep-grants').code).toBe(2);

    const csv = elevate('report', 'usage', '--format', 'csv', '--target', 'Exchange\\Get-Mailbox').out.trim().split('\n');
    expect(csv[0]).toBe('target,requests,approved,auto_approved,denied,expired,cancelled,pending,revoked,relinquished,failed,break_glass,median_decision_seconds,p90_decision_seconds,active_now,top_requesters');
    expect(csv[1]).toMatch(/^Exchange\\\\?Get-Mailbox,2,0,2,0,0,0,0,0,1,0,0,,,1,Ursula \(2\)$/);
    expect(elevate('policy', 'remove', 'Exchange\\Get-Mailbox', '--end-grants')).toMatchObject({ code: 0, out: 'done: remove policy Exchange\\Get-Mailbox, ending its active grants\n' });
  });
});
