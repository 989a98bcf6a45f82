import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTeamsHarness, USERS, type TeamsHarness } from '../helpers/teams-harness.js';
import { FakeOpsgenie } from '../fakes/fake-opsgenie.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: TeamsHarness;
let og: FakeOpsgenie;

/** Every string in a value, with the card markdown escapes (\\x) taken out, one per line. */
function texts(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\\(.)/g, '$1').replace(/\u00a0/g, ' ');
  if (Array.isArray(value)) return value.map(texts).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(texts).join('\n');
  return '';
}

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on-call approval in Teams on %s', (database) => {
  // Starting the server and its fakes takes a while on a busy machine.
  beforeEach(async () => {
    og = await new FakeOpsgenie('og-key-e2e').start();
    // A generous provider timeout: a busy test machine must not turn an answer into a failure.
    h = await startTeamsHarness({ database, env: { OPSGENIE_API_KEY: 'og-key-e2e', OPSGENIE_API_URL: og.url, ELEVATE_ON_CALL_TIMEOUT: '30s' } });
    await h.elevate.createGroup(h.operator, 'approvers');
    for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
    await h.elevate.createPolicy(h.operator, {
      target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', maxDurationSeconds: 8 * 3600,
      onCall: ['opsgenie:Exchange Ops'],
    });
  }, 60_000);
  afterEach(async () => {
    await h.close();
    await og.stop();
  }, 60_000);

  it('the requester on call in Opsgenie is approved at once, with the schedule on the cards', async () => {
    const now = Date.parse(h.clock.now());
    const shiftEnd = new Date(now + 3 * 3600_000).toISOString();
    // The tenant's roster gives ursula@example.com; Opsgenie's user name is that address.
    og.schedules.push({ id: 'd5a2a8c4-0000-4000-8000-00000000000a', name: 'Exchange Ops', periods: [{ email: 'ursula@example.com', start: new Date(now - 3600_000).toISOString(), end: shiftEnd }] });
    await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 2h INC-9 outage');
    await h.deliver();
    const [request] = await h.elevate.listRequests(h.operator, {});
    expect(request).toMatchObject({ status: 'approved', durationSeconds: 7200, onCall: { outcome: 'on call', schedule: 'opsgenie:Exchange Ops', shiftEnd } });
    expect(h.elevate.checkAuthorization(`teams:${USERS.ursula!.aad}`, SEARCH).allowed).toBe(true);
    expect(og.requests.map((r) => r.path)).toEqual(['/v2/schedules/Exchange Ops/on-calls', '/v2/schedules/Exchange Ops/timeline']);
    const shown = texts(h.connector.activitiesIn(h.personal(USERS.ursula!)).map((a) => a.activity));
    expect(shown).toContain('Approved automatically (on call on opsgenie:Exchange Ops until');
    const carol = h.connector.conversationFor(USERS.carol!.mri)!;
    expect(texts(h.connector.activitiesIn(carol).map((a) => a.activity))).toContain('on call on opsgenie:Exchange Ops');
  });

  it('someone not on call waits for the approvers, whose card says so', async () => {
    og.schedules.push({ id: 'd5a2a8c4-0000-4000-8000-00000000000a', name: 'Exchange Ops', periods: [] });
    await h.say(USERS.ursula!, 'request Exchange\\Search-Mailbox 1h INC-9');
    await h.deliver();
    const [request] = await h.elevate.listRequests(h.operator, {});
    expect(request).toMatchObject({ status: 'pending', onCall: { outcome: 'not on call' } });
    const carol = h.connector.conversationFor(USERS.carol!.mri)!;
    expect(texts(h.connector.activitiesIn(carol).map((a) => a.activity))).toContain('not on call on opsgenie:Exchange Ops; manual approval');
  });
});
