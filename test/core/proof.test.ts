import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyedRecord, unkeyedHash } from '../../src/core/audit.js';
import { keySet } from '../../src/core/keyring.js';
import { ConflictError, InvalidInputError } from '../../src/core/errors.js';
import type { StoreDialect } from '../../src/store/kysely-store.js';
import { databases, openTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';
import { settledAudit } from '../helpers/audit.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const VIEW = 'Exchange\\View-Only Recipients';

/**
 * Issue 11's findings, each tried as the attacker did, on both databases: someone who can write
 * the database (but does not hold the key file) rewrites, cuts or alters records, and someone who
 * can only send input tries to make Elevate do more than a policy allows.
 */
describe.each(await databases())('proof of decisions and of the audit log on %s', (kind: StoreDialect) => {
  let database: TestDatabase;
  let t: TestEngine;
  let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

  beforeEach(async () => {
    database = await openTestDatabase(kind);
    t = await createTestEngine({ db: database.db, dialect: kind });
    people = await seedTypicalSetup(t);
  });
  afterEach(async () => database.close());

  async function approvedRequest() {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '2h', reason: 'INC-1' });
    const decided = await t.elevate.approve(people.carol, { requestId: request.id });
    return { request, grant: decided.grant! };
  }

  it('a rewritten and re-hashed chain does not verify: the hashes are keyed', async () => {
    await approvedRequest();
    const records = await settledAudit(t, { limit: 10_000 });
    const approval = records.find((r) => r.action === 'request.approved')!;
    // The attacker names someone else as the approver and re-hashes everything after it, both as
    // an earlier version's plain SHA-256 chain and with a key of their own under the same key id.
    const forgedKeys = keySet([{ id: approval.keyId!, secret: Buffer.alloc(32, 7) }]);
    let prevHash = records[approval.seq - 2]!.hash;
    for (const record of records.slice(approval.seq - 1)) {
      const content = record.seq === approval.seq ? { ...record, actor: people.dave.kind === 'principal' ? people.dave.principalId : 'x' } : record;
      const forged = keyedRecord(forgedKeys, content, record.seq, prevHash);
      const plain = unkeyedHash({ ...content, prevHash });
      await t.db.updateTable('audit_log').set({ actor: content.actor, prev_hash: prevHash, mac: forged.mac, hash: record.seq % 2 ? forged.hash : plain })
        .where('seq', '=', record.seq).execute();
      prevHash = record.seq % 2 ? forged.hash : plain;
    }
    await t.db.updateTable('audit_head').set({ hash: prevHash }).execute();
    const result = await t.elevate.verifyAudit(t.operator);
    expect(result).toMatchObject({ ok: false, problem: { seq: approval.seq, kind: 'altered', message: `record ${approval.seq} was altered (its content does not match its MAC)` } });
  });

  it('a cut tail verifies on its own, and is detected against an anchor published before the cut', async () => {
    await approvedRequest();
    const before = await t.elevate.verifyAudit(t.operator);
    expect(before.ok).toBe(true);
    const anchor = before.head!;
    const published = await t.elevate.publishAuditAnchor();
    expect(published).toMatchObject(anchor);
    // Nothing new: not published again (and publishing wrote no audit record of its own).
    expect(await t.elevate.publishAuditAnchor(published!.seq)).toBeUndefined();
    expect((await t.elevate.verifyAudit(t.operator)).head).toEqual(anchor);

    await t.db.deleteFrom('audit_log').where('seq', '>', anchor.seq - 5).execute();
    const last = await t.db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    await t.db.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).execute();

    // Without an anchor a cut tail is undetectable (what the README says verify cannot prove)...
    expect((await t.elevate.verifyAudit(t.operator)).ok).toBe(true);
    // ...with one, it is named.
    const checked = await t.elevate.verifyAudit(t.operator, { anchors: [anchor] });
    expect(checked).toMatchObject({ ok: false, problem: null, anchors: [{ ok: false, message: `record ${anchor.seq} is missing: the log ends at record ${last.seq}, so it was cut after the anchor was published` }] });
    // A replaced log (same length, other content) differs from the anchor.
    const replaced = await t.elevate.verifyAudit(t.operator, { anchors: [{ seq: last.seq, hash: 'f'.repeat(64) }] });
    expect(replaced.anchors[0]).toMatchObject({ ok: false, message: `record ${last.seq} differs from the anchor: the log was rewritten or replaced after it was anchored` });
  });

  it('the audit head goes to the audit feed as a checkpoint', async () => {
    await approvedRequest();
    await t.deliverAll();
    t.chat.sent.length = 0;
    const anchor = await t.elevate.publishAuditAnchor();
    await t.deliverAll();
    expect(t.chat.sent.map((s) => s.card?.title)).toEqual([`Audit checkpoint: record ${anchor!.seq}`]);
    expect(t.chat.sent[0]!.card!.summary).toContain(`elevate audit verify --anchor ${anchor!.seq}:${anchor!.hash}`);
  });

  it('a request altered in the database is refused at decision, audited and alerted', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, duration: '2h', reason: 'INC-1' });
    await t.deliverAll();
    t.chat.sent.length = 0;
    // A 2-of-M downgrade to "no approvals needed" and a longer duration, behind Elevate's back.
    await t.db.updateTable('requests').set({ approvals_required: 0, duration_seconds: 8 * 3600 }).where('id', '=', request.id).execute();
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(ConflictError);
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(`request ${request.id} was changed outside Elevate`);
    expect((await t.elevate.listGrants(t.operator, {})).length).toBe(0);
    const actions = (await settledAudit(t, { limit: 10_000 })).map((r) => r.action);
    // Recorded once as a violation (both attempts as refusals), and alerted once.
    expect(actions.filter((a) => a === 'integrity.violation')).toHaveLength(1);
    expect(actions.filter((a) => a === 'request.approve.refused')).toHaveLength(2);
    await t.deliverAll();
    const alerts = t.chat.sent.filter((s) => s.card?.title === `Integrity alert: request ${request.id} was changed outside Elevate`);
    // Alice (the admin) directly, and the audit feed.
    expect(alerts.map((s) => s.destination)).toEqual(['slack:UALICE', 'feed']);
  });

  it('a grant altered in the database stops being honoured', async () => {
    const { grant } = await approvedRequest();
    await t.db.updateTable('grants').set({ ends_at: '2099-01-01T00:00:00.000Z' }).where('id', '=', grant.id).execute();
    await t.elevate.authorizations.reconcile();
    await t.elevate.authorizations.refresh();
    await expect(t.elevate.extendGrant(people.ursula, { grantId: grant.id, duration: '1h', reason: 'more' })).rejects.toThrow(`grant ${grant.id} was changed outside Elevate`);
  });

  it('an approval after the deadline is refused as expired and expires the request there and then', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    t.clock.advance(24 * 3600 + 1);
    // Before the scheduler's pass.
    await expect(t.elevate.approve(people.carol, { requestId: request.id })).rejects.toThrow(`request ${request.id} expired at ${request.deadlineAt}`);
    expect((await t.elevate.getRequest(t.operator, request.id)).request).toMatchObject({ status: 'expired' });
    expect(await t.elevate.listGrants(t.operator, {})).toEqual([]);
    expect(t.elevate.checkAuthorization('slack:UURSULA', SEARCH).allowed).toBe(false);
  });

  it('ending a grant closes its pending extension, which can then never create a grant', async () => {
    const { grant } = await approvedRequest();
    const extension = await t.elevate.extendGrant(people.ursula, { grantId: grant.id, duration: '1h', reason: 'more' });
    expect(extension.request).toMatchObject({ status: 'pending', extendsGrantId: grant.id });
    await t.elevate.revokeGrant(people.erin, { grantId: grant.id, comment: 'done' });
    expect((await t.elevate.getRequest(t.operator, extension.request.id)).request).toMatchObject({ status: 'cancelled' });
    await expect(t.elevate.approve(people.carol, { requestId: extension.request.id })).rejects.toThrow(ConflictError);
    expect((await t.elevate.listGrants(t.operator, { status: 'active' }))).toEqual([]);
    expect((await settledAudit(t, { limit: 10_000 })).some((r) => r.action === 'request.closed' && r.subject === extension.request.id)).toBe(true);
  });

  it('durations beyond the global cap, or that do not fit, are refused naming the limit; never a 500', async () => {
    for (const duration of ['5200w', '10000000w', '100000000w', '99999999999999999999h']) {
      const refused = t.elevate.requestAccess(people.ursula, { target: VIEW, duration, reason: 'INC-1' });
      await expect(refused).rejects.toThrow(InvalidInputError);
    }
    await expect(t.elevate.requestAccess(people.ursula, { target: VIEW, duration: '5200w', reason: 'INC-1' })).rejects.toThrow(/too long: at most 10 years/);
    await expect(t.elevate.requestAccess(people.ursula, { target: VIEW, duration: '52w', reason: 'INC-1' }))
      .rejects.toThrow(/longer than the 30d allowed for Exchange\\View-Only Recipients \(ELEVATE_MAX_GRANT_DURATION\)/);
    // The auto policy has no max of its own: the global cap is its max.
    const ok = await t.elevate.requestAccess(people.ursula, { target: VIEW, duration: '30d', reason: 'INC-1' });
    expect(ok.grant!.endsAt).toBe(new Date(Date.parse(ok.grant!.startsAt) + 30 * 86400_000).toISOString());
    await expect(t.elevate.updatePolicy(t.operator, SEARCH, { maxDurationSeconds: 31 * 86400 })).rejects.toThrow(/ELEVATE_MAX_GRANT_DURATION/);
    expect(await t.store.read((tx) => tx.listGrants({ limit: 10 }))).toHaveLength(1);
  });

  it('reason patterns run in linear time, and patterns the linear engine cannot run are refused at save', async () => {
    // Froze a backtracking engine for minutes with this reason; the linear engine answers at once.
    await t.elevate.updatePolicy(t.operator, SEARCH, { reasonPattern: '^(\\w+\\s?)+$' });
    await expect(t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: `${'a'.repeat(33)}!` })).rejects.toThrow(/must match/);
    for (const pattern of ['^(a)\\1$', '^(?=INC)', 'x'.repeat(201)]) {
      await expect(t.elevate.updatePolicy(t.operator, SEARCH, { reasonPattern: pattern })).rejects.toThrow(InvalidInputError);
    }
  });

  it('refusals of one person are recorded up to a burst, then counted into one summary', async () => {
    for (let i = 0; i < 50; i++) {
      await expect(t.elevate.requestAccess(people.ursula, { target: 'Exchange\\Nope', reason: 'x' })).rejects.toThrow(/no policy/);
    }
    await t.elevate.flushRefusals(true);
    const records = (await settledAudit(t, { limit: 10_000 })).filter((r) => r.action.startsWith('request.create.refused'));
    expect(records.map((r) => r.action)).toEqual([...Array(5).fill('request.create.refused'), 'request.create.refused.summary']);
    expect(records.at(-1)!.details).toMatchObject({ count: 45, examples: ['Exchange\\Nope'] });
  });

  it('an earlier version\'s unkeyed chain and unsigned grants are keyed and signed once at upgrade, saying whether the old chain held', async () => {
    const { grant } = await approvedRequest();
    // What an earlier version left: plain SHA-256 chain, no keys, grants unsigned.
    const records = await settledAudit(t, { limit: 10_000 });
    let prevHash = '0'.repeat(64);
    for (const record of records) {
      const hash = unkeyedHash({ ...record, prevHash });
      await t.db.updateTable('audit_log').set({ key_id: null, mac: null, prev_hash: prevHash, hash }).where('seq', '=', record.seq).execute();
      prevHash = hash;
    }
    await t.db.updateTable('audit_head').set({ hash: prevHash }).execute();
    await t.db.updateTable('grants').set({ signature: null }).execute();
    expect((await t.elevate.verifyAudit(t.operator)).ok).toBe(false);

    expect(await t.elevate.keyLegacyRecords()).toEqual({ rekeyed: records.length, grantsSigned: 1 });
    expect(await t.elevate.keyLegacyRecords()).toEqual({ rekeyed: 0, grantsSigned: 0 });
    const verified = await t.elevate.verifyAudit(t.operator);
    expect(verified).toMatchObject({ ok: true, keyedOnUpgrade: { upTo: records.length, legacyVerified: true } });
    // The signed grant is honoured and can be acted on.
    await t.elevate.revokeGrant(people.erin, { grantId: grant.id, comment: 'after the upgrade' });
  });
});

