import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runElevate } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;
const SEARCH = 'Exchange\\Search-Mailbox';

function elevate(...args: string[]) {
  return runElevate(env, ...args);
}

/** `elevate <args>` with `input` typed on standard input (the confirmation word). */
function typed(input: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, input, encoding: 'utf8' });
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-break-glass-'));
  env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'),
    ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent', ELEVATE_BREAK_GLASS_REVIEW: '12h' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each command is a new process (about 1 s of start-up on a busy 2-core machine): generous timeouts.
describe('break-glass from the CLI', { timeout: 180_000 }, () => {
  it('policy flags, a typed confirmation (or --yes), refusals that say why, marked grants and check, review and the report', () => {
    expect(elevate('group', 'new', 'approvers').code).toBe(0);
    expect(elevate('group', 'add-member', 'approvers', 'slack:UCAROL').code).toBe(0);
    expect(elevate('group', 'new', 'oncall').code).toBe(0);
    expect(elevate('group', 'add-member', 'oncall', 'slack:UURSULA').code).toBe(0);
    expect(elevate('policy', 'new', '--task', SEARCH, '--approval', 'manual', '--approver-group', 'approvers', '--break-glass-group', 'oncall', '--break-glass-max-duration', '30m').code).toBe(0);
    expect(elevate('policy', 'get', SEARCH).out).toMatch(/break-glass\s+oncall, at most 30m, 2 a day/);

    const asUrsula = ['--as', 'slack:UURSULA', 'request', 'new', SEARCH, '--break-glass'];
    expect(elevate(...asUrsula, '--yes')).toMatchObject({ code: 2, err: expect.stringContaining(`a reason is required to request ${SEARCH}`) });
    expect(elevate('--as', 'slack:UMALLORY', 'request', 'new', SEARCH, '--break-glass', '--reason', 'x', '--yes'))
      .toMatchObject({ code: expect.any(Number), err: expect.stringContaining(`only members of oncall may break glass on ${SEARCH}`) });
    // A wrong word, or none (standard input ends), does nothing.
    const wrong = typed('yes\n', ...asUrsula, '--reason', 'INC-42 outage');
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain('It alerts the 1 approver(s) of approvers and the 1 admin(s) now, and the approvers review it within 12h. Uses left today: 2 of 2.');
    expect(wrong.err).toContain('not confirmed: type break-glass when asked, or pass --yes; nothing was done');
    expect(typed('', ...asUrsula, '--reason', 'INC-42 outage').err).toContain('not confirmed');
    expect(elevate('authorization', 'get').out).not.toContain(SEARCH);

    const used = typed('break-glass\n', ...asUrsula, '--reason', 'INC-42 outage');
    expect(used.code).toBe(0);
    expect(used.out).toMatch(/^break-glass: request R-\w+ for Exchange\\Search-Mailbox: access until .+ \(grant G-\w+, break-glass\)\nalerted the 1 approver\(s\) of approvers and the 1 admin\(s\); the approvers review it by /);
    const grantId = /grant (G-\w+)/.exec(used.out)![1]!;
    expect(elevate('authorization', 'check', 'slack:UURSULA', SEARCH)).toMatchObject({ code: 0, out: expect.stringContaining(`(grant ${grantId}, break-glass)`) });
    expect(elevate('authorization', 'get').out).toContain('active (break-glass)');
    expect(elevate('break-glass', 'list', '--status', 'pending').out).toContain(grantId);

    expect(elevate('--as', 'slack:UCAROL', 'break-glass', 'review', grantId)).toMatchObject({ code: 2, err: expect.stringContaining('say --ack or --flag') });
    expect(elevate('--as', 'slack:UURSULA', 'break-glass', 'review', grantId, '--ack').err).toContain('you cannot review your own break-glass use');
    expect(elevate('--as', 'slack:UCAROL', 'break-glass', 'review', grantId, '--flag', 'no such incident').out).toBe(`break-glass use of ${SEARCH} (grant ${grantId}) flagged`);
    const report = elevate('report', 'usage', '--period', '1d');
    expect(report.out).toContain('break-glass: 1 use(s), 0 acknowledged, 1 flagged, 0 waiting for review');
    expect(report.out).toMatch(new RegExp(`${grantId}.*no such incident`));
    expect(JSON.parse(elevate('--json', 'report', 'usage', '--period', '1d').out).breakGlass.flagged[0]).toMatchObject({ grantId, comment: 'no such incident' });
    expect(elevate('audit', 'verify').code).toBe(0);
  });
});
