import { ChainVerifier, type ChainProblem } from '../audit.js';
import type { EngineContext } from '../context.js';
import { InvalidInputError, NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { AuditRecord } from '../model.js';
import type { Actor, AuditFilter } from '../ports.js';
import { chainAudit } from './chain-audit.js';

// Records read per query while walking the log: bounded memory for any log size.
const PAGE_SIZE = 5000;

/** A head of the chain published outside the database: its sequence number and hash. */
export interface Anchor {
  seq: number;
  hash: string;
  /** When it was published, if known. */
  at?: string;
}

export interface AnchorResult {
  anchor: Anchor;
  ok: boolean;
  message: string;
}

export interface AuditVerification {
  /** The chain verifies and every anchor given is in it. */
  ok: boolean;
  checked: number;
  problem: ChainProblem | null;
  /** The last record verified: anchor it (`<seq>:<hash>`) to detect a later cut or replacement. */
  head: { seq: number; hash: string } | null;
  anchors: AnchorResult[];
  /** Records up to `upTo` came from an earlier version's unkeyed chain and were keyed on upgrade. */
  keyedOnUpgrade: { upTo: number; legacyVerified: boolean } | null;
  /**
   * Records committed but not yet linked into the chain (PostgreSQL, when a transaction was still
   * running as verify began): not verified yet; the next `audit verify` covers them.
   */
  pending: number;
}

// How long verify and export wait for the changes in flight to commit, to link their records first.
const SETTLE_WAIT_MS = 10_000;

async function requireAuditReader(ctx: EngineContext, actor: Actor): Promise<void> {
  if (!(await ctx.store.read((tx) => seesEverything(tx, actor)))) {
    throw new NotAllowedError('only admins and auditors may read the audit log');
  }
}

/**
 * Recomputes the whole keyed chain, page by page (constant memory), names the first altered or
 * missing record, and checks each anchor given: a head published earlier outside the database
 * (src/core/use-cases/publish-audit-anchor.ts) must still be in the log with the same hash, or the
 * log was cut (the anchored record is gone) or replaced (it differs).
 */
export async function verifyAuditLog(ctx: EngineContext, actor: Actor, options: { anchors?: Anchor[] } = {}): Promise<AuditVerification> {
  await requireAuditReader(ctx, actor);
  await chainAudit(ctx, SETTLE_WAIT_MS);
  const verifier = new ChainVerifier(ctx.config.keys.audit);
  const anchors = [...(options.anchors ?? [])].sort((a, b) => a.seq - b.seq);
  const results: AnchorResult[] = [];
  let next = 0;
  let keyedOnUpgrade: AuditVerification['keyedOnUpgrade'] = null;
  let problem: ChainProblem | null = null;
  let afterSeq = 0;
  reading: for (;;) {
    const page = await ctx.store.listAudit({ afterSeq, limit: PAGE_SIZE });
    for (const record of page) {
      problem = verifier.check(record);
      if (problem) break reading;
      if (record.action === 'audit.keyed' && keyedOnUpgrade === null) {
        keyedOnUpgrade = { upTo: Number(record.details.upTo ?? record.seq - 1), legacyVerified: record.details.legacyVerified === true };
      }
      for (; next < anchors.length && anchors[next]!.seq <= record.seq; next++) {
        const anchor = anchors[next]!;
        results.push(anchor.seq < record.seq
          ? { anchor, ok: false, message: `record ${anchor.seq} is not in the log` }
          : anchor.hash === record.hash
            ? { anchor, ok: true, message: `record ${anchor.seq} is in the log as anchored` }
            : { anchor, ok: false, message: `record ${anchor.seq} differs from the anchor: the log was rewritten or replaced after it was anchored` });
      }
    }
    if (page.length < PAGE_SIZE) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  problem ??= verifier.finish(await ctx.store.getAuditHead());
  const head = verifier.head ?? null;
  for (const anchor of anchors.slice(next)) {
    results.push(problem
      ? { anchor, ok: false, message: `record ${anchor.seq} could not be checked: the chain breaks before it` }
      : { anchor, ok: false, message: `record ${anchor.seq} is missing: the log ends at record ${head?.seq ?? 0}, so it was cut after the anchor was published` });
  }
  const anchorsOk = results.every((r) => r.ok);
  const pending = (await ctx.store.auditChain?.countUnchained()) ?? 0;
  return { ok: problem === null && anchorsOk, checked: verifier.checked, problem, head, anchors: results, keyedOnUpgrade, pending };
}

/** `<seq>:<hash>`, as audit verify prints a head and the checkpoints publish it. */
export function parseAnchor(text: string): Anchor {
  const match = /^\s*(\d{1,15}):([0-9a-f]{64})\s*$/.exec(text);
  if (!match) throw new InvalidInputError(`anchor "${text.slice(0, 100)}" must be written <sequence>:<64 hex characters>, as audit verify prints the head`, { field: 'anchor' });
  return { seq: Number(match[1]), hash: match[2]! };
}

/**
 * The anchors in a checkpoint file: one per line, as ELEVATE_AUDIT_CHECKPOINT_FILE writes them
 * (`{"seq":…,"hash":"…","at":"…"}`) or as `audit verify` prints a head (`<seq>:<hash>`); blank
 * lines and `#` comments are skipped. A line that is neither is refused with its number.
 */
export function parseAnchorLines(text: string): Anchor[] {
  const anchors: Anchor[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      if (!line.startsWith('{')) {
        anchors.push(parseAnchor(line));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new InvalidInputError('is not JSON', { field: 'anchor' });
      }
      const { seq, hash, at } = (parsed ?? {}) as Record<string, unknown>;
      const anchor = parseAnchor(`${String(seq)}:${String(hash)}`);
      anchors.push(typeof at === 'string' ? { ...anchor, at } : anchor);
    } catch (error) {
      throw new InvalidInputError(`anchors line ${index + 1}: ${(error as Error).message}`, { field: 'anchors' });
    }
  });
  return anchors;
}

/** Streams audit records matching the filter, page by page, in sequence order (after `afterSeq` if given). */
export async function* exportAuditLog(ctx: EngineContext, actor: Actor, filter: Omit<AuditFilter, 'limit'>): AsyncGenerator<AuditRecord> {
  await requireAuditReader(ctx, actor);
  await chainAudit(ctx, SETTLE_WAIT_MS);
  let afterSeq = filter.afterSeq ?? 0;
  for (;;) {
    const page = await ctx.store.listAudit({ ...filter, afterSeq, limit: PAGE_SIZE });
    yield* page;
    if (page.length < PAGE_SIZE) return;
    afterSeq = page[page.length - 1]!.seq;
  }
}
