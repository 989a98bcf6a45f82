import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startSlackHarness } from '../helpers/slack-harness.js';
import { startTeamsHarness, USERS } from '../helpers/teams-harness.js';
import { ShellSession } from '../helpers/shell-session.js';

/**
 * The documentation's commands are part of the test suite (DESIGN rule 12): the README's quick
 * start and the Slack and Teams guides' first policies are read from the Markdown and run as
 * written, on a fresh database. A documented command that fails fails here.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The fenced blocks (```lang … ```) under `heading` (up to the next heading of the same level or higher). */
function blocksUnder(markdown: string, heading: string, lang: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" section`);
  const level = heading.split(' ')[0]!;
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!.split('\n').filter((line) => line.trim() !== ''));
}

/** The block that follows "A first policy, for example:" in a guide. */
function firstPolicy(markdown: string): string[] {
  const match = /A first policy, for example:\n\n```text\n([\s\S]*?)```/.exec(markdown);
  if (!match) throw new Error('no "A first policy" example');
  return match[1]!.split('\n').filter((line) => line.trim() !== '');
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// Each CLI line is an `npm run` starting a process (a second or two on a busy 2-core machine).
describe('the README quick start, run as written', { timeout: 180_000 }, () => {
  it('runs every command of the lifecycle block on a fresh database, each exiting 0', async () => {
    const blocks = blocksUnder(read('README.md'), '## Quick start', 'sh');
    const lifecycle = blocks.find((lines) => lines.some((line) => line.includes('request approve')));
    expect(lifecycle, 'the quick start has a block with request approve').toBeDefined();
    expect(lifecycle!.length).toBeGreaterThanOrEqual(8);

    const dir = mkdtempSync(join(tmpdir(), 'elevate-readme-'));
    dirs.push(dir);
    // A fresh database and key in a folder of the test's own; nothing else of the developer's environment.
    const shell = new ShellSession({
      cwd: root,
      env: {
        PATH: process.env.PATH, HOME: dir, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'),
        npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false',
      },
    });
    try {
      let requestId: string | undefined;
      const transcript: string[] = [];
      for (const written of lifecycle!) {
        // The one substitution a reader makes: the request id `request new` printed.
        const line = requestId ? written.replace(/R-XXXXXXXX/g, requestId) : written;
        expect(line, 'the request id was printed before it is used').not.toContain('R-XXXXXXXX');
        const { output, status } = await shell.run(line);
        transcript.push(`$ ${line}\n${output}`);
        expect(status, transcript.join('\n')).toBe(0);
        if (/ request new /.test(line)) {
          requestId = /request (R-[0-9A-Z]+) for /.exec(output)?.[1];
          expect(requestId, output).toBeDefined();
        }
        if (/ policy new /.test(line)) expect(output).toMatch(/^done: create task policy Exchange\\Search-Mailbox/m);
        if (/ request approve /.test(line)) expect(output).toMatch(/approved: access until .* \(grant G-/);
        if (/ authorization check /.test(line)) expect(output).toMatch(/allowed until/);
        if (/ audit verify/.test(line)) expect(output).toMatch(/audit log intact: \d+ records verified/);
        if (/ doctor/.test(line)) expect(output).toMatch(/all checks passed/);
      }
    } finally {
      await shell.close();
    }
  });
});

describe('the chat guides\' first policies, as each platform delivers them', { timeout: 120_000 }, () => {
  it('Slack: the three /elevate commands work, and the policy then approves requests', async () => {
    const lines = firstPolicy(read('adapters/slack/README.md'));
    expect(lines.every((line) => line.startsWith('/elevate '))).toBe(true);
    const h = await startSlackHarness();
    try {
      const replies: string[] = [];
      for (const line of lines) {
        // Slack, with escaping on (the manifest's should_escape), sends a picked @mention as <@ID|name>.
        const text = line.slice('/elevate '.length).replace(/@([a-z]+)/g, (_, name: string) => `<@U${name.toUpperCase()}|${name}>`);
        const answer = await h.command('UALICE', text);
        expect(answer.status).toBe(200);
        replies.push(String(answer.body?.text));
      }
      expect(replies[0]).toMatch(/^Done: create group approvers/);
      expect(replies[1]).toMatch(/^Done: add slack:UCAROL to group approvers/);
      expect(replies[2]).toMatch(/^Done: create task policy Exchange\\Search-Mailbox/);
      expect(replies[2]).toMatch(/Warning: requests for Exchange\\Search-Mailbox by .*slack:UCAROL.* could never be approved/);
      const requested = await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-42');
      const id = /R-[0-9A-Z]+/.exec(String(requested.body?.text))?.[0];
      expect(id, String(requested.body?.text)).toBeDefined();
      expect(String((await h.command('UCAROL', `approve ${id}`)).body?.text)).toMatch(/^You approved/);
      expect(h.elevate.checkAuthorization('slack:UURSULA', 'Exchange\\Search-Mailbox').allowed).toBe(true);
    } finally {
      await h.server.stop();
      await h.slack.close();
    }
  });

  it('Teams: the three messages work, and the policy then approves requests', async () => {
    const lines = firstPolicy(read('adapters/teams/README.md'));
    const h = await startTeamsHarness();
    try {
      const admin = USERS.carol!; // the harness's admin
      for (const line of lines) expect((await h.say(admin, line)).status).toBe(200);
      await h.deliver();
      // The replies' text, with the card markdown escapes (\x) taken out.
      const said = [...JSON.stringify(h.connector.activitiesIn(h.personal(admin)).map((a) => a.activity)).matchAll(/"text":"((?:[^"\\]|\\.)*)"/g)]
        .map((m) => (JSON.parse(`"${m[1]}"`) as string).replace(/\\(.)/g, '$1'));
      expect(said).toEqual([
        'Done: create group approvers.',
        'Done: add teams:11111111-2222-3333-4444-555555555555 to group approvers.',
        'Done: create task policy Exchange\\Search-Mailbox: approval manual, approvers approvers, default 2h, max 8h.',
        expect.stringMatching(/^Warning: requests for Exchange\\Search-Mailbox by teams:11111111-2222-3333-4444-555555555555 could never be approved/),
      ]);
      const approver = await h.elevate.principalFor('teams:11111111-2222-3333-4444-555555555555');
      const ursula = await h.elevate.principalFor(`teams:${USERS.ursula!.aad}`);
      const { request } = await h.elevate.requestAccess({ kind: 'principal', principalId: ursula.id, origin: 'teams' }, { target: 'Exchange\\Search-Mailbox', duration: '1h', reason: 'INC-42' });
      const decided = await h.elevate.approve({ kind: 'principal', principalId: approver.id, origin: 'teams' }, { requestId: request.id });
      expect(decided.outcome).toBe('approved');
    } finally {
      await h.close();
    }
  });
});
