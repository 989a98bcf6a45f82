import { Writable } from 'node:stream';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/store/database.js';
const { Pool } = pg;
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadiness } from '../../src/http/readiness.js';
import { HttpServer, sendJson } from '../../src/http/server.js';
import { createLogger, describeDatabase } from '../../src/main.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { OutboxDispatcher } from '../../src/delivery/dispatcher.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';
import { silentLogger } from '../helpers/engine.js';

const TARGET = 'Exchange\\Search-Mailbox';


describe('operability: readiness, metrics, request ids, logs, shutdown', () => {
  let api: ApiHarness;
  let chat: RecordingChat;
  const logged: Array<Record<string, unknown>> = [];
  let admin: string;
  let ursula: string;

  beforeAll(async () => {
    chat = new RecordingChat('slack');
    const stream = new Writable({ write(chunk: Buffer, _encoding, done) { logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
    api = await startApiHarness({ ports: [chat], logger: createLogger({ LOG_LEVEL: 'debug' }, stream) });
    admin = await api.token('admin', 'slack:UALICE');
    ursula = await api.token('requester', 'slack:UURSULA');
    await api.elevate.addGroupMember(api.operator, 'admins', 'slack:UBOB');
    await api.elevate.createPolicy(api.operator, { target: { type: 'task', scope: 'Exchange', name: TARGET }, approval: 'manual', reasonRequired: false });
  });
  afterAll(() => api.stop());

  it('is ready when the database answers, the schema is current and the dispatcher runs', async () => {
    const answer = await fetch(`${api.base}/readyz`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', dispatcher: 'ok' } });
    expect(await (await fetch(`${api.base}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('is not ready with pending migrations, a dispatcher that never ran, or while stopping', async () => {
    const db = openSqlite(':memory:');
    const dispatcher = new OutboxDispatcher({ store: api.server.engine.store, ports: [], clock: api.clock, logger: silentLogger, owner: 'x', paceMs: {}, maxAttempts: 1 });
    const readiness = await checkReadiness({ db, dispatcher, stopping: true });
    expect(readiness.ready).toBe(false);
    expect(readiness.checks).toMatchObject({ database: 'ok', migrations: expect.stringMatching(/^not applied: 0001-initial/), dispatcher: 'not started', shutdown: 'shutting down' });
    await db.destroy();
    // Nothing listens on port 9 of this machine: the database is unreachable.
    const unreachable = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new Pool({ host: '127.0.0.1', port: 9, connectionTimeoutMillis: 500 }) }) });
    const answer = await checkReadiness({ db: unreachable, dispatcher: api.server.dispatcher, stopping: false });
    expect(answer).toMatchObject({ ready: false, checks: { database: expect.stringMatching(/^unreachable/), dispatcher: 'ok' } });
    await unreachable.destroy();
  });

  it('carries the request id from the HTTP request to the delivery it caused, and into the logs', async () => {
    const asked = await api.call('POST', '/requests', { token: ursula, body: { target: TARGET }, headers: { 'x-request-id': 'trace-4711' } });
    expect(asked.status).toBe(201);
    expect(asked.headers.get('x-request-id')).toBe('trace-4711');
    expect((await api.call('GET', '/pam', { token: ursula })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const rows = await api.server.engine.store.db.selectFrom('outbox').select(['request_id']).execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.request_id === 'trace-4711')).toBe(true);
    await api.server.dispatcher.runOnce();
    const delivered = logged.filter((l) => l.msg === 'delivered');
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every((l) => l.reqId === 'trace-4711')).toBe(true);
    expect(logged.some((l) => l.msg === 'http request' && l.reqId === 'trace-4711' && l.status === 201)).toBe(true);
    // Secrets never reach the logs.
    const text = JSON.stringify(logged);
    expect(text).not.toContain(ursula);
    expect(text).not.toContain(admin);
  });

  it('exposes Prometheus metrics: requests by outcome, decision time, grants, outbox, deliveries and 429s', async () => {
    const requestId = (await api.call('GET', '/requests', { token: admin, query: { status: 'pending' } })).body.items[0].id as string;
    api.clock.advance(600);
    // The next send (the background dispatcher may get to the approval's deliveries first) meets a 429.
    chat.failNext(1, 'rate-limit', 10);
    expect((await api.call('POST', '/requests/{id}/approve', { token: admin, params: { id: requestId }, body: {} })).status).toBe(200);
    await api.server.dispatcher.runOnce();
    const answer = await fetch(`${api.base}/metrics`);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await answer.text();
    expect(text).toMatch(/^elevate_requests\{status="approved"\} 1$/m);
    expect(text).toMatch(/^elevate_active_grants 1$/m);
    expect(text).toMatch(/^elevate_time_to_decision_seconds_bucket\{le="900",outcome="approved"\} 1$/m);
    expect(text).toMatch(/^elevate_time_to_decision_seconds_bucket\{le="300",outcome="approved"\} 0$/m);
    expect(text).toMatch(/^elevate_deliveries_total\{platform="slack",outcome="delivered"\} [1-9]/m);
    // A notice (slack) or a card refresh (every platform the card is on: `all`) met the 429.
    expect(text).toMatch(/^elevate_deliveries_total\{platform="(slack|all)",outcome="retried"\} 1$/m);
    expect(text).toMatch(/^elevate_platform_rate_limited_total\{platform="(slack|all)"\} 1$/m);
    expect(text).toMatch(/^elevate_outbox_backlog [1-9]/m);
    expect(text).toMatch(/^elevate_outbox_oldest_age_seconds /m);
    expect(text).toMatch(/^elevate_hook_failures_total/m);
    expect(text).toMatch(/^elevate_process_resident_memory_bytes /m);
  });

  it('masks database passwords in logs', () => {
    expect(describeDatabase('postgres://elevate:s3cret@db:5432/elevate')).toBe('postgres://elevate:***@db:5432/elevate');
    expect(describeDatabase('./data/elevate.db')).toBe('./data/elevate.db');
  });
});

describe('graceful shutdown of the HTTP server', () => {
  it('finishes requests in flight, refuses new connections, then resolves', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const handling = new Promise<void>((resolve) => (reached = resolve));
    const http = new HttpServer(silentLogger).route('GET', '/slow', async (_req, res) => {
      reached();
      await gate;
      sendJson(res, 200, { finished: true });
    });
    const port = await http.listen(0, '127.0.0.1');
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await handling; // the request is in its handler
    let closed = false;
    // close() stops listening at once (the listener closes synchronously); the request in flight goes on.
    const closing = http.close().then(() => { closed = true; });
    await expect(fetch(`http://127.0.0.1:${port}/slow`)).rejects.toThrow();
    expect(closed).toBe(false);
    release();
    expect(await inFlight).toEqual({ status: 200, body: { finished: true } });
    await closing;
    expect(closed).toBe(true);
  });

  it('cuts connections still open after the grace period', async () => {
    let reached!: () => void;
    const handling = new Promise<void>((resolve) => (reached = resolve));
    const http = new HttpServer(silentLogger).route('GET', '/never', () => {
      reached();
      return new Promise<void>(() => undefined);
    });
    const port = await http.listen(0, '127.0.0.1');
    const hanging = fetch(`http://127.0.0.1:${port}/never`).catch((error: unknown) => error);
    await handling;
    await http.close(100);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
