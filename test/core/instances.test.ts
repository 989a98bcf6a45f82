import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import type { StoreDialect } from '../../src/store/kysely-store.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { randomIds } from '../../src/system.js';
import { LiveClock } from '../fakes/fake-clock.js';
import { databases, openTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { createTestEngine, seedTypicalSetup, silentLogger, type TestEngine } from '../helpers/engine.js';

const SEARCH = { type: 'task' as const, scope: 'Exchange', name: 'Exchange\\Search-Mailbox' };
const VIEW_ONLY = { type: 'role' as const, scope: 'Exchange', name: 'Exchange\\View-Only Recipients' };
// Polling bound for an instance's own refresh timer (every 500 ms) to pick up a change: generous
// for a busy machine, and below the 30 s reconcile, which would otherwise mask a refresh that
// misses changes. How fast it is in practice is a benchmark's question, not this test's.
const REFRESH_BOUND_MS = 10_000;

/**
 * Several instances on one database: each engine has its own connection (pool) to the same
 * database, as separate processes would; one clock is shared so time-driven work lines up.
 */
describe.each(await databases())('several instances on %s', (kind: StoreDialect) => {
  let dir: string;
  let database: TestDatabase;
  let clock: LiveClock;
  let engines: TestEngine[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'elevate-instances-'));
    database = await openTestDatabase(kind, { sqlitePath: join(dir, 'elevate.db') });
    clock = new LiveClock();
    engines = [];
    for (const owner of ['a', 'b', 'c']) {
      const db = engines.length === 0 ? database.db : database.openAnother();
      engines.push(await createTestEngine({ db, dialect: kind, clock, ids: randomIds, owner }));
    }
    await seedTypicalSetup(engines[0]!);
    for (const engine of engines) await engine.elevate.authorizations.refresh();
  });
  afterEach(async () => {
    // The first engine's database is `database.db`, closed by `database.close()`; SQLite's others are its own.
    if (kind === 'sqlite') for (const engine of engines.slice(1)) await engine.db.destroy();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (engine: TestEngine, identity: string) => engine.as(identity);

  // Concurrent transactions from several connections need PostgreSQL here: better-sqlite3 is
  // synchronous, so two connections in one process cannot wait for each other's write lock
  // (separate processes can; SQLite transactions begin immediate for that).
  it.runIf(kind === 'postgres')('decides each request once when approvers on different instances click at the same moment', async () => {
    const [a, b, c] = engines as [TestEngine, TestEngine, TestEngine];
    const requests = [];
    for (let i = 0; i < 12; i++) {
      const requester = await as(a, `slack:UREQ${i}`);
      requests.push((await a.elevate.requestAccess(requester, { target: SEARCH.name, duration: '1h', reason: `INC-${i}` })).request);
    }
    const deciders = [[b, 'slack:UCAROL'], [c, 'slack:UDAVE'], [a, 'slack:UERIN']] as const;
    const outcomes = await Promise.all(requests.flatMap((request, i) => deciders.map(async ([engine, who], k) => {
      const actor = await as(engine, who);
      // One in three deciders on each request denies: still one decision wins.
      const decide = (i + k) % 3 === 0 ? engine.elevate.deny(actor, { requestId: request.id }) : engine.elevate.approve(actor, { requestId: request.id });
      return decide.then((o) => ({ id: request.id, outcome: o.outcome, grant: o.grant?.id ?? null }), (error: unknown) => {
        expect(error).toBeInstanceOf(ConflictError);
        return { id: request.id, outcome: 'conflict' as const, grant: null };
      });
    })));
    for (const request of requests) {
      const mine = outcomes.filter((o) => o.id === request.id);
      expect(mine.filter((o) => o.outcome !== 'conflict')).toHaveLength(1);
      const stored = (await a.elevate.getRequest(a.operator, request.id)).request;
      expect(['approved', 'denied']).toContain(stored.status);
      const grants = await a.store.read((tx) => tx.listGrants({ principalId: request.requesterId }));
      expect(grants).toHaveLength(stored.status === 'approved' ? 1 : 0);
    }
    expect(await a.elevate.verifyAudit(engines[0]!.operator)).toMatchObject({ ok: true });
  });

  it.runIf(kind === 'postgres')('keeps the audit chain one linear chain under concurrent writers on every instance', async () => {
    const before = (await auditOf(engines[0]!)).filter((r) => r.action === 'group.created').length;
    await Promise.all(engines.flatMap((engine, e) => Array.from({ length: 10 }, (_, i) =>
      engine.elevate.createGroup(engine.operator, `group-${e}-${i}`))));
    const verified = await engines[2]!.elevate.verifyAudit(engines[0]!.operator);
    expect(verified).toMatchObject({ ok: true });
    const records = await auditOf(engines[1]!);
    expect(records.filter((r) => r.action === 'group.created')).toHaveLength(before + 30);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
  });

  it('runs each due job once when every instance runs its scheduler at once, and takes over a lapsed lease', async () => {
    const [a] = engines as [TestEngine];
    for (let i = 0; i < 20; i++) {
      await a.elevate.requestAccess(await as(a, `slack:UREQ${i}`), { target: SEARCH.name, duration: '1h', reason: `INC-${i}` });
    }
    clock.advance(25 * 3600);
    const schedulers = engines.map((engine, i) => new Scheduler({
      elevate: engine.elevate, logger: silentLogger, intervalMs: 3_600_000, leases: { store: engine.store, owner: `instance-${i}` },
    }));
    const passes = await Promise.all(schedulers.map((s) => s.runOnce()));
    const ran = passes.filter((p) => p !== undefined);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.reduce((n, p) => n + p!.requestsExpired, 0)).toBe(20);
    const expired = (await auditOf(a)).filter((r) => r.action === 'request.expired');
    expect(expired).toHaveLength(20);

    // An instance that crashed holding the lease: the others wait until it lapses, then take over.
    expect(await a.store.takeLease('scheduler', 'crashed', clock.now(), new Date(Date.parse(clock.now()) + 60_000).toISOString())).toBe(true);
    expect(await schedulers[1]!.runOnce()).toBeUndefined();
    clock.advance(61);
    expect(await schedulers[1]!.runOnce()).toMatchObject({ requestsExpired: 0 });
    expect(await a.elevate.verifyAudit(engines[0]!.operator)).toMatchObject({ ok: true });
  });

  it('a revocation on one instance is honoured by the check on another at its next index refresh, which its timer runs', async () => {
    const [a, b, c] = engines as [TestEngine, TestEngine, TestEngine];
    const allowedOn = (engine: TestEngine) => engine.elevate.checkAuthorization('slack:UURSULA', VIEW_ONLY.name).allowed;
    const ursula = await as(a, 'slack:UURSULA');
    const { grant } = await a.elevate.requestAccess(ursula, { target: VIEW_ONLY.name, duration: '1h', reason: 'INC-7' });
    for (const engine of [b, c]) await engine.elevate.authorizations.refresh();
    expect([b, c].map(allowedOn)).toEqual([true, true]);

    await a.elevate.revokeGrant(a.operator, { grantId: grant!.id, comment: 'done' });
    expect(allowedOn(a)).toBe(false); // at once on the instance that revoked
    expect(allowedOn(b)).toBe(true); // the others learn it from the database, at their next refresh
    await b.elevate.authorizations.refresh();
    expect(allowedOn(b)).toBe(false);

    // C refreshes on its own timer, as `elevate serve` does.
    const scheduler = new Scheduler({ elevate: c.elevate, logger: silentLogger, intervalMs: 3_600_000 });
    scheduler.start();
    try {
      await until(() => !allowedOn(c), REFRESH_BOUND_MS);
    } finally {
      await scheduler.stop();
    }
  });

  it('a change the refresh cannot see (stamped long before it committed) is caught by the reconcile', async () => {
    const [a, b] = engines as [TestEngine, TestEngine];
    const ursula = await as(a, 'slack:UURSULA');
    const { grant } = await a.elevate.requestAccess(ursula, { target: VIEW_ONLY.name, duration: '1h', reason: 'INC-7' });
    await b.elevate.authorizations.refresh();
    expect(b.elevate.checkAuthorization('slack:UURSULA', VIEW_ONLY.name).allowed).toBe(true);
    // As if a revocation waited minutes on a lock (or came from an instance whose clock is far behind).
    await a.db.updateTable('grants').set({ status: 'revoked', ended_at: '2000-01-01T00:00:00.000Z', updated_at: '2000-01-01T00:00:00.000Z' })
      .where('id', '=', grant!.id).execute();
    await b.elevate.authorizations.refresh();
    expect(b.elevate.checkAuthorization('slack:UURSULA', VIEW_ONLY.name).allowed).toBe(true);
    await b.elevate.authorizations.reconcile();
    expect(b.elevate.checkAuthorization('slack:UURSULA', VIEW_ONLY.name).allowed).toBe(false);
    // And the other way: an active grant the refresh never saw is added.
    await a.db.updateTable('grants').set({ status: 'active', ended_at: null }).where('id', '=', grant!.id).execute();
    const c = engines[2]!;
    await c.elevate.authorizations.reconcile();
    expect(c.elevate.checkAuthorization('slack:UURSULA', VIEW_ONLY.name)).toMatchObject({ allowed: true, grantId: grant!.id });
  });
});

async function auditOf(engine: TestEngine) {
  const records = [];
  for await (const record of engine.elevate.exportAudit(engine.operator, {})) records.push(record);
  return records;
}

/** Polls `condition` every 20 ms; throws when it is still false after `withinMs`. */
async function until(condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition still false after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
