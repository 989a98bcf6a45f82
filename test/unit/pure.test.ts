import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChainVerifier, GENESIS_HASH, canonicalJson, keyedRecord, unkeyedHash } from '../../src/core/audit.js';
import { keySet } from '../../src/core/keyring.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { InvalidInputError } from '../../src/core/errors.js';
import type { AuditRecord } from '../../src/core/model.js';
import { buildUsageReport, percentile } from '../../src/core/report.js';
import { signRequest, verifyRequestSignature } from '../../src/core/signature.js';
import { closestNames, parseTarget } from '../../src/core/targets.js';
import { parsePrincipalRef } from '../../src/core/principals.js';

describe('durations', () => {
  it.each([['30m', 1800], ['2h', 7200], ['1d', 86400], ['1h30m', 5400], [' 1H 30M ', 5400], ['90s', 90], ['1w', 604800]])('parses %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
  it.each(['', '4', 'h', '2x', '-1h', '1.5h', 'abc', '0m'])('refuses "%s" with a clear error', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidInputError);
  });
  it('formats largest units first', () => {
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(90061)).toBe('1d1h1m1s');
  });
});

describe('targets', () => {
  it('parses Scope\\Name', () => {
    expect(parseTarget('task', 'Exchange\\Search-Mailbox')).toEqual({ type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' });
  });
  it.each(['Search-Mailbox', '\\X', 'Exchange\\', ''])('refuses "%s"', (text) => {
    expect(() => parseTarget('task', text)).toThrow(/Scope\\Name/);
  });
  it('suggests the closest names', () => {
    const names = ['Exchange\\Search-Mailbox', 'Exchange\\Role Management', 'SharePoint\\Site Admin'];
    expect(closestNames('exchange\\search-mailbx', names)[0]).toBe('Exchange\\Search-Mailbox');
    expect(closestNames('Role Management', names)[0]).toBe('Exchange\\Role Management');
  });
});

describe('principal references', () => {
  it('accepts platform identities, emails and principal ids, each in its one spelling', () => {
    expect(parsePrincipalRef('slack:U123')).toEqual({ identity: 'slack:U123' });
    expect(parsePrincipalRef('slack:ucarol')).toEqual({ identity: 'slack:UCAROL' });
    expect(parsePrincipalRef('SLACK:UCarol')).toEqual({ identity: 'slack:UCAROL' });
    expect(parsePrincipalRef('teams:29:1abc-def')).toEqual({ identity: 'teams:29:1abc-def' });
    expect(parsePrincipalRef('teams:6F1C2D9E-0000-4000-8000-00000000ABCD')).toEqual({ identity: 'teams:6f1c2d9e-0000-4000-8000-00000000abcd' });
    expect(parsePrincipalRef('oidc:Sub|123')).toEqual({ identity: 'oidc:Sub|123' });
    expect(parsePrincipalRef('Alice@Example.com')).toEqual({ email: 'alice@example.com' });
    expect(parsePrincipalRef('p-0001')).toEqual({ principalId: 'P-0001' });
  });
  it.each(['U123', 'discord:1', 'slack:', 'not an email@', 'slack:U1@T1', 'oidc: spaced', `slack:${'U'.repeat(41)}`])('refuses %s', (ref) => {
    expect(() => parsePrincipalRef(ref)).toThrow(InvalidInputError);
  });
});

const auditKey = { id: 'a-1', secret: Buffer.alloc(32, 1) };
const auditKeys = keySet([auditKey]);

function chain(n: number, keys = auditKeys): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content = { at: `2026-11-27T09:00:0${seq}.000Z`, actor: 'system', actorIdentity: null, origin: 'cli' as const, action: 'x', subject: `s${seq}`, details: { n: seq } };
    const record = keyedRecord(keys, content, seq, prevHash);
    records.push(record);
    prevHash = record.hash;
  }
  return records;
}

describe('audit chain', () => {
  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }));
  });
  it('verifies an intact chain', () => {
    const verifier = new ChainVerifier(auditKeys);
    const records = chain(5);
    expect(records.map((r) => verifier.check(r))).toEqual([null, null, null, null, null]);
    expect(verifier.finish({ seq: 5, hash: records[4]!.hash })).toBeNull();
  });
  it('names an altered record', () => {
    const records = chain(5);
    records[2] = { ...records[2]!, details: { n: 99 } };
    const verifier = new ChainVerifier(auditKeys);
    const problems = records.map((r) => verifier.check(r)).filter(Boolean);
    expect(problems[0]).toMatchObject({ kind: 'altered', seq: 3 });
  });
  it('names a missing record and a truncated tail', () => {
    const records = chain(5);
    const verifier = new ChainVerifier(auditKeys);
    expect([records[0]!, records[2]!].map((r) => verifier.check(r))[1]).toMatchObject({ kind: 'missing', seq: 2 });
    const tail = new ChainVerifier(auditKeys);
    records.slice(0, 3).forEach((r) => tail.check(r));
    expect(tail.finish({ seq: 5, hash: records[4]!.hash })).toMatchObject({ kind: 'missing', seq: 4 });
  });
  it('refuses a chain rewritten and re-hashed without the audit key', () => {
    const records = chain(5);
    // The attacker's best: rewrite record 2's actor and recompute every hash and MAC they can,
    // with a key of their own (they do not hold the audit key).
    const forged = chain(5, keySet([{ id: 'a-1', secret: Buffer.alloc(32, 2) }]));
    forged[1] = { ...forged[1]!, actor: 'slack:UATTACKER' };
    const verifier = new ChainVerifier(auditKeys);
    expect(verifier.check(records[0]!)).toBeNull();
    expect(verifier.check(forged[1]!)).toMatchObject({ kind: 'altered', seq: 2 });
    // A plain SHA-256 re-hash (the earlier, unkeyed chain) verifies no better.
    const { hash: _hash, keyId: _keyId, mac: _mac, ...content } = { ...records[1]!, actor: 'slack:UATTACKER' };
    const rehashed = { ...records[1]!, actor: 'slack:UATTACKER', hash: unkeyedHash(content) };
    expect(new ChainVerifier(auditKeys).check(records[0]!)).toBeNull();
    const again = new ChainVerifier(auditKeys);
    again.check(records[0]!);
    expect(again.check(rehashed)).toMatchObject({ kind: 'altered', seq: 2 });
  });
  it('verifies records of a rotated key with the older key, and refuses a key it does not hold', () => {
    const newer = { id: 'a-2', secret: Buffer.alloc(32, 3) };
    const old = chain(2);
    const rotated = keySet([auditKey, newer]);
    const third = keyedRecord(rotated, { at: '2026-11-27T09:00:03.000Z', actor: 'system', actorIdentity: null, origin: 'cli', action: 'x', subject: 's3', details: {} }, 3, old[1]!.hash);
    expect(third.keyId).toBe('a-2');
    const verifier = new ChainVerifier(rotated);
    expect([...old, third].map((r) => verifier.check(r))).toEqual([null, null, null]);
    expect(verifier.head).toEqual({ seq: 3, hash: third.hash });
    const stranger = new ChainVerifier(keySet([newer]));
    expect(stranger.check(old[0]!)).toMatchObject({ kind: 'altered', message: expect.stringContaining('does not hold') });
  });
});

describe('request signatures', () => {
  const request = {
    id: 'R-1', requesterId: 'P-1', target: { type: 'task' as const, scope: 'Exchange', name: 'Exchange\\X' }, durationSeconds: 3600,
    reason: 'INC1', ticket: null, createdAt: '2026-11-27T09:00:00.000Z', deadlineAt: '2026-11-28T09:00:00.000Z', change: null,
    requesterIdentity: 'slack:U1@T1', policyId: 'POL-1', policyVersion: null, approvalsRequired: 2, origin: 'slack' as const, extendsGrantId: null,
  };
  const key = keySet([{ id: 's-1', secret: Buffer.alloc(32, 4) }]);
  it('verifies what it signed and detects a change', () => {
    const signature = signRequest(key, request);
    expect(signature).toMatch(/^s1:s-1:[0-9a-f]{64}$/);
    expect(verifyRequestSignature(key, { ...request, signature })).toBe(true);
    expect(verifyRequestSignature(key, { ...request, durationSeconds: 7200, signature })).toBe(false);
    // A downgrade of N of M: the approvals required are signed too.
    expect(verifyRequestSignature(key, { ...request, approvalsRequired: 1, signature })).toBe(false);
    expect(verifyRequestSignature(keySet([{ id: 's-1', secret: Buffer.alloc(32, 5) }]), { ...request, signature })).toBe(false);
    expect(verifyRequestSignature(keySet([{ id: 's-2', secret: Buffer.alloc(32, 4) }]), { ...request, signature })).toBe(false);
  });
  it('verifies an earlier version\'s plain hex signature with the legacy key only', () => {
    const legacy = keySet([{ id: 'legacy', secret: Buffer.from('old-secret') }, { id: 's-1', secret: Buffer.alloc(32, 4) }]);
    const old = createHmac('sha256', 'old-secret').update(canonicalJson({
      id: request.id, requesterId: request.requesterId, target: request.target, durationSeconds: request.durationSeconds, reason: request.reason,
      ticket: request.ticket, createdAt: request.createdAt, deadlineAt: request.deadlineAt, change: request.change,
    })).digest('hex');
    expect(verifyRequestSignature(legacy, { ...request, signature: old })).toBe(true);
    expect(verifyRequestSignature(legacy, { ...request, reason: 'other', signature: old })).toBe(false);
    expect(verifyRequestSignature(key, { ...request, signature: old })).toBe(false);
  });
});

describe('usage report', () => {
  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([10], 0.9)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
  });
  it('counts outcomes per policy', () => {
    const policy = { id: 'POL-1', target: { type: 'task' as const, scope: 'E', name: 'E\\X' } } as never;
    const base = { policyId: 'POL-1', createdAt: '2026-11-27T09:00:00.000Z', requesterId: 'P-1' };
    const report = buildUsageReport({
      from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', now: '2026-11-27T12:00:00.000Z', policies: [policy],
      requests: [
        { ...base, id: 'R-1', status: 'approved', decidedBy: 'P-2', decidedAt: '2026-11-27T09:10:00.000Z' },
        { ...base, id: 'R-2', status: 'approved', decidedBy: null, decidedAt: '2026-11-27T09:00:00.000Z' },
        { ...base, id: 'R-3', status: 'denied', decidedBy: 'P-2', decidedAt: '2026-11-27T09:30:00.000Z', requesterId: 'P-3' },
      ] as never,
      grants: [{ policyId: 'POL-1', requestId: 'R-1', status: 'revoked', endsAt: '2026-11-27T13:00:00.000Z' }] as never,
      labels: new Map([['P-1', 'alice']]),
    });
    expect(report.policies[0]).toMatchObject({
      requests: 3, approved: 1, autoApproved: 1, denied: 1, revoked: 1, medianSecondsToDecision: 600, p90SecondsToDecision: 1800,
      topRequesters: [{ principal: 'alice', requests: 2 }, { principal: 'P-3', requests: 1 }], activeGrantsNow: 0,
    });
  });
});
