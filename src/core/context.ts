import { hashAuditRecord, GENESIS_HASH } from './audit.js';
import type { Card } from './cards.js';
import { ConflictError, NotAllowedError } from './errors.js';
import type { Installation } from './installations.js';
import type { AuditRecord, Origin } from './model.js';
import { WriteConflictError, type Actor, type Clock, type DeliveryDraft, type Directory, type IdSource, type Store, type StoreTx } from './ports.js';
import type { StepUpSettings } from './step-up.js';
import type { Instant } from './time.js';

/** Start-up configuration the core needs (validated by src/config before it gets here). */
export interface EngineConfig {
  /** Server key for request signatures. */
  signingKey: string;
  requestTimeoutSeconds: number;
  defaultApproverGroup: string;
  expiryWarningSeconds: number;
  reminderAfterSeconds: number;
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
  /** Where the web console is (ELEVATE_PUBLIC_URL, no trailing slash): cards link to request pages there. */
  publicUrl?: string | null;
}

export const ADMINS_GROUP = 'admins';
export const AUDITORS_GROUP = 'auditors';

export interface EngineContext {
  store: Store;
  clock: Clock;
  ids: IdSource;
  directory: Directory;
  config: EngineConfig;
  observer?: EngineObserver;
  /** The Slack workspace and Teams tenants served, by platform; set by each adapter when it starts. */
  installations?: Map<string, Installation>;
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

  /** Saves the latest version of a card; deliveries of `cardKey` always send the latest. */
  saveCard(cardKey: string, card: Card): void {
    this.cards.set(cardKey, card);
  }

  async flush(): Promise<void> {
    if (this.cards.size > 0) await this.tx.saveCards([...this.cards].map(([cardKey, card]) => ({ cardKey, card })));
    // The audit head lock, held to commit, orders writers: taking it before the deliveries get
    // their ids keeps outbox ids in commit order, so a channel's messages go out as committed.
    const head = this.audits.length > 0 ? await this.tx.lockAuditHead() : undefined;
    if (this.deliveries.length > 0) await this.tx.insertDeliveries(this.deliveries, this.now);
    if (this.audits.length === 0) return;
    const actor = this.actor.kind === 'principal' ? this.actor.principalId : this.actor.kind;
    const actorIdentity = this.actor.kind === 'operator' ? null : this.actor.identity ?? null;
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    const records: AuditRecord[] = [];
    for (const entry of this.audits) {
      seq += 1;
      const details = {
        ...entry.details,
        ...(this.actor.kind === 'principal' && this.actor.viaOperator ? { viaOperator: true } : {}),
        ...(this.actor.kind !== 'operator' && this.actor.tokenId ? { token: this.actor.tokenId } : {}),
      };
      const unsigned = { seq, at: this.now, actor, actorIdentity, origin: this.origin, action: entry.action, subject: entry.subject, details, prevHash };
      const hash = hashAuditRecord(unsigned);
      records.push({ ...unsigned, hash });
      prevHash = hash;
    }
    await this.tx.insertAuditRecords(records);
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
    if (error instanceof NotAllowedError || error instanceof ConflictError) {
      await ctx.store.transaction(async (tx) => {
        const refusal = new Change(tx, ctx, actor);
        refusal.audit(`${attempt.action}.refused`, attempt.subject, { code: error.code, reason: error.message });
        await refusal.flush();
      });
    }
    throw error;
  }
}

/** Runs a read-only use case. */
export function runRead<T>(ctx: EngineContext, work: (tx: StoreTx, now: Instant) => Promise<T>): Promise<T> {
  return ctx.store.read((tx) => work(tx, ctx.clock.now()));
}
