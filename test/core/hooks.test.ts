import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import type { HookEvent } from '../../src/core/hooks.js';
import type { Actor } from '../../src/core/ports.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { RecordingHooks } from '../fakes/recording-hooks.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

const ORG = 'Exchange\\Organization Management';
const SEARCH = 'Exchange\\Search-Mailbox';
const HOOK_CONFIG = { hooks: ['exchange-rbac', 'other'], hookMaxAttempts: 3, hookAlertAfter: 3 };

let t: TestEngine;
let hooks: RecordingHooks;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

async function setup(options: { path?: string; clock?: FakeClock } = {}) {
  hooks = new RecordingHooks();
  t = await createTestEngine({ config: HOOK_CONFIG, hooks, ...options });
  people = await seedTypicalSetup(t);
  await t.elevate.createPolicy(t.operator, {
    target: { type: 'roleGroup', scope: 'Exchange', name: ORG }, approval: 'manual', approverGroup: 'approvers', hook: 'exchange-rbac',
  });
  await t.deliverAll();
  t.chat.sent.length = 0;
}

async function hookRows() {
  return t.db.selectFrom('outbox').selectAll().where('platform', '=', 'hook').orderBy('id').execute();
}

async function auditActions(): Promise<string[]> {
  return (await t.store.listAudit({ limit: 10_000 })).map((r) => r.action);
}

async function grantOrg(requester: Actor = people.ursula) {
  const { request } = await t.elevate.requestAccess(requester, { target: ORG, duration: '2h', reason: 'INC-1' });
  const { grant } = await t.elevate.approve(people.carol, { requestId: request.id });
  return { request, grant: grant! };
}

/** Runs the dispatcher through `steps` clock steps of `seconds`, delivering everything due at each. */
async function runFor(steps: number, seconds = 700) {
  for (let i = 0; i < steps; i++) {
    await t.deliverAll();
    t.clock.advance(seconds);
  }
  await t.deliverAll();
}

describe('provisioning hooks', () => {
  beforeEach(() => setup());
  afterEach(async () => t.close());

  describe('policies', () => {
    it('refuses a hook the server does not define, naming the known ones', async () => {
      const create = () => t.elevate.createPolicy(t.operator, {
        target: { type: 'role', scope: 'Exchange', name: 'Exchange\\Mail Recipients' }, approval: 'manual', approverGroup: 'approvers', hook: 'nope',
      });
      await expect(create()).rejects.toThrow(InvalidInputError);
      await expect(create()).rejects.toThrow('unknown hook "nope": known hooks: exchange-rbac, other');
      await expect(t.elevate.updatePolicy(t.operator, ORG, { hook: 'missing' })).rejects.toThrow(/unknown hook "missing"/);
      expect((await t.elevate.getPolicy(ORG)).hook).toBe('exchange-rbac');
    });

    it('refuses a hook on a task policy', async () => {
      const update = () => t.elevate.updatePolicy(t.operator, SEARCH, { hook: 'exchange-rbac' });
      await expect(update()).rejects.toThrow(InvalidInputError);
      await expect(update()).rejects.toThrow('hooks run for role and role group policies only; a task policy cannot name hook exchange-rbac');
      expect((await t.elevate.getPolicy(SEARCH)).hook).toBeNull();
    });

    it('sets, changes and removes the hook of a policy, audited', async () => {
      expect(await t.elevate.updatePolicy(t.operator, ORG, { hook: 'other' })).toMatchObject({ status: 'applied', summary: `change policy ${ORG}: hook other` });
      expect((await t.elevate.getPolicy(ORG)).hook).toBe('other');
      await t.elevate.updatePolicy(t.operator, ORG, { hook: null });
      expect((await t.elevate.getPolicy(ORG)).hook).toBeNull();
      const updates = (await t.store.listAudit({ action: 'policy.updated' })).map((r) => (r.details.after as { hook: string | null }).hook);
      expect(updates).toEqual(['other', null]);
    });
  });

  describe('deliveries in the transaction of the grant change', () => {
    it('approval queues the start call with the grant: one channel per grant, a stable event id', async () => {
      const { grant } = await grantOrg();
      const rows = await hookRows();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ kind: 'hook.call', channel_key: `hook:grant:${grant.id}`, status: 'pending', created_at: grant.startsAt });
      const destination = JSON.parse(rows[0]!.destination_json) as { kind: string; hook: string; event: HookEvent };
      expect(destination).toMatchObject({ kind: 'hook', hook: 'exchange-rbac' });
      expect(destination.event).toEqual({
        id: `${grant.id}:start`, event: 'grant.start',
        grant: { id: grant.id, status: 'active', startsAt: grant.startsAt, endsAt: grant.endsAt, endedAt: null },
        principal: { id: grant.principalId, identities: ['slack:UURSULA'], email: null },
        target: { type: 'roleGroup', scope: 'Exchange', name: ORG }, policyId: grant.policyId, reason: null, occurredAt: grant.startsAt,
      });
      expect(await auditActions()).toEqual(expect.arrayContaining(['grant.created', 'hook.queued', 'request.approved']));

      await t.deliverAll();
      expect(hooks.eventIds()).toEqual([`${grant.id}:start`]);
      expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.hookStartedAt).toBe(grant.startsAt);
      expect((await t.store.listAudit({ action: 'hook.attempt' }))[0]).toMatchObject({
        actor: 'system', origin: 'hook', subject: `${grant.id}:start`,
        details: { hook: 'exchange-rbac', event: 'grant.start', grantId: grant.id, attempt: 1, outcome: 'succeeded', status: 200 },
      });
    });

    it('policies without a hook, and extensions, queue no call', async () => {
      await t.elevate.requestAccess(people.ursula, { target: 'Exchange\\View-Only Recipients', reason: 'look' });
      const { grant } = await grantOrg();
      const extension = await t.elevate.extendGrant(people.ursula, { grantId: grant.id, duration: '4h', reason: 'INC-1 longer' });
      await t.elevate.approve(people.dave, { requestId: extension.request.id });
      expect((await hookRows()).map((r) => r.channel_key)).toEqual([`hook:grant:${grant.id}`]);
    });

    it.each([
      ['expiry by the scheduler', 'expired'],
      ['revocation', 'revoked'],
      ['relinquishing', 'relinquished'],
    ] as const)('%s queues the end call, after the start', async (_name, reason) => {
      const { grant } = await grantOrg();
      await t.deliverAll();
      if (reason === 'expired') {
        t.clock.advance(2 * 3600);
        expect((await t.elevate.runDueJobs()).grantsExpired).toBe(1);
      } else if (reason === 'revoked') {
        await t.elevate.revokeGrant(people.erin, { grantId: grant.id });
      } else {
        await t.elevate.relinquishGrant(people.ursula, { grantId: grant.id });
      }
      const rows = await hookRows();
      expect(rows.map((r) => r.channel_key)).toEqual([`hook:grant:${grant.id}`, `hook:grant:${grant.id}`]);
      const end = (JSON.parse(rows[1]!.destination_json) as { event: HookEvent }).event;
      expect(end).toMatchObject({ id: `${grant.id}:end`, event: 'grant.end', reason, grant: { status: reason, endedAt: t.clock.now() } });
      await t.deliverAll();
      expect(hooks.eventIds()).toEqual([`${grant.id}:start`, `${grant.id}:end`]);
      expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.hookEndedAt).toBe(t.clock.now());
    });

    it('a grant revoked while its start is being retried: the start is abandoned, not made late, and the end follows', async () => {
      const { grant } = await grantOrg();
      hooks.failNext(1);
      await t.deliverAll();
      await t.elevate.revokeGrant(people.erin, { grantId: grant.id });
      await t.deliverAll();
      expect(hooks.eventIds()).toEqual([`${grant.id}:start`]);
      await runFor(2, 60);
      // Assigning the role after the revocation would outlive the grant: only the end is called.
      expect(hooks.eventIds()).toEqual([`${grant.id}:start`, `${grant.id}:end`]);
      const outcomes = (await t.store.listAudit({ action: 'hook.attempt' })).map((r) => [r.details.event, r.details.outcome]);
      expect(outcomes).toEqual([['grant.start', 'retrying'], ['grant.start', 'abandoned'], ['grant.end', 'succeeded']]);
      expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.hookEndedAt).not.toBeNull();
    });
  });

  describe('a start hook that fails for good', () => {
    it('on a permanent error: the grant fails, its end call is queued, requester and approvers are told', async () => {
      const { request, grant } = await grantOrg();
      expect(t.elevate.checkAuthorization('slack:UURSULA', ORG).allowed).toBe(true);
      hooks.failNext(1, { permanent: true, status: 400, error: 'HTTP 400', output: '{"error":"unknown user"}' });
      await t.deliverAll();

      const failed = (await t.store.read((tx) => tx.getGrant(grant.id)))!;
      expect(failed).toMatchObject({ status: 'failed', endedAt: grant.startsAt, hookStartedAt: null, hookEndedAt: t.clock.now() });
      const report = await t.elevate.usageReport(people.auditor, { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' });
      expect(report.policies.find((p) => p.target === grant.target.name)).toMatchObject({ approved: 1, failed: 1 });
      expect(failed.endComment).toBe('start hook exchange-rbac failed after 1 attempt(s): HTTP 400');
      expect(t.elevate.checkAuthorization('slack:UURSULA', ORG).allowed).toBe(false);
      // The end call ran after the start, so a partial assignment is undone.
      expect(hooks.calls.map((c) => [c.event.id, c.event.reason])).toEqual([[`${grant.id}:start`, null], [`${grant.id}:end`, 'failed']]);
      expect((await hookRows()).map((r) => r.status)).toEqual(['failed', 'delivered']);

      expect(t.chat.postsTo('slack:UURSULA').map((s) => s.card.title)).toContain(`Access to ${ORG} failed`);
      for (const approver of ['slack:UCAROL', 'slack:UDAVE', 'slack:UERIN']) {
        expect(t.chat.postsTo(approver).map((s) => s.card.title)).toContain(`Grant ${grant.id} failed`);
      }
      expect((await t.store.getCard(`request:${request.id}:requester`))!.card.status).toMatchObject({
        tone: 'revoked', text: expect.stringMatching(/Access failed at .*: it could not be provisioned: “start hook exchange-rbac failed/),
      });
      const attempt = (await t.store.listAudit({ action: 'hook.attempt' }))[0]!;
      expect(attempt.details).toMatchObject({ attempt: 1, outcome: 'failed', status: 400, output: '{"error":"unknown user"}' });
      expect(await auditActions()).toEqual(expect.arrayContaining(['hook.attempt', 'hook.failed', 'grant.failed', 'hook.queued']));
      expect((await t.elevate.verifyAudit(t.operator)).ok).toBe(true);
    });

    it('after the maximum attempts of retryable errors, with backoff between them', async () => {
      const { grant } = await grantOrg();
      hooks.failNext(3);
      await t.deliverAll();
      expect(hooks.calls).toHaveLength(1);
      t.clock.advance(1);
      await t.deliverAll();
      expect(hooks.calls).toHaveLength(1); // backing off
      await runFor(3);
      expect(hooks.eventIds()).toEqual([`${grant.id}:start`, `${grant.id}:start`, `${grant.id}:start`, `${grant.id}:end`]);
      expect((await t.store.listAudit({ action: 'hook.attempt' })).map((r) => r.details.outcome)).toEqual(['retrying', 'retrying', 'failed', 'succeeded']);
      expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.status).toBe('failed');
    });

    it('a grant ended before its start ran: the start is not made, the end call still follows', async () => {
      const { grant } = await grantOrg();
      await t.elevate.revokeGrant(people.erin, { grantId: grant.id });
      await t.deliverAll();
      expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.status).toBe('revoked');
      expect(hooks.eventIds()).toEqual([`${grant.id}:end`]);
      const outcomes = (await t.store.listAudit({ action: 'hook.attempt' })).map((r) => [r.details.event, r.details.outcome]);
      expect(outcomes).toEqual([['grant.start', 'abandoned'], ['grant.end', 'succeeded']]);
      expect(await auditActions()).not.toContain('grant.failed');
    });

  });

  describe('an end hook that keeps failing', () => {
    it('is retried without end, and admins are alerted once, in chat and in the feed', async () => {
      const { grant } = await grantOrg();
      await t.deliverAll();
      await t.elevate.revokeGrant(people.erin, { grantId: grant.id });
      hooks.failing = true;
      t.chat.sent.length = 0;
      await runFor(12);
      const attempts = (await t.store.listAudit({ action: 'hook.attempt', subject: `${grant.id}:end` }));
      expect(attempts.length).toBeGreaterThanOrEqual(10);
      expect(attempts.every((r) => r.details.outcome === 'retrying')).toBe(true);
      expect((await hookRows())[1]).toMatchObject({ status: 'pending' });

      const alerts = await t.store.listAudit({ action: 'hook.alerted' });
      expect(alerts).toEqual([expect.objectContaining({ subject: `${grant.id}:end`, details: expect.objectContaining({ attempts: 3 }) })]);
      const title = `End hook exchange-rbac keeps failing for grant ${grant.id}`;
      expect(t.chat.postsTo('slack:UALICE').filter((s) => s.card.title === title)).toHaveLength(1);
      expect(t.chat.postsTo('feed').filter((s) => s.card.title === title)).toHaveLength(1);

      // Still held outside Elevate until the end hook succeeds.
      expect((await t.elevate.effectiveHolders(t.operator))[0]?.holders).toEqual([expect.objectContaining({ grantId: grant.id, hookState: 'ending' })]);
      hooks.failing = false;
      // Past the longest wait the retries can have by now: 10 min capped backoff, +25% jitter.
      await runFor(1, 800);
      expect((await hookRows()).map((r) => r.status)).toEqual(['delivered', 'delivered']);
      expect(await t.elevate.effectiveHolders(t.operator)).toEqual([]);
      // Those alerted hear that it is resolved.
      await t.deliverAll();
      const resolved = `End hook exchange-rbac succeeded for grant ${grant.id}`;
      expect(t.chat.postsTo('slack:UALICE').filter((s) => s.card.title === resolved)).toHaveLength(1);
      expect(t.chat.postsTo('feed').filter((s) => s.card.title === resolved)).toHaveLength(1);
      expect(t.elevate.checkAuthorization('slack:UURSULA', ORG).allowed).toBe(false);
    });
  });

  describe('effective holders', () => {
    it('lists who holds each target now, with hook state, as far as the actor may see', async () => {
      const first = await grantOrg();
      await t.elevate.requestAccess(people.mallory, { target: 'Exchange\\View-Only Recipients', reason: 'look' });
      const all = await t.elevate.effectiveHolders(t.operator);
      expect(all.map((e) => [e.target.name, e.holders.map((h) => [h.identities[0], h.hookState])])).toEqual([
        [ORG, [['slack:UURSULA', 'starting']]],
        ['Exchange\\View-Only Recipients', [['slack:UMALLORY', 'none']]],
      ]);
      await t.deliverAll();
      expect((await t.elevate.effectiveHolders(people.auditor, { target: ORG }))[0]!.holders[0]).toMatchObject({
        grantId: first.grant.id, grantStatus: 'active', hook: 'exchange-rbac', hookState: 'started', until: first.grant.endsAt,
      });
      expect((await t.elevate.effectiveHolders(people.ursula)).map((e) => e.target.name)).toEqual([ORG]);
      expect((await t.elevate.effectiveHolders(people.mallory)).map((e) => e.target.name)).toEqual(['Exchange\\View-Only Recipients']);
      expect((await t.elevate.effectiveHolders(people.carol)).map((e) => e.target.name)).toEqual([ORG, 'Exchange\\View-Only Recipients']);
      // Past its end a grant without a hook is no longer held, even before the scheduler runs.
      t.clock.advance(5 * 3600);
      expect((await t.elevate.effectiveHolders(t.operator)).map((e) => e.target.name)).toEqual([ORG]);
    });
  });
});

describe('restarts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'elevate-hooks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an end is never skipped: the expiry commits its end call, and the next process delivers it', async () => {
    const path = join(dir, 'elevate.db');
    await setup({ path });
    const { grant } = await grantOrg();
    await t.deliverAll();
    t.clock.advance(3 * 3600);
    await t.elevate.runDueJobs();
    const at = t.clock.now();
    await t.close(); // the process stops before delivering anything more

    const clock = new FakeClock(at);
    const restarted = new RecordingHooks();
    t = await createTestEngine({ config: HOOK_CONFIG, hooks: restarted, path, clock });
    await t.deliverAll();
    expect(restarted.calls.map((c) => [c.event.id, c.event.reason])).toEqual([[`${grant.id}:end`, 'expired']]);
    expect(hooks.eventIds()).toEqual([`${grant.id}:start`]);
    await t.close();
  });
});
