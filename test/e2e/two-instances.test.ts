import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createEngine, type Engine } from '../../src/main.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { createTestSchema, postgresAvailable, type TestSchema } from '../helpers/databases.js';
import { slackSignature } from '../helpers/slack-harness.js';

/**
 * The multi-instance test: two `elevate serve` processes on one PostgreSQL database,
 * 500 signed Slack requests and their approvals spread over both (each request approved by two
 * approvers at once, one click on each instance), one instance SIGKILLed in the middle, then:
 * every request decided exactly once, every grant created once, every expected delivery made
 * (at-least-once: duplicates are counted and printed), `elevate audit verify` passes.
 * No timing assertions: generous polling deadlines only.
 */
const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');
const SECRET = 'two-instances-signing-secret-0123456789';
const REQUESTS = 500;
const KILL_AT = REQUESTS / 2;
// Requests in flight at once, over both instances.
const CONCURRENCY = 8;
const FEED = 'CFEED';
// Slow machine or not, everything must settle long before this.
const SETTLE_DEADLINE_MS = 150_000;

const available = await postgresAvailable();

describe.runIf(available)('two Elevate processes on one PostgreSQL database', () => {
  let schema: TestSchema;
  let slack: FakeSlackApi;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const servers: Array<{ process: ChildProcess; url: string; alive: boolean }> = [];
  let engine: Engine;

  beforeAll(async () => {
    schema = await createTestSchema();
    slack = await FakeSlackApi.start();
    for (const id of ['UALICE', 'UCAROL', 'UDAVE']) slack.addUser({ id, realName: id, email: `${id.toLowerCase()}@example.com` });
    for (let i = 0; i < REQUESTS; i++) slack.addUser({ id: `UREQ${i}`, realName: `Requester ${i}` });
    slack.addChannel({ id: FEED, members: [FakeSlackApi.botUserId] });
    dir = mkdtempSync(join(tmpdir(), 'elevate-two-'));
    env = {
      PATH: process.env.PATH, DATABASE_URL: schema.url, DATABASE_POOL_SIZE: '5', ELEVATE_SIGNING_KEY: 't'.repeat(40),
      ELEVATE_ADMINS: 'slack:UALICE', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ELEVATE_SHUTDOWN_DELAY: '0s', SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url, SLACK_AUDIT_CHANNEL: FEED, SLACK_PACE_MS: '0',
      ELEVATE_SCHEDULER_INTERVAL: '1h',
      // A killed instance's leased deliveries are taken over after 5 s instead of a minute.
      ELEVATE_LEASE: '5s',
    };
    // Both start (and migrate) at once; one that started is stopped in afterAll even if the other failed.
    const started = await Promise.allSettled([startServer(env), startServer(env)]);
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    engine = await createEngine(loadConfig(env));
    const operator = { kind: 'operator', origin: 'cli' } as const;
    await engine.elevate.createGroup(operator, 'approvers');
    for (const id of ['UCAROL', 'UDAVE']) await engine.elevate.addGroupMember(operator, 'approvers', `slack:${id}`);
    await engine.elevate.createPolicy(operator, {
      target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers',
      reasonRequired: false,
    });
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) if (server.alive) server.process.kill('SIGTERM');
    await Promise.all(servers.map((s) => (s.process.exitCode === null && s.process.signalCode === null ? new Promise((r) => s.process.once('exit', r)) : undefined)));
    await engine?.close();
    await slack?.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decides every request once, grants once, delivers everything, keeps the audit chain, with one instance killed midway', { timeout: 240_000 }, async () => {
    const [a, b] = servers as [typeof servers[number], typeof servers[number]];
    /** Posts a signed body to an instance; if it is dead (or dies meanwhile), to the survivor, as Slack would retry. */
    const send = async (preferred: typeof a, body: string): Promise<string> => {
      for (let attempt = 0; ; attempt++) {
        // Slack signs a retry anew with its own timestamp: the same signature twice is a replay, refused.
        if (attempt > 0) await new Promise((r) => setTimeout(r, 1100));
        const target = preferred.alive && attempt === 0 ? preferred : a;
        const timestamp = Math.floor(Date.now() / 1000);
        try {
          const response = await fetch(target.url, {
            method: 'POST', body,
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(body, timestamp, SECRET) },
          });
          const text = await response.text();
          if (response.status === 200) return text;
          if (attempt >= 5) throw new Error(`answer ${response.status}: ${text}`);
        } catch (error) {
          if (attempt >= 5) throw error;
        }
      }
    };
    const command = (server: typeof a, user: string, text: string) => send(server, new URLSearchParams({
      team_id: 'T0ELEVATE', api_app_id: 'A0ELEVATE', user_id: user, command: '/elevate', text, channel_id: 'CGENERAL', trigger_id: `t-${user}`, response_url: 'http://127.0.0.1:9/unused',
    }).toString());
    const click = (server: typeof a, user: string, requestId: string) => send(server, new URLSearchParams({ payload: JSON.stringify({
      type: 'block_actions', team: { id: 'T0ELEVATE' }, user: { id: user, team_id: 'T0ELEVATE' }, api_app_id: 'A0ELEVATE', token: 'legacy',
      trigger_id: `t-${user}-${requestId}`, channel: { id: `D${user}` }, container: { type: 'message', channel_id: `D${user}`, message_ts: '1' },
      actions: [{ type: 'button', action_id: 'request.approve', block_id: 'elevate:actions:0', value: requestId, action_ts: String(Date.now() / 1000) }],
    }) }).toString());

    const ids = new Array<string>(REQUESTS);
    let started = 0;
    const work = async () => {
      for (let i = started++; i < REQUESTS; i = started++) {
        if (i === KILL_AT) {
          b.alive = false;
          b.process.kill('SIGKILL');
        }
        const own = i % 2 === 0 ? a : b;
        const other = own === a ? b : a;
        // "Request R-… was sent …", or, when the first try committed on the killed instance, "You already have request R-… pending".
        const reply = await command(own, `UREQ${i}`, `request Exchange\\Search-Mailbox 1h load ${i}`);
        const id = /R-[0-9A-Z]{8}/.exec(reply)?.[0];
        if (!id) throw new Error(`no request id in ${reply}`);
        ids[i] = id;
        // Two approvers click at the same moment, one on each instance: one decision must win.
        await Promise.all([click(own, 'UCAROL', id), click(other, 'UDAVE', id)]);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, work));
    expect(b.process.signalCode ?? (await new Promise((r) => b.process.once('exit', (_code, signal) => r(signal))))).toBe('SIGKILL');

    // Clicks are acknowledged before they are acted on (Slack's 3 s): a click the killed instance
    // acknowledged but never acted on leaves its request pending; the approver clicks again.
    const db = engine.store.db;
    const deadline = Date.now() + SETTLE_DEADLINE_MS;
    let reclicked = 0;
    for (;;) {
      const pending = await db.selectFrom('requests').select('id').where('status', '=', 'pending').execute();
      const outbox = await engine.store.outboxStats(new Date().toISOString());
      if (pending.length === 0 && outbox.pending === 0) break;
      if (Date.now() > deadline) throw new Error(`not settled: ${pending.length} requests pending, ${outbox.pending} deliveries pending`);
      if (pending.length > 0) {
        await new Promise((r) => setTimeout(r, 2000));
        const still = await db.selectFrom('requests').select('id').where('status', '=', 'pending').where('id', 'in', pending.map((p) => p.id)).execute();
        for (const { id } of still) {
          reclicked += 1;
          await click(a, 'UCAROL', id);
        }
      } else {
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    // Every request decided exactly once.
    const requests = await db.selectFrom('requests').select(['id', 'status', 'grant_id']).execute();
    expect(requests).toHaveLength(REQUESTS);
    expect(new Set(requests.map((r) => r.id))).toEqual(new Set(ids));
    expect(requests.every((r) => r.status === 'approved')).toBe(true);
    const decisions = await db.selectFrom('decisions').select(['request_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('request_id').execute();
    expect(decisions).toHaveLength(REQUESTS);
    expect(decisions.every((d) => Number(d.n) === 1)).toBe(true);
    // Records committed last may not be linked yet (the chainers run every 100 ms): link them first.
    await engine.elevate.chainAudit();
    const approvedRecords = await db.selectFrom('audit_log').select('subject').where('action', '=', 'request.approved').execute();
    expect(approvedRecords.map((r) => r.subject).sort()).toEqual([...ids].sort());

    // Every grant created once.
    const grants = await db.selectFrom('grants').select(['id', 'request_id', 'principal_id']).execute();
    expect(grants).toHaveLength(REQUESTS);
    expect(new Set(grants.map((g) => g.request_id)).size).toBe(REQUESTS);
    expect(new Set(grants.map((g) => g.principal_id)).size).toBe(REQUESTS);
    expect(new Set(requests.map((r) => r.grant_id))).toEqual(new Set(grants.map((g) => g.id)));

    // Every expected delivery made: nothing left or failed in the outbox, and on (fake) Slack each
    // requester heard of their request, each approver's card and the feed show it approved.
    const outbox = await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    expect(outbox.map((o) => [o.status, Number(o.n)]).filter(([status]) => status !== 'delivered')).toEqual([]);
    const requesterDms = ids.map((id, i) => slack.messagesIn(`DUREQ${i}`).some((m) => `${m.text}${JSON.stringify(m.blocks)}`.includes(id)));
    expect(requesterDms.filter((ok) => !ok)).toHaveLength(0);
    for (const approver of ['DUCAROL', 'DUDAVE']) {
      const cards = new Map(slack.messagesIn(approver).map((m) => [/R-[0-9A-Z]{8}/.exec(m.text + JSON.stringify(m.blocks))?.[0], m]));
      expect(ids.filter((id) => !/Approved by/.test(JSON.stringify(cards.get(id)?.blocks ?? '')))).toEqual([]);
    }
    const feedRoots = slack.messagesIn(FEED).filter((m) => !m.threadTs);
    expect(ids.filter((id) => !feedRoots.some((m) => m.text.includes(id)))).toEqual([]);

    // At-least-once: a post the killed instance made but had not recorded is posted again.
    const posts = slack.callsTo('chat.postMessage').filter((c) => (c.response as { ok?: boolean }).ok);
    const seen = new Map<string, number>();
    for (const call of posts) {
      const key = JSON.stringify([call.args.channel, call.args.thread_ts ?? null, call.args.text]);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const duplicates = [...seen.values()].reduce((n, count) => n + count - 1, 0);
    const delivered = Number(outbox.find((o) => o.status === 'delivered')?.n ?? 0);
    console.log(`two instances: ${REQUESTS} requests, ${requests.filter((r) => r.status === 'approved').length} decided once, ${grants.length} grants, ` +
      `${delivered} deliveries delivered (${posts.length} posts, ${slack.callsTo('chat.update').length} updates), ${duplicates} duplicate posts, ` +
      `${reclicked} approvals clicked again after the kill`);
    // Only what the killed instance had claimed and sent but not recorded can go twice: at most
    // one claim (the dispatcher's batch of 50), never a systematic double send.
    expect(duplicates).toBeLessThanOrEqual(50);

    // `elevate audit verify` on the shared database.
    const verify = spawnSync(process.execPath, [CLI, 'audit', 'verify'], { env: { ...env, LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    expect({ code: verify.status, err: verify.stderr.trim() }).toEqual({ code: 0, err: '' });
    const head = await sql<{ seq: number }>`select seq from audit_head`.execute(db);
    expect(Number(head.rows[0]?.seq)).toBeGreaterThan(REQUESTS * 2);
  });
});

/** `elevate serve` as its own process; resolves with its Slack URL once it logs that it serves. */
function startServer(env: NodeJS.ProcessEnv): Promise<{ process: ChildProcess; url: string; alive: boolean }> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+),[^\n]*Elevate is serving/.exec(buffer);
      if (match) {
        buffer = '';
        // Keep reading its logs (a full pipe would stall it), without keeping them.
        child.stdout!.off('data', onData).on('data', () => undefined);
        resolve({ process: child, url: `http://127.0.0.1:${match[1]}/slack/events`, alive: true });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`elevate serve exited with ${code}: ${stderr}${buffer.slice(-2000)}`)));
  });
}
