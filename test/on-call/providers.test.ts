import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { onCallCheck } from '../../src/doctor/checks/on-call.js';
import { runDoctor } from '../../src/doctor/doctor.js';
import { ON_CALL_CACHE_MS, ProviderOnCallDirectory } from '../../src/on-call/directory.js';
import { opsgenieOnCall, type OpsgenieOptions } from '../../src/on-call/opsgenie.js';
import { pagerDutyOnCall, type PagerDutyOptions } from '../../src/on-call/pagerduty.js';
import { FakeOpsgenie } from '../fakes/fake-opsgenie.js';
import { FakePagerDuty } from '../fakes/fake-pagerduty.js';

const NOW = '2026-11-27T09:00:00.000Z';
const SHIFT_END = '2026-11-27T17:00:00.000Z';
// Generous: the machine running the tests may be busy. The cases that never get an answer use HANG_MS.
const TIMEOUT_MS = 10_000;
const HANG_MS = 500;
const OG_ID = 'd5a2a8c4-0000-4000-8000-00000000000a';

describe('PagerDuty GET /oncalls', () => {
  let pd: FakePagerDuty;
  let options: PagerDutyOptions;
  beforeEach(async () => {
    pd = await new FakePagerDuty('pd-token-123').start();
    options = { token: 'pd-token-123', apiUrl: pd.url, timeoutMs: TIMEOUT_MS, fetch };
  });
  afterEach(async () => pd.stop());

  it('reads every page, with emails, and keeps only the shifts in force', async () => {
    pd.maxLimit = 2;
    for (let i = 0; i < 5; i += 1) pd.entries.push({ email: `person${i}@example.com`, scheduleId: 'PSCHED1', escalationPolicyId: 'PEP1', start: '2026-11-27T01:00:00Z', end: SHIFT_END });
    pd.entries.push({ email: 'later@example.com', scheduleId: 'PSCHED1', escalationPolicyId: 'PEP1', start: '2026-11-27T09:00:00.500Z', end: '2026-11-28T09:00:00Z' });
    pd.entries.push({ email: 'other@example.com', scheduleId: 'POTHER1', escalationPolicyId: 'PEP1', start: '2026-11-27T01:00:00Z', end: SHIFT_END });
    const answer = await pagerDutyOnCall(options, 'schedule', 'PSCHED1', NOW);
    expect(answer).toEqual({ shifts: [0, 1, 2, 3, 4].map((i) => ({ email: `person${i}@example.com`, shiftEnd: SHIFT_END })) });
    // 6 matching entries in pages of 2: three pages, each asked from where the last ended.
    expect(pd.requests.map((r) => r.query.get('offset'))).toEqual(['0', '2', '4']);
    const first = pd.requests[0]!;
    expect(first.authorization).toBe('Token token=pd-token-123');
    expect(first.query.getAll('schedule_ids[]')).toEqual(['PSCHED1']);
    expect(first.query.getAll('include[]')).toEqual(['users']);
    expect(first.query.get('since')).toBe(NOW);
  });

  it('filters by escalation policy, and a permanent on-call has no shift end', async () => {
    pd.entries.push({ email: 'Boss@Example.com', scheduleId: null, escalationPolicyId: 'PEP1', level: 2, start: null, end: null });
    pd.entries.push({ email: 'else@example.com', scheduleId: null, escalationPolicyId: 'PEP2', start: null, end: null });
    expect(await pagerDutyOnCall(options, 'escalation-policy', 'PEP1', NOW)).toEqual({ shifts: [{ email: 'boss@example.com', shiftEnd: null }] });
    expect(pd.requests[0]!.query.getAll('escalation_policy_ids[]')).toEqual(['PEP1']);
  });

  it('says why when it cannot answer: a bad token, an error, no answer in time, nobody listening', async () => {
    expect(await pagerDutyOnCall({ ...options, token: 'wrong-token' }, 'schedule', 'PSCHED1', NOW)).toEqual({ error: 'refused the credentials (HTTP 401): check PAGERDUTY_TOKEN' });
    pd.failNext(500);
    expect(await pagerDutyOnCall(options, 'schedule', 'PSCHED1', NOW)).toEqual({ error: 'answered HTTP 500' });
    pd.failNext('hang');
    expect(await pagerDutyOnCall({ ...options, timeoutMs: HANG_MS }, 'schedule', 'PSCHED1', NOW)).toEqual({ error: 'did not answer within 0.5 s' });
    const url = pd.url;
    await pd.stop();
    expect(await pagerDutyOnCall({ ...options, apiUrl: url }, 'schedule', 'PSCHED1', NOW)).toEqual({ error: 'unreachable' });
  });
});

describe('Opsgenie on-calls and timeline', () => {
  let og: FakeOpsgenie;
  let options: OpsgenieOptions;
  beforeEach(async () => {
    og = await new FakeOpsgenie('og-key-123').start();
    options = { apiKey: 'og-key-123', apiUrl: og.url, timeoutMs: TIMEOUT_MS, fetch };
    og.schedules.push({
      id: OG_ID, name: 'Exchange Ops',
      periods: [
        { email: 'Ursula@example.com', start: '2026-11-27T00:00:00Z', end: '2026-11-27T12:00:00Z' },
        // The same person's next period continues the shift without a gap.
        { email: 'Ursula@example.com', start: '2026-11-27T12:00:00Z', end: SHIFT_END },
        { email: 'dave@example.com', start: SHIFT_END, end: '2026-11-28T01:00:00Z' },
      ],
    });
  });
  afterEach(async () => og.stop());

  it('asks who is on call by name (flat user names), and the timeline for until when', async () => {
    expect(await opsgenieOnCall(options, 'name', 'Exchange Ops', NOW)).toEqual({ shifts: [{ email: 'ursula@example.com', shiftEnd: SHIFT_END }] });
    const [onCalls, timeline] = og.requests;
    expect(onCalls).toMatchObject({ path: '/v2/schedules/Exchange Ops/on-calls', authorization: 'GenieKey og-key-123' });
    expect(Object.fromEntries(onCalls!.query)).toEqual({ scheduleIdentifierType: 'name', flat: 'true', date: NOW });
    expect(timeline!.path).toBe('/v2/schedules/Exchange Ops/timeline');
    expect(Object.fromEntries(timeline!.query)).toEqual({ identifierType: 'name', date: NOW, interval: '1', intervalUnit: 'weeks' });
  });

  it('asks by id, and nobody on call needs no timeline', async () => {
    expect(await opsgenieOnCall(options, 'id', OG_ID, '2026-11-28T02:00:00.000Z')).toEqual({ shifts: [] });
    expect(og.requests.map((r) => r.path)).toEqual([`/v2/schedules/${OG_ID}/on-calls`]);
  });

  it('says why when it cannot answer', async () => {
    expect(await opsgenieOnCall(options, 'name', 'Nope', NOW)).toEqual({ error: 'answered HTTP 404' });
    expect(await opsgenieOnCall({ ...options, apiKey: 'wrong-key' }, 'name', 'Exchange Ops', NOW)).toEqual({ error: 'refused the credentials (HTTP 401): check OPSGENIE_API_KEY' });
    og.failNext(503);
    expect(await opsgenieOnCall(options, 'name', 'Exchange Ops', NOW)).toEqual({ error: 'answered HTTP 503' });
  });

  it('a timeline that does not answer in time fails the whole answer: no shift end, no answer', async () => {
    // The on-calls call answers; the timeline call (the second) hangs.
    const original = options.fetch;
    let calls = 0;
    const fetchCountingHang: typeof fetch = (input, init) => {
      calls += 1;
      if (calls === 2) og.failNext('hang');
      return original(input, init);
    };
    expect(await opsgenieOnCall({ ...options, timeoutMs: HANG_MS, fetch: fetchCountingHang }, 'name', 'Exchange Ops', NOW)).toEqual({ error: 'did not answer within 0.5 s' });
  });
});

describe('the on-call directory', () => {
  let pd: FakePagerDuty;
  let og: FakeOpsgenie;
  let now: number;
  let directory: ProviderOnCallDirectory;
  beforeEach(async () => {
    pd = await new FakePagerDuty('pd-token-123').start();
    og = await new FakeOpsgenie('og-key-123').start();
    pd.entries.push({ email: 'ursula@example.com', scheduleId: 'PSCHED1', escalationPolicyId: 'PEP1', start: '2026-11-27T01:00:00Z', end: SHIFT_END });
    og.schedules.push({ id: OG_ID, name: 'Exchange Ops', periods: [{ email: 'dave@example.com', start: '2026-11-27T00:00:00Z', end: SHIFT_END }] });
    now = 1_000_000;
    directory = new ProviderOnCallDirectory({
      pagerduty: { token: 'pd-token-123', apiUrl: pd.url, timeoutMs: TIMEOUT_MS, fetch },
      opsgenie: { apiKey: 'og-key-123', apiUrl: og.url, timeoutMs: TIMEOUT_MS, fetch },
    }, () => now);
  });
  afterEach(async () => {
    await pd.stop();
    await og.stop();
  });

  it('routes by provider and reuses an answer for at most a minute', async () => {
    const expected = { shifts: [{ email: 'ursula@example.com', shiftEnd: SHIFT_END }] };
    expect(await directory.whoIsOnCall('pagerduty:PSCHED1', NOW)).toEqual(expected);
    now += ON_CALL_CACHE_MS - 1;
    expect(await directory.whoIsOnCall('pagerduty:PSCHED1', NOW)).toEqual(expected);
    expect(pd.requests).toHaveLength(1);
    now += 1;
    expect(await directory.whoIsOnCall('pagerduty:PSCHED1', NOW)).toEqual(expected);
    expect(pd.requests).toHaveLength(2);
    expect(await directory.whoIsOnCall('opsgenie:Exchange Ops', NOW)).toEqual({ shifts: [{ email: 'dave@example.com', shiftEnd: SHIFT_END }] });
  });

  it('asks again after a failure, and says which provider is not configured', async () => {
    pd.failNext(500);
    expect(await directory.whoIsOnCall('pagerduty:PSCHED1', NOW)).toEqual({ error: 'answered HTTP 500' });
    expect(await directory.whoIsOnCall('pagerduty:PSCHED1', NOW)).toMatchObject({ shifts: [{ email: 'ursula@example.com' }] });
    const bare = new ProviderOnCallDirectory({});
    expect(await bare.whoIsOnCall('opsgenie:Exchange Ops', NOW)).toEqual({ error: 'is not configured (OPSGENIE_API_KEY)' });
  });
});

describe('elevate doctor: on-call credentials', () => {
  let pd: FakePagerDuty;
  let og: FakeOpsgenie;
  beforeEach(async () => {
    pd = await new FakePagerDuty('pd-token-123').start();
    og = await new FakeOpsgenie('og-key-123').start();
  });
  afterEach(async () => {
    await pd.stop();
    await og.stop();
  });

  const run = (env: Record<string, string>) => runDoctor([onCallCheck], { env, config: loadConfig({ DATABASE_URL: ':memory:', ...env }) });

  it('accepts working credentials and says clearly when one is refused', async () => {
    const good = await run({ PAGERDUTY_TOKEN: 'pd-token-123', PAGERDUTY_API_URL: pd.url, OPSGENIE_API_KEY: 'og-key-123', OPSGENIE_API_URL: og.url });
    expect(good.map((r) => [r.check, r.status])).toEqual([['on-call pagerduty', 'ok'], ['on-call opsgenie', 'ok']]);
    expect(pd.requests.map((r) => r.path)).toEqual(['/abilities']);
    const bad = await run({ PAGERDUTY_TOKEN: 'revoked-token', PAGERDUTY_API_URL: pd.url });
    expect(bad).toEqual([{
      check: 'on-call pagerduty', status: 'fail',
      message: `PagerDuty at ${pd.url} refused the credentials (HTTP 401): check PAGERDUTY_TOKEN`,
      fix: 'PAGERDUTY_TOKEN is not a valid PagerDuty API key (or lacks read access): create one and set it',
    }]);
    expect((await run({}))[0]).toMatchObject({ status: 'skip' });
  });
});
