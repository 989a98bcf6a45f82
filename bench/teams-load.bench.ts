/**
 * Teams load run (issue 12). An Elevate process (SQLite file) with Teams pointed at a fake Bot
 * Connector that enforces Teams' per-conversation limits (7 per second, 8 per 2 s, 60 per 30 s,
 * 1,800 per hour: 429 with Retry-After past them). Two phases:
 * 1. `request` messages from distinct requesters at a fixed rate: time to the HTTP answer
 *    (p50/p99), deliveries expected versus arrived (none twice), sends refused by the fake, and how
 *    long the approvers' cards took to drain against the fastest Teams' limits allow.
 * 2. With 500 events queued for the audit feed channel: the time from a request to each
 *    approver's card (p50/p99; target p99 ≤ 1 s) while the feed's backlog is still being sent.
 * Run: npm run bench:teams   (REQUESTS=100 RATE=10 LATE=20 BACKLOG=500 to change)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createEngine } from '../src/main.js';
import { FakeBotConnector, TEAMS_CONVERSATION_LIMITS } from '../test/fakes/fake-bot-connector.js';
import { fastestDrainMs, percentile, startElevate, stopElevate } from './bench-kit.js';

const REQUESTS = Number(process.env.REQUESTS ?? 100);
const RATE = Number(process.env.RATE ?? 10);
const LATE = Number(process.env.LATE ?? 20);
const BACKLOG = Number(process.env.BACKLOG ?? 500);
const TENANT = '7a1c0000-0000-4000-8000-0000000be7c4';
const APP_ID = '00000000-0000-4000-8000-0000000be7c4';
const FEED = '19:feed@thread.tacv2';
const APPROVERS = ['approver1', 'approver2'];
const SERVER = join(import.meta.dirname, 'teams-server.js');
// Past this, the run has failed to drain: stop and report rather than hang.
const DRAIN_TIMEOUT_MS = 10 * 60_000;
// One request a little over a second apart: an approver's chat never has a queue of its own.
const LATE_INTERVAL_MS = 1100;

const connector = await FakeBotConnector.start({ tenantId: TENANT, throttle: true });
const user = (name: string) => ({ id: `29:${name}`, aad: `aad-${name}` });
const requesters = Array.from({ length: REQUESTS + LATE }, (_, i) => `req${i}`);
for (const name of [...APPROVERS, ...requesters]) {
  connector.addUser({ id: user(name).id, aadObjectId: user(name).aad, name, email: `${name}@example.com` });
  connector.addConversation({ id: `a:personal-${name}`, type: 'personal', members: [user(name).id] });
}
connector.addConversation({ id: FEED, type: 'channel', members: APPROVERS.map((n) => user(n).id) });
const token = connector.issueToken(undefined, { expiresInSeconds: 6 * 3600 });

const dirs: string[] = [];
async function seeded(extra: Record<string, string>, backlog: number) {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-teams-bench-'));
  dirs.push(dir);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY: 'b'.repeat(40), LOG_LEVEL: 'warn', ELEVATE_SHUTDOWN_DELAY: '0s',
    HOST: '127.0.0.1', PORT: '0', ELEVATE_ADMINS: `teams:${user(APPROVERS[0]!).aad}`, TEAMS_APP_ID: APP_ID, TEAMS_TENANT_ID: TENANT,
    TEAMS_SERVICE_URL: connector.url, TEAMS_ALLOW_UNAUTHENTICATED: 'true', ELEVATE_SCHEDULER_INTERVAL: '1h', ...extra,
  };
  const engine = await createEngine(loadConfig(env));
  const operator = { kind: 'operator', origin: 'cli' } as const;
  for (let i = 0; i < backlog; i++) await engine.elevate.createGroup(operator, `backlog-${i}`);
  await engine.elevate.createGroup(operator, 'approvers');
  for (const name of APPROVERS) await engine.elevate.addGroupMember(operator, 'approvers', `teams:${user(name).aad}`);
  await engine.elevate.createPolicy(operator, {
    target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers', reasonRequired: false,
  });
  await engine.close();
  return env;
}

let next = 0;
/** A `request` typed by a requester in their 1:1 chat, POSTed as Teams would; resolves with the answer time. */
async function request(url: string, name: string): Promise<{ ms: number; status: number }> {
  const activity = {
    type: 'message', id: `act-${++next}`, timestamp: new Date().toISOString(), serviceUrl: connector.url, channelId: 'msteams', text: `request Exchange\\Search-Mailbox 1h load ${name}`,
    from: { id: user(name).id, aadObjectId: user(name).aad, name }, recipient: { id: `28:${APP_ID}`, name: 'Elevate' },
    conversation: { id: `a:personal-${name}`, conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
  };
  const started = performance.now();
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  } catch {
    return { ms: Number.NaN, status: 0 };
  }
}

/** The first request id in a card's JSON (Adaptive Card text escapes markdown: `R\\-…`). */
function requestIdIn(json: string): string | undefined {
  const match = /R(?:\\)*-([0-9A-Z]{8})/.exec(json);
  return match ? `R-${match[1]}` : undefined;
}

/** Cards (with the request's id) that arrived in an approver's chat: request id → first arrival (ms). */
function cardsIn(name: string): Map<string, number> {
  const arrivals = new Map<string, number>();
  for (const call of connector.callsTo({ method: 'POST', pathIncludes: `a:personal-${name}` })) {
    if (call.status >= 300) continue;
    const id = requestIdIn(JSON.stringify(call.body));
    if (id && !arrivals.has(id)) arrivals.set(id, call.at);
  }
  return arrivals;
}

const ms = (values: number[]) => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, max ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} ms`;
};

let server: Awaited<ReturnType<typeof startElevate>> | undefined;
try {
  // Phase 1: load and drain.
  server = await startElevate(SERVER, [token], await seeded({}, 0));
  const url = `http://127.0.0.1:${server.port}/api/messages`;
  const startedAt = Date.now();
  const answers = await Promise.all(requesters.slice(0, REQUESTS).map((name, i) => new Promise<{ ms: number; status: number }>((resolve) => {
    setTimeout(() => resolve(request(url, name)), (i * 1000) / RATE);
  })));
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (APPROVERS.some((name) => cardsIn(name).size < REQUESTS) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const arrivals = APPROVERS.flatMap((name) => [...cardsIn(name).values()]);
  const drained = arrivals.length >= REQUESTS * APPROVERS.length;
  const drainedMs = Math.max(...arrivals) - startedAt;
  await new Promise((r) => setTimeout(r, 1500)); // anything sent twice would arrive now
  const twice = APPROVERS.map((name) => connector.activitiesIn(`a:personal-${name}`).length - cardsIn(name).size).reduce((a, b) => a + b, 0);
  // The last card cannot go before its request arrived, nor before Teams' limits let the busiest chat take them all.
  const minimumMs = Math.max(fastestDrainMs(REQUESTS, TEAMS_CONVERSATION_LIMITS), ((REQUESTS - 1) * 1000) / RATE);
  const non2xx = answers.filter((a) => a.status < 200 || a.status >= 300).length;
  console.log(`load: ${REQUESTS} "request" messages from distinct requesters at ${RATE}/s; fake connector enforces Teams' per-conversation limits (7/1 s, 8/2 s, 60/30 s, 1800/h)`);
  console.log(`time to HTTP answer: ${ms(answers.map((a) => a.ms))}; non-2xx answers: ${non2xx}`);
  console.log(`approver cards: expected ${REQUESTS * APPROVERS.length}, arrived ${arrivals.length}, sent twice ${twice}; sends refused by the fake's limits ${connector.throttled}`);
  console.log(`drain: approver cards done ${(drainedMs / 1000).toFixed(2)} s after the load started; Teams' limits allow at best ${(minimumMs / 1000).toFixed(2)} s (${REQUESTS} cards to each approver's chat): ratio ${drained ? (drainedMs / minimumMs).toFixed(3) : 'not drained'}  (target ≤ 1.10)`);
  await stopElevate(server.process);

  // Phase 2: first cards while the audit feed holds a backlog.
  const throttledBefore = connector.throttled;
  server = await startElevate(SERVER, [token], await seeded({ TEAMS_AUDIT_CONVERSATION: FEED }, BACKLOG));
  const url2 = `http://127.0.0.1:${server.port}/api/messages`;
  while (connector.activitiesIn(FEED).length === 0) await new Promise((r) => setTimeout(r, 50));
  const sentAt = new Map<string, number>();
  for (const name of requesters.slice(REQUESTS)) {
    const sent = Date.now();
    await request(url2, name);
    const id = requestIdIn(JSON.stringify(connector.callsTo({ method: 'POST', pathIncludes: `a:personal-${name}` }).map((c) => c.body)));
    if (id) sentAt.set(id, sent);
    await new Promise((r) => setTimeout(r, Math.max(0, LATE_INTERVAL_MS - (Date.now() - sent))));
  }
  const lateUntil = Date.now() + 30_000;
  while (APPROVERS.some((name) => [...sentAt.keys()].some((id) => !cardsIn(name).has(id))) && Date.now() < lateUntil) await new Promise((r) => setTimeout(r, 50));
  const latencies = APPROVERS.flatMap((name) => [...sentAt].map(([id, at]) => (cardsIn(name).get(id) ?? Number.NaN) - at));
  const feedSent = connector.activitiesIn(FEED).length;
  console.log(`backlog: ${BACKLOG} audit feed events queued; ${LATE} requests ${LATE_INTERVAL_MS} ms apart meanwhile; feed posts sent by then ${feedSent}`);
  console.log(`approver card latency under the backlog: ${ms(latencies)}; missing ${latencies.filter(Number.isNaN).length}  (target p99 ≤ 1000 ms); sends refused by the fake ${connector.throttled - throttledBefore}`);
} finally {
  await stopElevate(server?.process);
  await connector.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
