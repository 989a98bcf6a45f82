import { createHash } from 'node:crypto';
import type { AuditRecord } from './model.js';

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

export function hashAuditRecord(record: Omit<AuditRecord, 'hash'>): string {
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
 * verified page by page. Returns the first problem found, or null.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  checked = 0;

  check(record: AuditRecord): ChainProblem | null {
    if (record.seq !== this.expectedSeq) {
      return {
        kind: 'missing',
        seq: this.expectedSeq,
        message: `record ${this.expectedSeq} is missing (next present record is ${record.seq})`,
      };
    }
    if (record.prevHash !== this.previousHash) {
      return { kind: 'altered', seq: record.seq, message: `record ${record.seq} does not link to record ${record.seq - 1}` };
    }
    if (hashAuditRecord(record) !== record.hash) {
      return { kind: 'altered', seq: record.seq, message: `record ${record.seq} was altered (its hash does not match its content)` };
    }
    this.previousHash = record.hash;
    this.expectedSeq += 1;
    this.checked += 1;
    return null;
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
