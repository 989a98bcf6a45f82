import { createHash } from 'node:crypto';
import { hmacHex, sameHex, type Key, type KeySet } from './keyring.js';
import type { AuditRecord } from './model.js';
import type { UnchainedAudit } from './ports.js';

/** The hash before the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What a record says, without where it sits in the chain. */
export type AuditContent = Pick<AuditRecord, 'at' | 'actor' | 'actorIdentity' | 'origin' | 'action' | 'subject' | 'details'>;

/**
 * The keyed chain (DESIGN rule 10): a record's `mac` is an HMAC of its content under the audit
 * key, and its `hash` an HMAC over its sequence number, the previous record's hash and its `mac`.
 * Someone who can write the database but does not hold the audit key (it lives in the key file,
 * never in the database) can neither alter a record nor add one that verifies, nor re-hash the
 * chain after cutting or rewriting it.
 */
export function macOf(key: Key, content: AuditContent): string {
  const { at, actor, actorIdentity, origin, action, subject, details } = content;
  return hmacHex(key, canonicalJson({ at, actor, actorIdentity: actorIdentity ?? undefined, origin, action, subject, details }));
}

export function chainHash(key: Key, link: { seq: number; prevHash: string; mac: string }): string {
  return hmacHex(key, canonicalJson({ seq: link.seq, prevHash: link.prevHash, mac: link.mac }));
}

/** A record of the chain, keyed: its mac and hash under the active audit key. */
export function keyedRecord(keys: KeySet, content: AuditContent, seq: number, prevHash: string): AuditRecord {
  const key = keys.active;
  const mac = macOf(key, content);
  return { ...content, seq, keyId: key.id, mac, prevHash, hash: chainHash(key, { seq, prevHash, mac }) };
}

/** A record keyed under the active audit key but not yet in the chain (see `AuditChainStore`). */
export function unchainedRecord(keys: KeySet, content: AuditContent): UnchainedAudit {
  return { ...content, keyId: keys.active.id, mac: macOf(keys.active, content) };
}

/**
 * Links an unchained record at `seq` after `prevHash`, under the key it was keyed with (the
 * chainer may run on an instance whose active key is newer). Throws when this server does not
 * hold that key: the record then stays unchained, and `audit verify` counts it as pending.
 */
export function linkRecord(keys: KeySet, record: UnchainedAudit, seq: number, prevHash: string): AuditRecord {
  const key = keys.byId.get(record.keyId);
  if (!key) throw new Error(`audit key ${record.keyId} of an unchained record is not held by this server`);
  return { ...record, seq, prevHash, hash: chainHash(key, { seq, prevHash, mac: record.mac }) };
}

/**
 * The hash of a record of an earlier version's unkeyed chain (SHA-256, no key): only used to
 * check such a chain once, when it is re-keyed on upgrade (src/core/use-cases/key-audit-log.ts).
 */
export function unkeyedHash(record: Omit<AuditRecord, 'hash' | 'keyId' | 'mac'>): string {
  const { seq, at, actor, origin, action, subject, details, prevHash } = record;
  // Records from before acting identities were kept have none: left out, their hash is unchanged.
  const actorIdentity = record.actorIdentity ?? undefined;
  return createHash('sha256')
    .update(canonicalJson({ seq, at, actor, actorIdentity, origin, action, subject, details, prevHash }))
    .digest('hex');
}

export type ChainProblem =
  | { kind: 'altered'; seq: number; message: string }
  | { kind: 'missing'; seq: number; message: string };

/**
 * Checks records in sequence order, carrying the state between calls so a long log can be
 * verified page by page (constant memory). Returns the first problem found, or null.
 * `unkeyed`: check an earlier version's SHA-256 chain instead (the upgrade's one-time check).
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  checked = 0;

  constructor(private readonly keys: KeySet | 'unkeyed') {}

  check(record: AuditRecord): ChainProblem | null {
    if (record.seq !== this.expectedSeq) {
      return {
        kind: 'missing',
        seq: this.expectedSeq,
        message: record.seq > this.expectedSeq
          ? `record ${this.expectedSeq} is missing (next present record is ${record.seq})`
          : `record ${record.seq} appears twice or out of order`,
      };
    }
    if (record.prevHash !== this.previousHash) {
      return { kind: 'altered', seq: record.seq, message: `record ${record.seq} does not link to record ${record.seq - 1}` };
    }
    const problem = this.keys === 'unkeyed' ? this.checkUnkeyed(record) : this.checkKeyed(this.keys, record);
    if (problem) return problem;
    this.previousHash = record.hash;
    this.expectedSeq += 1;
    this.checked += 1;
    return null;
  }

  private checkKeyed(keys: KeySet, record: AuditRecord): ChainProblem | null {
    const key = record.keyId ? keys.byId.get(record.keyId) : undefined;
    if (!record.keyId || !record.mac) return { kind: 'altered', seq: record.seq, message: `record ${record.seq} carries no audit key: it was not written by Elevate` };
    if (!key) return { kind: 'altered', seq: record.seq, message: `record ${record.seq} names audit key ${record.keyId}, which this server does not hold (a key file of another installation, or a made-up record)` };
    if (!sameHex(macOf(key, record), record.mac)) {
      return { kind: 'altered', seq: record.seq, message: `record ${record.seq} was altered (its content does not match its MAC)` };
    }
    if (!sameHex(chainHash(key, { seq: record.seq, prevHash: record.prevHash, mac: record.mac }), record.hash)) {
      return { kind: 'altered', seq: record.seq, message: `record ${record.seq} was altered (its hash does not match)` };
    }
    return null;
  }

  private checkUnkeyed(record: AuditRecord): ChainProblem | null {
    return unkeyedHash(record) === record.hash ? null : { kind: 'altered', seq: record.seq, message: `record ${record.seq} was altered (its hash does not match its content)` };
  }

  /** The last record verified, or undefined when none was. */
  get head(): { seq: number; hash: string } | undefined {
    return this.checked === 0 ? undefined : { seq: this.expectedSeq - 1, hash: this.previousHash };
  }

  /** After the last record: the head says how many records there should be. */
  finish(head: { seq: number; hash: string } | undefined): ChainProblem | null {
    const lastSeq = this.expectedSeq - 1;
    if (head && head.seq > lastSeq) {
      return { kind: 'missing', seq: lastSeq + 1, message: `records ${lastSeq + 1} to ${head.seq} are missing` };
    }
    if (head && head.seq === lastSeq && head.hash !== this.previousHash) {
      return { kind: 'altered', seq: lastSeq, message: `record ${lastSeq} does not match the chain head` };
    }
    return null;
  }
}
