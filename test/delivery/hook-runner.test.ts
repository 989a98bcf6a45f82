import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HookEvent } from '../../src/core/hooks.js';
import type { HookPort } from '../../src/core/ports.js';
import { OutboxDispatcher } from '../../src/delivery/dispatcher.js';
import { HookRunner, parseRetryAfter, signHookBody, type HookDefinition } from '../../src/delivery/hook-runner.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeHookReceiver } from '../fakes/fake-hook-receiver.js';
import { createTestEngine, seedTypicalSetup, silentLogger, type TestEngine } from '../helpers/engine.js';

const ORG = 'Exchange\\Organization Management';
const SECRET = 'receiver-secret-0123456789';

// Reads the event on stdin, appends it (with the environment's names) to calls.jsonl, and
// exits 3 while a `fail` file exists; `slow` waits longer than any test timeout.
const SCRIPT = `
import { appendFileSync, existsSync } from 'node:fs';
const [dir, mode] = process.argv.slice(2);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  if (mode === 'slow') { setTimeout(() => process.exit(0), 60000); return; }
  appendFileSync(dir + '/calls.jsonl', JSON.stringify({ env: Object.keys(process.env).sort(), eventId: process.env.ELEVATE_EVENT_ID, body: JSON.parse(input) }) + '\\n');
  if (existsSync(dir + '/fail')) { console.error('provisioning failed: mailbox locked'); process.exit(3); }
  console.log('assigned');
});
`;

let dir: string;
let receiver: FakeHookReceiver;
let clock: FakeClock;
let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;
let hooks: Record<string, HookDefinition>;

async function engineWith(hook: string, options: { path?: string; port?: HookPort } = {}) {
  t = await createTestEngine({
    config: { hooks: Object.keys(hooks), hookMaxAttempts: 4, hookAlertAfter: 3 }, clock, path: options.path,
    hooks: options.port ?? new HookRunner(hooks, clock),
  });
  people = await seedTypicalSetup(t);
  await t.elevate.createPolicy(t.operator, {
    target: { type: 'roleGroup', scope: 'Exchange', name: ORG }, approval: 'manual', approverGroup: 'approvers', hook,
  });
}

async function grantOrg() {
  const { request } = await t.elevate.requestAccess(people.ursula, { target: ORG, duration: '2h', reason: 'INC-1' });
  return (await t.elevate.approve(people.carol, { requestId: request.id })).grant!;
}

const attempts = async () => (await t.store.listAudit({ action: 'hook.attempt' })).map((r) => r.details);
const calls = () => existsSync(join(dir, 'calls.jsonl'))
  ? readFileSync(join(dir, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { env: string[]; eventId: string; body: HookEvent })
  : [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-hook-runner-'));
  writeFileSync(join(dir, 'hook.mjs'), SCRIPT);
  receiver = await new FakeHookReceiver(SECRET).start();
  clock = new FakeClock();
  hooks = {
    webhook: { url: receiver.url, secret: SECRET },
    script: { command: [process.execPath, join(dir, 'hook.mjs'), dir], timeoutSeconds: 20 },
    slow: { command: [process.execPath, join(dir, 'hook.mjs'), dir, 'slow'], timeoutSeconds: 1 },
    // A script whose child outlives it and keeps the output pipes open.
    // Two grandchildren, their pids written down, and a shell that waits for them.
    spawner: { command: ['/bin/sh', '-c', `sleep 120 & echo $! > ${join(dir, 'pids')}; sleep 120 & echo $! >> ${join(dir, 'pids')}; wait`], timeoutSeconds: 1 },
  };
});
afterEach(async () => {
  await t?.close();
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('webhooks over real HTTP', () => {
  it('start and end are POSTed, signed over timestamp and body, with the event id', async () => {
    await engineWith('webhook');
    const grant = await grantOrg();
    await t.deliverAll();
    await t.elevate.revokeGrant(people.erin, { grantId: grant.id, comment: 'done' });
    await t.deliverAll();
    expect(receiver.badSignatures).toBe(0);
    expect(receiver.received.map((r) => [r.eventId, r.status])).toEqual([[`${grant.id}:start`, 204], [`${grant.id}:end`, 204]]);
    expect(receiver.received[0]!.timestamp).toBe(String(Date.parse(clock.now()) / 1000));
    expect(receiver.received[1]!.body).toMatchObject({ id: `${grant.id}:end`, event: 'grant.end', reason: 'revoked', principal: { identities: ['slack:UURSULA'] } });
    expect((await attempts()).map((d) => [d.event, d.outcome, d.status])).toEqual([['grant.start', 'succeeded', 204], ['grant.end', 'succeeded', 204]]);
  });

  it('retries a 500 with backoff and a 429 after its Retry-After', async () => {
    await engineWith('webhook');
    const grant = await grantOrg();
    receiver.failNext({ status: 500 }, { status: 429, retryAfter: 120 });
    await t.deliverAll();
    clock.advance(5); // past the first backoff (2 s ± 25%)
    await t.deliverAll();
    expect(receiver.received.map((r) => r.status)).toEqual([500, 429]);
    clock.advance(100);
    expect(await t.deliverAll()).toBe(0);
    clock.advance(20);
    await t.deliverAll();
    expect(receiver.received.map((r) => r.status)).toEqual([500, 429, 204]);
    expect((await attempts()).map((d) => [d.attempt, d.outcome, d.status])).toEqual([[1, 'retrying', 500], [2, 'retrying', 429], [3, 'succeeded', 204]]);
    expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.hookStartedAt).toBe(clock.now());
  });

  it('a 400 on the start fails the grant at once, and the end is still sent', async () => {
    await engineWith('webhook');
    const grant = await grantOrg();
    receiver.failNext({ status: 400 });
    await t.deliverAll();
    expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.status).toBe('failed');
    expect(receiver.received.map((r) => [r.eventId, r.status])).toEqual([[`${grant.id}:start`, 400], [`${grant.id}:end`, 204]]);
    expect((await attempts())[0]).toMatchObject({ outcome: 'failed', status: 400, error: 'HTTP 400', output: 'failing with 400 on purpose' });
  });

  it('classifies answers: a wrong secret is permanent, an unreachable receiver is retried', async () => {
    const event = { id: 'G-1:start' } as HookEvent;
    const runner = new HookRunner({
      wrong: { url: receiver.url, secret: 'not-the-receiver-secret' },
      down: { url: 'http://127.0.0.1:9/hook', secret: SECRET },
    }, clock);
    expect(await runner.call('wrong', event)).toMatchObject({ ok: false, permanent: true, status: 401 });
    expect(await runner.call('down', event)).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/^cannot reach the webhook/) });
    expect(await runner.call('gone', event)).toMatchObject({ ok: false, permanent: true, error: 'no hook named gone is configured (ELEVATE_HOOKS)' });
    expect(receiver.badSignatures).toBe(1);
  });

  it('a crash in the middle of a delivery: after the lease lapses, the restarted process delivers it (at least once)', async () => {
    const path = join(dir, 'elevate.db');
    await engineWith('webhook', { path });
    const grant = await grantOrg();
    // The first process calls the receiver, then dies before recording anything.
    const runner = new HookRunner(hooks, clock);
    let called!: () => void;
    const calledOnce = new Promise<void>((resolve) => { called = resolve; });
    const dying: HookPort = { platform: 'hook', call: async (name, event) => {
      await runner.call(name, event);
      called();
      return new Promise(() => undefined);
    } };
    const crashed = new OutboxDispatcher({
      store: t.store, ports: [], clock, logger: silentLogger, owner: 'crashed', paceMs: {}, maxAttempts: 5,
      hooks: { port: dying, record: () => Promise.reject(new Error('never reached')) },
    });
    void crashed.runOnce();
    await calledOnce;
    expect(receiver.acceptedIds()).toEqual([`${grant.id}:start`]);
    await t.close();

    clock.advance(61); // the crashed process's 60 s lease has lapsed
    t = await createTestEngine({ config: { hooks: Object.keys(hooks) }, clock, path, hooks: new HookRunner(hooks, clock) });
    await t.deliverAll();
    expect(receiver.acceptedIds()).toEqual([`${grant.id}:start`]);
    expect(receiver.duplicates()).toBe(1); // receivers deduplicate by event id
    expect((await attempts()).map((d) => [d.attempt, d.outcome])).toEqual([[1, 'succeeded']]);
    expect((await t.store.read((tx) => tx.getGrant(grant.id)))!.hookStartedAt).toBe(clock.now());
  });
});

describe('local commands', () => {
  it('get the event on stdin, without a shell and without Elevate’s environment; exit 0 is success', async () => {
    process.env.ELEVATE_TEST_SECRET = 'must-not-leak';
    await engineWith('script');
    const grant = await grantOrg();
    await t.deliverAll();
    delete process.env.ELEVATE_TEST_SECRET;
    expect(calls()).toEqual([{ env: ['ELEVATE_EVENT', 'ELEVATE_EVENT_ID', 'PATH'], eventId: `${grant.id}:start`, body: expect.objectContaining({ id: `${grant.id}:start`, event: 'grant.start' }) }]);
    expect((await attempts())[0]).toMatchObject({ outcome: 'succeeded', exitCode: 0, output: 'assigned' });
  });

  it('a non-zero exit is retried, with its exit code and output audited', async () => {
    await engineWith('script');
    const grant = await grantOrg();
    writeFileSync(join(dir, 'fail'), '');
    await t.deliverAll();
    unlinkSync(join(dir, 'fail'));
    clock.advance(5);
    await t.deliverAll();
    expect(calls().map((c) => c.eventId)).toEqual([`${grant.id}:start`, `${grant.id}:start`]);
    expect((await attempts()).map((d) => [d.outcome, d.exitCode, d.error, d.output])).toEqual([
      ['retrying', 3, 'exit code 3', 'provisioning failed: mailbox locked'],
      ['succeeded', 0, null, 'assigned'],
    ]);
  });

  it('is killed after its timeout', async () => {
    await engineWith('slow');
    await grantOrg();
    await t.deliverAll();
    expect((await attempts())[0]).toMatchObject({ outcome: 'retrying', exitCode: null, error: 'killed after 1 s' });
  });

  it('is killed with everything it started, even children holding its output open', { timeout: 30_000 }, async () => {
    await engineWith('spawner');
    await grantOrg();
    await t.deliverAll();
    expect((await attempts())[0]).toMatchObject({ outcome: 'retrying', exitCode: null, error: 'killed after 1 s' });
    const pids = readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    try {
      // SIGKILL to the group is immediate; the bound only allows for a busy machine.
      const deadline = Date.now() + 10_000;
      while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(pids.filter(isRunning)).toEqual([]);
    } finally {
      for (const pid of pids.filter(isRunning)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** Whether a process runs (exists and is not a zombie waiting to be reaped), from Linux's /proc. */
function isRunning(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (name) state …"; state Z is a dead process not yet reaped.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('helpers', () => {
  it('signs as documented and reads Retry-After in seconds or as a date', () => {
    // The README's receiver recipe, verbatim.
    const expected = `v1=${createHmac('sha256', 'secret').update('1700000000.{}').digest('hex')}`;
    expect(signHookBody('secret', '1700000000', '{}')).toBe(expected);
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(30_000).toUTCString(), 0)).toBe(30_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});
