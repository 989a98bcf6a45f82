import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unchainedRecord } from '../../src/core/audit.js';
import { postgresAvailable, openTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { createTestEngine, type TestEngine } from '../helpers/engine.js';

/**
 * The deferred audit chain on PostgreSQL (src/store/audit-chain.ts): records written unchained are
 * linked in commit order, never past a transaction that could still commit one before them.
 */
describe.runIf(await postgresAvailable())('deferred audit chain on PostgreSQL', () => {
  let database: TestDatabase;
  let engine: TestEngine;

  beforeEach(async () => {
    database = await openTestDatabase('postgres');
    engine = await createTestEngine({ db: database.db, dialect: 'postgres' });
  });
  afterEach(async () => {
    await database.close();
  });

  const record = (subject: string) => unchainedRecord(engine.elevate.ctx.config.keys.audit, {
    at: '2026-12-01T10:00:00.000Z', actor: 'system', actorIdentity: null, origin: 'cli', action: 'test.step', subject, details: {},
  });
  const chainedSubjects = async () => (await engine.store.listAudit({ action: 'test.step' })).map((r) => r.subject);
  /** A transaction that appends `subject` (after `before`) and stays open until `release` is called. */
  const openTransaction = (subject: string, before: () => Promise<void> = async () => undefined) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let appended!: () => void;
    const appendedOnce = new Promise<void>((resolve) => { appended = resolve; });
    const done = engine.store.transaction(async (tx) => {
      await before();
      await tx.appendUnchainedAudit([record(subject)]);
      appended();
      await released;
    });
    return { appended: appendedOnce, release, done };
  };

  it('links nothing past a transaction still running, then everything in commit order once it ends', async () => {
    const a = openTransaction('a');
    await a.appended;
    await engine.store.transaction((tx) => tx.appendUnchainedAudit([record('b1'), record('b2')]));
    expect(await engine.elevate.chainAudit(50)).toBe(0);
    // What `a` wrote is not visible until it commits.
    expect(await engine.store.auditChain!.countUnchained()).toBe(2);
    expect(await engine.store.getAuditHead()).toBeUndefined();
    a.release();
    await a.done;
    expect(await engine.elevate.chainAudit()).toBe(3);
    expect(await chainedSubjects()).toEqual(['a', 'b1', 'b2']);
    expect(await engine.store.auditChain!.countUnchained()).toBe(0);
    expect(await engine.elevate.verifyAudit(engine.operator)).toMatchObject({ ok: true, checked: 3, pending: 0 });
  });

  it('orders a transaction by when it ends, not when it first wrote (it may have read what committed meanwhile)', async () => {
    let wrote!: () => void;
    const firstWrite = new Promise<void>((resolve) => { wrote = resolve; });
    let proceed!: () => void;
    const proceeding = new Promise<void>((resolve) => { proceed = resolve; });
    // `early` writes (and so gets its transaction id) before `late` starts, but appends after `late` committed.
    const early = engine.store.transaction(async (tx) => {
      await tx.recordIntegrityViolation('grant', 'G-EARLY', '2026-12-01T10:00:00.000Z');
      wrote();
      await proceeding;
      await tx.appendUnchainedAudit([record('early')]);
    });
    await firstWrite;
    await engine.store.transaction((tx) => tx.appendUnchainedAudit([record('late')]));
    proceed();
    await early;
    expect(await engine.elevate.chainAudit()).toBe(2);
    expect(await chainedSubjects()).toEqual(['late', 'early']);
    expect(await engine.elevate.verifyAudit(engine.operator)).toMatchObject({ ok: true, checked: 2 });
  });

  it('keeps one linear chain when several chainers and writers run at once', async () => {
    const others = [await createTestEngine({ db: database.openAnother(), dialect: 'postgres' }), await createTestEngine({ db: database.openAnother(), dialect: 'postgres' })];
    const writers = Array.from({ length: 30 }, (_, i) => engine.store.transaction((tx) => tx.appendUnchainedAudit([record(`w${i}`), record(`w${i}-2`)])));
    const chainers = [engine, ...others].flatMap((e) => [e.elevate.chainAudit(), e.elevate.chainAudit()]);
    await Promise.all([...writers, ...chainers]);
    await engine.elevate.chainAudit();
    const records = await engine.store.listAudit({ action: 'test.step' });
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    // A transaction's own records stay together and in order.
    for (let i = 0; i < 30; i++) {
      const at = records.findIndex((r) => r.subject === `w${i}`);
      expect(records[at + 1]!.subject).toBe(`w${i}-2`);
    }
    expect(await engine.elevate.verifyAudit(engine.operator)).toMatchObject({ ok: true, checked: 60, pending: 0 });
  });
});
