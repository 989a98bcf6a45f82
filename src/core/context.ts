import { GENESIS_HASH, keyedRecord, unchainedRecord, type AuditContent } from './audit.js';
import { card, type Card } from './cards.js';
import { messageTo } from './notify.js';
import { IntegrityViolation, isElevateError } from './errors.js';
import type { Installation } from './installations.js';
import type { Keyring } from './keyring.js';
import type { RefusalSummaries } from './refusal-summaries.js';
import type { AuditRecord, Origin } from './model.js';
import { WriteConflictError, type Actor, type Clock, type DeliveryDraft, type Directory, type IdSource, type OnCallDirectory, type PatternEngine, type Store, type StoreTx } from './ports.js';
import type { StepUpSettings } from './step-up.js';
import type { Instant } from './time.js';

/** Start-up configuration the core needs (validated by src/config before it gets here). */
export interface EngineConfig {
  /** Keys for request and grant signatures and the audit chain (src/keys.ts loads them; never in the database). */
  keys: Keyring;
  /** No grant lasts longer than this (ELEVATE_MAX_GRANT_DURATION), whatever a policy says. */
  maxGrantSeconds?: number;
  requestTimeoutSeconds: number;
  defaultApproverGroup: string;
  expiryWarningSeconds: number;
  /** Approvers are reminded every this long while a request is pending (ELEVATE_REMINDER_AFTER). */
  reminderAfterSeconds: number;
  /** After this many reminders the policy's escalation group is reminded too (ELEVATE_ESCALATE_AFTER; default 2). */
  escalateAfterReminders?: number;
  /** Platforms with an audit feed configured, e.g. ['slack']. */
  feedPlatforms: string[];
  /**
   * Email domains whose verified addresses link a person's platform identities into one principal
   * (lower case). Empty: any verified address links.
   */
  linkEmailDomains?: string[];
  /** Names of the provisioning hooks the server configuration defines (ELEVATE_HOOKS); none when absent. */
  hooks?: string[];
  /** A start hook failing this many times fails its grant (default 10). */
  hookMaxAttempts?: number;
  /** Admins are alerted once when an end hook has failed this many times (default 5); it is retried regardless. */
  hookAlertAfter?: number;
  /** Step-up approvals (src/core/step-up.ts); absent: no identity provider, nothing can step up. */
  stepUp?: StepUpSettings;
  /** Window starts further ahead than this are refused (ELEVATE_MAX_SCHEDULE_AHEAD; default 30 days). */
  maxScheduleAheadSeconds?: number;
  /** Approvers review a break-glass use within this long (ELEVATE_BREAK_GLASS_REVIEW; default 24 h); then the admins are told. */
  breakGlassReviewSeconds?: number;
  /** Where the web console is (ELEVATE_PUBLIC_URL, no trailing slash): cards link to request pages there. */
  publicUrl?: string | null;
  /** On-call grants last until the shift's end plus this (ELEVATE_ON_CALL_GRACE; default 15 min). */
  onCallGraceSeconds?: number;
}

export const ADMINS_GROUP = 'admins';
export const AUDITORS_GROUP = 'auditors';

export interface EngineContext {
  store: Store;
  clock: Clock;
  ids: IdSource;
  directory: Directory;
  /** On-call providers (src/on-call); absent: none configured, and on-call checks fail to manual approval. */
  onCall?: OnCallDirectory;
  config: EngineConfig;
  /** Reason and ticket patterns (linear time). */
  patterns: PatternEngine;
  observer?: EngineObserver;
  /** The Slack workspace and Teams tenants served, by platform; set by each adapter when it starts. */
  installations?: Map<string, Installation>;
  /** Which refused attempts are audited one by one and which only counted (floods); set by the Elevate facade. */
  refusals?: RefusalSummaries;
}

/** No grant lasts longer than this unless ELEVATE_MAX_GRANT_DURATION says otherwise: a month. */
export const DEFAULT_MAX_GRANT_SECONDS = 30 * 86400;

export function maxGrantSeconds(config: EngineConfig): number {
  return config.maxGrantSeconds ?? DEFAULT_MAX_GRANT_SECONDS;
}

/** Told about outcomes worth measuring (metrics), after they are committed. */
export interface EngineObserver {
  /** A person's final decision on a request, `seconds` after it was made. */
  decided(outcome: 'approved' | 'denied', seconds: number): void;
}

interface PendingAudit {
  action: string;
  subject: string;
  details: Record<string, unknown>;
  actor?: string;
}

/**
 * One change in progress: the transaction, the time it happens at, and the audit records and
 * deliveries it will commit together with its state changes.
 */
export class Change {
  readonly now: Instant;
  private readonly audits: PendingAudit[] = [];
  private readonly deliveries: DeliveryDraft[] = [];
  private readonly cards = new Map<string, Card>();
  private readonly homes = new Set<string>();

  /**
   * @param directoryMembers platform group members resolved before this attempt, by reference
   *   (directory I/O never happens inside a transaction; see `runChange`).
   */
  constructor(
    readonly tx: StoreTx,
    readonly ctx: EngineContext,
    readonly actor: Actor,
    readonly directoryMembers: ReadonlyMap<string, string[]> = new Map(),
  ) {
    this.now = ctx.clock.now();
  }

  get origin(): Origin {
    return this.actor.origin;
  }

  /** The principal acting, or undefined for the operator and the system. */
  get principalId(): string | undefined {
    return this.actor.kind === 'principal' ? this.actor.principalId : undefined;
  }

  audit(action: string, subject: string, details: Record<string, unknown> = {}): void {
    this.audits.push({ action, subject, details });
  }

  deliver(draft: DeliveryDraft): void {
    this.deliveries.push(draft);
  }

  /** The homes of these principals show what this change changes: publish them again (those opened once). */
  refreshHomes(principalIds: Iterable<string>): void {
    for (const id of principalIds) this.homes.add(id);
  }

  /** Saves the latest version of a card; deliveries of `cardKey` always send the latest. */
  saveCard(cardKey: string, card: Card): void {
    this.cards.set(cardKey, card);
  }

  async flush(): Promise<void> {
    if (this.cards.size > 0) await this.tx.saveCards([...this.cards].map(([cardKey, card]) => ({ cardKey, card })));
    if (this.ctx.store.auditChain) {
      // Chained after commit (see AuditChainStore): nothing here waits for other writers, and the
      // unchained records go last, so their ordering number is taken after every read and write.
      await this.queueMessages();
      if (this.audits.length > 0) await this.tx.appendUnchainedAudit(this.audits.map((entry) => unchainedRecord(this.ctx.config.keys.audit, this.content(entry))));
      return;
    }
    // The audit head lock, held to commit, orders writers: taking it before the deliveries get
    // their ids keeps outbox ids in commit order, so a channel's messages go out as committed.
    const head = this.audits.length > 0 ? await this.tx.lockAuditHead() : undefined;
    await this.queueMessages();
    if (this.audits.length === 0) return;
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    const records: AuditRecord[] = [];
    for (const entry of this.audits) {
      seq += 1;
      const record = keyedRecord(this.ctx.config.keys.audit, this.content(entry), seq, prevHash);
      records.push(record);
      prevHash = record.hash;
    }
    await this.tx.insertAuditRecords(records);
  }

  /** The change's deliveries and the home republishes of those who opened their home. */
  private async queueMessages(): Promise<void> {
    if (this.deliveries.length > 0) await this.tx.insertDeliveries(this.deliveries, this.now);
    if (this.homes.size > 0) {
      const identities = await this.tx.listHomeIdentities([...this.homes]);
      if (identities.length > 0) await this.tx.queueHomePublishes(identities, this.now);
    }
  }

  private content(entry: PendingAudit): AuditContent {
    const actor = this.actor.kind === 'principal' ? this.actor.principalId : this.actor.kind;
    const actorIdentity = this.actor.kind === 'operator' ? null : this.actor.identity ?? null;
    const details = {
      ...entry.details,
      ...(this.actor.kind === 'principal' && this.actor.viaOperator ? { viaOperator: true } : {}),
      ...(this.actor.kind !== 'operator' && this.actor.tokenId ? { token: this.actor.tokenId } : {}),
    };
    return { at: this.now, actor, actorIdentity, origin: this.origin, action: entry.action, subject: entry.subject, details };
  }
}

/**
 * Thrown inside a transaction that needs a platform group's members it does not have yet:
 * `runChange` rolls back, resolves the group through the Directory port outside the transaction,
 * and runs the use case again.
 */
export class DirectoryLookupNeeded extends Error {
  constructor(readonly ref: string) {
    super(`directory group ${ref} must be resolved first`);
  }
}

// A use case names at most a few groups (approvers, eligible, escalation); more rounds mean a loop.
const MAX_DIRECTORY_ROUNDS = 5;
// A change that lost a race to another instance runs again and then sees the winner's rows; a
// second loss in a row is rare, a third means something else is wrong.
const MAX_CONFLICT_RETRIES = 3;

/**
 * Runs one use case as one transaction (again, if it lost a race to another transaction: see
 * `WriteConflictError`; use cases do no chat I/O, so running one again is safe). A refusal (not allowed, or a conflict such as a second
 * decision) rolls the change back and is then audited on its own, so refused attempts leave a trace
 * without changing anything else.
 */
export async function runChange<T>(
  ctx: EngineContext,
  actor: Actor,
  attempt: { action: string; subject: string },
  work: (change: Change) => Promise<T>,
): Promise<T> {
  const directoryMembers = new Map<string, string[]>();
  let conflicts = 0;
  let lookups = 0;
  try {
    for (;;) {
      try {
        return await ctx.store.transaction(async (tx) => {
          const change = new Change(tx, ctx, actor, directoryMembers);
          const result = await work(change);
          await change.flush();
          return result;
        });
      } catch (error) {
        if (error instanceof WriteConflictError && conflicts < MAX_CONFLICT_RETRIES) {
          conflicts += 1;
          continue;
        }
        if (!(error instanceof DirectoryLookupNeeded) || lookups >= MAX_DIRECTORY_ROUNDS) throw error;
        lookups += 1;
        directoryMembers.set(error.ref, await ctx.directory.resolveGroupMembers(error.ref));
      }
    }
  } catch (error) {
    if (isElevateError(error)) await auditRefusal(ctx, actor, attempt, error);
    throw error;
  }
}

/**
 * Every refused attempt leaves a trace (DESIGN rule 6), in its own transaction since the
 * attempt's was rolled back: one record per attempt up to a small burst per actor and kind each
 * minute, then only a count (src/core/refusal-summaries.ts), so no input writes unbounded audit.
 * A record found changed behind Elevate's back is also recorded as an integrity violation, and
 * the admins and the audit feed are alerted the first time.
 */
async function auditRefusal(ctx: EngineContext, actor: Actor, attempt: { action: string; subject: string }, error: Error & { code: string }): Promise<void> {
  const action = `${attempt.action}.refused`;
  const source = actor.kind === 'principal' ? actor.principalId : actor.kind === 'system' && actor.tokenId ? `token:${actor.tokenId}` : actor.kind;
  const details = { code: error.code, reason: error.message };
  const violation = error instanceof IntegrityViolation ? error.record : undefined;
  const admitted = ctx.refusals?.admit({ action, origin: actor.origin, source, subject: attempt.subject, details }, ctx.clock.now()) ?? true;
  if (!admitted && !violation) return;
  await ctx.store.transaction(async (tx) => {
    const refusal = new Change(tx, ctx, actor);
    if (admitted) refusal.audit(action, attempt.subject, details);
    if (violation) await noteIntegrityViolation(refusal, violation, attempt.action);
    await refusal.flush();
  });
}

/**
 * Records that a record was found changed behind Elevate's back, in `change`: audited as
 * `integrity.violation` and, the first time, told to the admins (in chat) and every audit feed.
 */
export async function noteIntegrityViolation(change: Change, record: { kind: 'request' | 'grant'; id: string }, attempted: string): Promise<void> {
  if (!(await change.tx.recordIntegrityViolation(record.kind, record.id, change.now))) return;
  change.audit('integrity.violation', record.id, { record: record.kind, attempted });
  const admins = await change.tx.findGroupByName(ADMINS_GROUP);
  const ids = admins ? await change.tx.listGroupMemberIds(admins.id) : [];
  const alert = card({
    title: `Integrity alert: ${record.kind} ${record.id} was changed outside Elevate`,
    summary: `The ${record.kind} ${record.id} no longer matches its signature: someone changed it in the database. Elevate refuses to act on it. Check the database's access and the audit log (elevate audit verify).`,
    status: { tone: 'revoked', text: 'Changed outside Elevate' },
  });
  await messageTo(change, ids, alert);
  for (const platform of change.ctx.config.feedPlatforms) {
    change.deliver({ platform, destination: { kind: 'feed' }, kind: 'message', cardKey: null, card: alert });
  }
}

/** Runs a read-only use case. */
export function runRead<T>(ctx: EngineContext, work: (tx: StoreTx, now: Instant) => Promise<T>): Promise<T> {
  return ctx.store.read((tx) => work(tx, ctx.clock.now()));
}
