import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';
import { FakePagerDuty } from '../fakes/fake-pagerduty.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: SlackHarness;
let pd: FakePagerDuty;

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on-call approval in Slack on %s', (database) => {
  // Starting the server and its fakes takes a while on a busy machine.
  beforeEach(async () => {
    pd = await new FakePagerDuty('pd-token-e2e').start();
    // A generous provider timeout: a busy test machine must not turn an answer into a failure.
    h = await startSlackHarness({ database, env: { PAGERDUTY_TOKEN: 'pd-token-e2e', PAGERDUTY_API_URL: pd.url, ELEVATE_ON_CALL_TIMEOUT: '30s' } });
    await seedSlackPolicies(h);
    await h.elevate.updatePolicy(h.operator, SEARCH, { onCall: ['pagerduty:PSCHED1'] });
  }, 60_000);
  afterEach(async () => {
    await h.close();
    await pd.stop();
  }, 60_000);

  it('the requester on call is approved at once, until the shift ends plus the grace, and every card shows the schedule', async () => {
    const now = Date.parse(h.clock.now());
    const shiftEnd = new Date(now + 2 * 3600_000).toISOString();
    // Slack verified ursula@example.com (users.info); PagerDuty knows her by that address.
    pd.entries.push({ email: 'ursula@example.com', scheduleId: 'PSCHED1', escalationPolicyId: 'PEP1', start: new Date(now - 3600_000).toISOString(), end: shiftEnd });
    await h.command('UURSULA', 'request Exchange\\Search-Mailbox 4h INC-9 outage');
    await h.deliver();
    const [request] = await h.elevate.listRequests(h.operator, {});
    expect(request).toMatchObject({ status: 'approved', onCall: { outcome: 'on call', schedule: 'pagerduty:PSCHED1', shiftEnd } });
    expect(h.elevate.checkAuthorization('slack:UURSULA', SEARCH)).toMatchObject({ allowed: true, endsAt: new Date(Date.parse(shiftEnd) + 15 * 60_000).toISOString() });
    expect(pd.requests[0]!.query.getAll('schedule_ids[]')).toEqual(['PSCHED1']);
    for (const user of ['UURSULA', 'UCAROL']) {
      const card = h.texts(h.dm(user)).find((t) => t.includes(`request ${request!.id}`))!;
      expect(card).toContain('Approved automatically (on call on pagerduty:PSCHED1 until');
      expect(card).toContain('*On call*\\non call on pagerduty:PSCHED1');
      expect(card).not.toContain('request.approve');
    }
  });

  it('when PagerDuty fails, the request waits for the approvers and their card says why', async () => {
    pd.failNext(500);
    await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-9 outage');
    await h.deliver();
    const [request] = await h.elevate.listRequests(h.operator, {});
    expect(request).toMatchObject({ status: 'pending', onCall: { outcome: 'failed' } });
    const card = h.texts(h.dm('UCAROL')).find((t) => t.includes(request!.id))!;
    expect(card).toContain('on-call check failed: PagerDuty answered HTTP 500; manual approval');
    expect(card).toContain('request.approve');
  });
});
