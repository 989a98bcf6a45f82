import { describe, expect, it } from 'vitest';
import { ChainVerifier, GENESIS_HASH, canonicalJson, hashAuditRecord } from '../../src/core/audit.js';
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

function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const unsigned = { seq, at: `2026-11-27T09:00:0${seq}.000Z`, actor: 'system', actorIdentity: null, origin: 'cli' as const, action: 'x', subject: `s${seq}`, details: { n: seq }, prevHash };
    const hash = hashAuditRecord(unsigned);
    records.push({ ...unsigned, hash });
    prevHash = hash;
  }
  return records;
}

describe('audit chain', () => {
  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }));
  });
  it('verifies an intact chain', () => {
    const verifier = new ChainVerifier();
    const records = chain(5);
    expect(records.map((r) => verifier.check(r))).toEqual([null, null, null, null, null]);
    expect(verifier.finish({ seq: 5, hash: records[4]!.hash })).toBeNull();
  });
  it('names an altered record', () => {
    const records = chain(5);
    records[2] = { ...records[2]!, details: { n: 99 } };
    const verifier = new ChainVerifier();
    const problems = records.map((r) => verifier.check(r)).filter(Boolean);
    expect(problems[0]).toMatchObject({ kind: 'altered', seq: 3 });
  });
  it('names a missing record and a truncated tail', () => {
    const records = chain(5);
    const verifier = new ChainVerifier();
    expect([records[0]!, records[2]!].map((r) => verifier.check(r))[1]).toMatchObject({ kind: 'missing', seq: 2 });
    const tail = new ChainVerifier();
    records.slice(0, 3).forEach((r) => tail.check(r));
    expect(tail.finish({ seq: 5, hash: records[4]!.hash })).toMatchObject({ kind: 'missing', seq: 4 });
  });
});

describe('request signatures', () => {
  const request = {
    id: 'R-1', requesterId: 'P-1', target: { type: 'task' as const, scope: 'Exchange', name: 'Exchange\\X' }, durationSeconds: 3600,
    reason: 'INC1', ticket: null, createdAt: '2026-11-27T09:00:00.000Z', deadlineAt: '2026-11-28T09:00:00.000Z', change: null,
  };
  it('verifies what it signed and detects a change', () => {
    const signature = signRequest('key', request);
    expect(verifyRequestSignature('key', { ...request, signature })).toBe(true);
    expect(verifyRequestSignature('key', { ...request, durationSeconds: 7200, signature })).toBe(false);
    expect(verifyRequestSignature('other-key', { ...request, signature })).toBe(false);
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
