import type { Card } from './cards.js';
import type { HookEvent } from './hooks.js';
import type { Home } from './use-cases/home.js';
import type {
  AccessRequest, ApiToken, AuditRecord, Decision, Grant, Group, IdentityDetail, LinkMethod, Origin, Policy, Principal, RequestStatus,
  GrantStatus, ReviewCampaign, ReviewItem, Settings, BreakGlassReviewStatus, BreakGlassUse,
} from './model.js';
import type { Instant } from './time.js';

/** The time source; tests step a fake one. */
export interface Clock {
  now(): Instant;
}

/**
 * Reason and ticket patterns, matched by a linear-time engine (RE2: no backreferences or
 * lookaround), so no pattern and no input can make a request slow (DESIGN rule 11).
 */
export interface PatternEngine {
  /** Throws InvalidInputError (field `reasonPattern`) saying why the pattern cannot be used. */
  check(pattern: string): void;
  /** Whether the pattern occurs in the text (like RegExp.test). Throws as `check` for a bad pattern. */
  matches(pattern: string, text: string): boolean;
}

/** Fresh identifiers. Request and grant ids are short enough to type in chat. */
export interface IdSource {
  next(kind: 'request' | 'grant' | 'policy' | 'group' | 'principal' | 'delivery' | 'token' | 'review'): string;
  /** A one-time code people type on another platform: unpredictable, 8 characters of an unambiguous alphabet. */
  secretCode(): string;
}

/**
 * Resolves platform groups (Slack user groups, Teams/Entra groups) to member identities.
 * `ref` is platform-prefixed (`slack:S0123`). Throws NotFoundError for an unknown group and
 * NotSupportedError when no adapter serves the platform. Implementations cache.
 */
export interface Directory {
  resolveGroupMembers(ref: string): Promise<string[]>;
}

/** One person on call: their address as the provider knows it, and when their shift ends (null: it does not end). */
export interface OnCallShift {
  email: string;
  shiftEnd: Instant | null;
}

/** A provider's answer: who is on call, or why it could not say (unreachable, timed out, an error status, a bad answer). */
export type OnCallAnswer = { shifts: OnCallShift[] } | { error: string };

/**
 * Who is on call on an on-call schedule (src/core/on-call.ts: `pagerduty:<id>`,
 * `pagerduty:escalation-policy/<id>`, `opsgenie:<name or id>`) at `at`. Implementations talk to
 * the provider, bound each call by a timeout, cache answers for at most 60 s, and answer
 * `{ error }` (never throw) when the provider cannot answer, so a request falls back to people.
 */
export interface OnCallDirectory {
  whoIsOnCall(schedule: string, at: Instant): Promise<OnCallAnswer>;
}

/** Where a delivery goes, on one platform. */
export type Destination =
  | { kind: 'user'; identity: string }
  /** A channel named by a policy, e.g. `slack:C0123`. */
  | { kind: 'channel'; ref: string }
  | { kind: 'feed' };

/** Where a `hook.call` delivery goes: a provisioning hook of the server configuration, with its event. */
export interface HookDestination {
  kind: 'hook';
  hook: string;
  event: HookEvent;
}

/**
 * Where a `home.publish` delivery goes: the home view (Slack's App Home tab) of one person's
 * account, published again as it stands when sent. At most one waits per account (see
 * `StoreTx.queueHomePublishes`).
 */
export interface HomeDestination {
  kind: 'home';
  identity: string;
}

/**
 * What the dispatcher does with a delivery:
 * - `card.post`: post the current version of the card `cardKey` and remember the message;
 * - `card.refresh`: edit every message already posted for `cardKey` to its current version;
 * - `message`: post `card` once, no later edits;
 * - `thread.reply`: post `card` under the message of `cardKey` in the same destination;
 * - `hook.call`: call the provisioning hook of a `hook` destination with its event (platform `hook`);
 * - `home.publish`: publish the home of a `home` destination's account, read when it is sent.
 */
export type DeliveryKind = 'card.post' | 'card.refresh' | 'message' | 'thread.reply' | 'hook.call' | 'home.publish';

export interface DeliveryDraft {
  platform: string;
  /** A HookDestination exactly when `kind` is `hook.call`, a HomeDestination when `home.publish`. */
  destination: Destination | HookDestination | HomeDestination;
  kind: DeliveryKind;
  cardKey: string | null;
  card: Card | null;
  /** Not to be sent before this (a platform's Retry-After); due at once when absent. */
  notBefore?: Instant;
}

export interface Delivery extends DeliveryDraft {
  id: number;
  channelKey: string;
  attempts: number;
  createdAt: Instant;
  /** The HTTP request that caused it (for tracing logs), if any. */
  requestId?: string | null;
}

/** Where a delivery stands: waiting (or being retried), done, or given up for good. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery as an admin looks at it (`elevate delivery list`, `GET /api/v1/deliveries`). */
export interface DeliveryRecord {
  id: number;
  status: DeliveryStatus;
  platform: string;
  /** The ordering unit it went to, e.g. `slack:channel:slack:C0123`, `teams:user:teams:<id>`, `slack:feed`. */
  channel: string;
  kind: DeliveryKind;
  /** The card it posts or updates (`request:R-…:approver`), if any. */
  cardKey: string | null;
  attempts: number;
  /** The platform's answer to the last failed attempt, if any. */
  lastError: string | null;
  createdAt: Instant;
}

/** Deliveries newest first; `beforeId` continues a listing after its last row. */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  beforeId?: number;
  limit: number;
}

/** A posted message, as the platform knows it. */
export interface MessageRef {
  platform: string;
  channel: string;
  messageId: string;
}

/**
 * One chat platform, as the dispatcher uses it. Errors: throw `DeliveryError` (src/delivery)
 * with a retry-after hint for rate limits; any other error is retried with backoff.
 */
export interface ChatPort {
  readonly platform: string;
  post(destination: Destination, card: Card, options: { threadOf?: MessageRef }): Promise<MessageRef>;
  update(ref: MessageRef, card: Card): Promise<void>;
  /** Publishes `home` as the home view of the platform account `identity` (a platform that has one). */
  publishHome?(identity: string, home: Home): Promise<void>;
}

/** What one call of a provisioning hook did. Never thrown: every outcome is reported. */
export interface HookCallResult {
  ok: boolean;
  /** Retrying cannot help (an HTTP 4xx other than 408/425/429, an unknown hook). */
  permanent: boolean;
  /** The receiver's Retry-After, when it gave one. */
  retryAfterMs?: number;
  /** HTTP status of a webhook. */
  status?: number;
  /** Exit code of a command (null when it was killed). */
  exitCode?: number | null;
  /** A short description of the failure. */
  error?: string;
  /** The start of the response body or the command's stdout/stderr, for the audit. */
  output?: string;
}

/**
 * Runs provisioning hooks for the outbox dispatcher (deliveries of platform `hook`): a webhook
 * or a local command, as the server configuration defines `hook`. Reports, never throws.
 */
export interface HookPort {
  readonly platform: 'hook';
  call(hook: string, event: HookEvent): Promise<HookCallResult>;
}

/** Rows someone who does not see everything may see: their own, and those of policies they approve. */
export interface VisibleTo {
  principalId: string | null;
  policyIds: string[];
}

/** Requests newest first; `before` continues a listing after its last row (paging). */
export interface RequestFilter {
  status?: RequestStatus;
  requesterId?: string;
  policyIds?: string[];
  targetKey?: string;
  createdFrom?: Instant;
  createdTo?: Instant;
  visibleTo?: VisibleTo;
  before?: { createdAt: Instant; id: string };
  limit?: number;
}

/** Grants, latest start first; `before` continues a listing after its last row (paging). */
export interface GrantFilter {
  status?: GrantStatus;
  principalId?: string;
  policyIds?: string[];
  targetKey?: string;
  visibleTo?: VisibleTo;
  before?: { startsAt: Instant; id: string };
  limit?: number;
}

/** Break-glass uses, newest first; `from`/`to` bound the time of use (inclusive). */
export interface BreakGlassFilter {
  status?: BreakGlassReviewStatus;
  policyIds?: string[];
  principalId?: string;
  from?: Instant;
  to?: Instant;
  limit?: number;
}

export interface AuditFilter {
  from?: Instant;
  to?: Instant;
  actor?: string;
  subject?: string;
  action?: string;
  afterSeq?: number;
  limit?: number;
}

/**
 * Everything a use case reads and writes, inside one transaction. Writes become visible to
 * others only when the transaction commits; a thrown error rolls everything back.
 * `*IfPending` / `*IfActive` are compare-and-set: they return false when the row is no longer
 * in that state (someone else decided first) and change nothing then.
 */
export interface StoreTx {
  getSettings(): Promise<Settings>;
  putSettings(settings: Settings): Promise<void>;

  getPrincipal(id: string): Promise<Principal | undefined>;
  getPrincipals(ids: string[]): Promise<Principal[]>;
  findPrincipalByIdentity(identity: string): Promise<Principal | undefined>;
  /** Principals one of whose identities has this verified address (compared lower-cased). */
  findPrincipalsByEmail(email: string): Promise<Principal[]>;
  /**
   * A new principal with its first identity (none: `assignIdentity` moves one in next). Throws
   * (unique key) when the id or the identity is taken. `displayName` is the identity's.
   */
  insertPrincipal(
    principal: { id: string; displayName: string | null },
    identity: { identity: string; email: string | null; linkedBy: LinkMethod } | null,
    at: Instant,
  ): Promise<void>;
  /** Gives `identity` to `principalId`, after its other identities: added, or moved from its current principal. */
  assignIdentity(identity: string, principalId: string, linkedBy: LinkMethod, at: Instant): Promise<void>;
  /** Records what an identity's platform says now: the address it verified (null: none) and the name it shows. */
  setIdentityProfile(identity: string, profile: { displayName: string | null; email: string | null }, at: Instant): Promise<void>;
  /** The identities of these principals with how each was linked, in principal then identity order. */
  listIdentityDetails(principalIds: string[]): Promise<IdentityDetail[]>;
  /** Records that the account opened its home view (the first time only); false when it had before. */
  markHomeOpened(identity: string, at: Instant): Promise<boolean>;
  /** The accounts of these principals that have opened their home view. */
  listHomeIdentities(principalIds: string[]): Promise<string[]>;
  /**
   * Queues a `home.publish` for each account, unless one is already waiting that no dispatcher
   * has taken yet (it will read the home when sent, this change included): one waiting publish
   * per account, however many changes. One being sent may have read the home before this change
   * commits, so it does not count.
   */
  queueHomePublishes(identities: string[], at: Instant): Promise<void>;
  /** Principals that have at least one identity, by id, at most `limit`. */
  listPrincipals(limit: number): Promise<Principal[]>;
  /** Ids of the Elevate-kept groups this principal is a member of. */
  listGroupIdsOf(principalId: string): Promise<string[]>;

  insertLinkCode(code: LinkCode): Promise<void>;
  getLinkCode(codeHash: string): Promise<LinkCode | undefined>;
  /** Compare-and-set: marks an unused code used; false when it was used already. */
  useLinkCode(codeHash: string, at: Instant): Promise<boolean>;
  /** Link codes issued by an identity at or after `since`. */
  countLinkCodesIssued(identity: string, since: Instant): Promise<number>;
  recordFailedLinkAttempt(identity: string, at: Instant): Promise<void>;
  countFailedLinkAttempts(identity: string, since: Instant): Promise<number>;

  getGroup(id: string): Promise<Group | undefined>;
  findGroupByName(name: string): Promise<Group | undefined>;
  listGroups(): Promise<Group[]>;
  insertGroup(group: Group): Promise<void>;
  listGroupMemberIds(groupId: string): Promise<string[]>;
  /** Returns false when the member was already there. */
  addGroupMember(groupId: string, principalId: string, at: Instant): Promise<boolean>;
  /** Returns false when the member was not there. */
  removeGroupMember(groupId: string, principalId: string): Promise<boolean>;

  getPolicy(id: string): Promise<Policy | undefined>;
  findPolicyByTargetKey(targetKey: string): Promise<Policy | undefined>;
  listPolicies(): Promise<Policy[]>;
  insertPolicy(policy: Policy): Promise<void>;
  updatePolicy(policy: Policy): Promise<void>;
  deletePolicy(id: string): Promise<void>;

  getRequest(id: string): Promise<AccessRequest | undefined>;
  findPendingRequest(requesterId: string, targetKey: string): Promise<AccessRequest | undefined>;
  /** The requests that created or extended any of the grants, oldest first. */
  listRequestsOfGrants(grantIds: string[]): Promise<AccessRequest[]>;
  listRequests(filter: RequestFilter): Promise<AccessRequest[]>;
  insertRequest(request: AccessRequest): Promise<void>;
  /** Locks the pending request for this transaction (row lock on PostgreSQL); false if not pending. */
  lockPendingRequest(id: string, at: Instant): Promise<boolean>;
  updateRequestIfPending(request: AccessRequest): Promise<boolean>;
  /** Records a reminder at `at` while pending, compare-and-set on the previous reminder's time (null: the first); false if another won. */
  markRequestReminded(id: string, at: Instant, previous?: Instant | null): Promise<boolean>;
  listDecisions(requestId: string): Promise<Decision[]>;
  listDecisionsForRequests(requestIds: string[]): Promise<Decision[]>;
  insertDecision(decision: Decision): Promise<void>;

  getGrant(id: string): Promise<Grant | undefined>;
  findActiveGrant(principalId: string, targetKey: string): Promise<Grant | undefined>;
  listGrants(filter: GrantFilter): Promise<Grant[]>;
  insertGrant(grant: Grant): Promise<void>;
  updateGrantIfActive(grant: Grant): Promise<boolean>;
  /** Like `updateGrantIfActive`, while the stored grant is `scheduled`; false once it started or ended. */
  updateGrantIfScheduled(grant: Grant): Promise<boolean>;
  /**
   * Ends many grants as expired in one statement: each of `expired` is a grant read active, with
   * status `expired`, `endedAt` = `at`, no ender or comment, and its new signature. Each is a
   * compare-and-set: changed only while the stored grant is still active, with the same end, and
   * that end at or before `at` (a grant revoked or extended meanwhile is left alone). Returns the
   * ids changed, in no particular order.
   */
  expireGrantsIfDue(expired: Grant[], at: Instant): Promise<string[]>;
  /** Scheduled grants whose window starts at or before `at`, earliest first (the scheduler starts them). */
  listGrantsDueToStart(at: Instant, limit: number): Promise<Grant[]>;

  /** Pending requests whose deadline is at or before `at`, oldest first. */
  listRequestsPastDeadline(at: Instant, limit: number): Promise<AccessRequest[]>;
  /** Pending requests last reminded (never reminded: created) at or before `before` and reminded fewer than `maxReminders` times, oldest first. */
  listRequestsToRemind(before: Instant, limit: number, maxReminders?: number): Promise<AccessRequest[]>;
  /** Active grants whose end is at or before `at`. */
  listGrantsPastEnd(at: Instant, limit: number): Promise<Grant[]>;
  /** Active grants ending at or before `endsBefore` whose expiry notice was not sent. */
  listGrantsToWarn(endsBefore: Instant, limit: number): Promise<Grant[]>;
  markGrantWarned(id: string, at: Instant): Promise<boolean>;
  /**
   * Records provisioning hook progress on a grant, whatever its status: `started`/`ended` when
   * the start/end hook succeeded, `alerted` when admins were told its end hook keeps failing.
   * Sets the time once; false when it was already set (or the grant does not exist).
   */
  markGrantHook(id: string, mark: 'started' | 'ended' | 'alerted', at: Instant): Promise<boolean>;
  /**
   * Grants whose holder may hold the target now: active ones, and ended ones whose end hook has
   * not succeeded yet (the role may still be assigned outside Elevate). Latest start first.
   */
  listGrantsHeld(limit: number, filter?: { targetKey?: string; visibleTo?: VisibleTo }): Promise<Grant[]>;

  /** Notes that a record was found changed behind Elevate's back; false when it was noted before. */
  recordIntegrityViolation(kind: 'request' | 'grant', id: string, at: Instant): Promise<boolean>;
  /** Pending extension requests of any of the grants, oldest first (closed when their grant ends). */
  listPendingExtensions(grantIds: string[]): Promise<AccessRequest[]>;
  /** Grants an earlier version stored without a signature, at most `limit` (signed once at start). */
  listUnsignedGrants(limit: number): Promise<Grant[]>;
  /** Sets the signature of a grant that has none; false if it has one. */
  setGrantSignature(id: string, signature: string): Promise<boolean>;
  /**
   * Audit records in sequence order after `afterSeq`, at most `limit`, for the one-time keying of
   * an earlier version's unkeyed chain, and their rewrite with keyed MACs and hashes.
   */
  listAuditForKeying(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  rewriteAuditRecords(records: AuditRecord[]): Promise<void>;

  /** The last record of the chain, locked for this transaction; undefined when empty. */
  lockAuditHead(): Promise<{ seq: number; hash: string } | undefined>;
  insertAuditRecords(records: AuditRecord[]): Promise<void>;
  /**
   * Stores with `Store.auditChain` only: writes records unchained, in this order, as the
   * transaction's last statement (their place in the chain is decided by the chainer after
   * commit, in an order consistent with commits). Throws on stores that chain inline.
   */
  appendUnchainedAudit(records: UnchainedAudit[]): Promise<void>;

  /** Saves the latest version of each card (version 1 on first save, then +1). */
  saveCards(cards: Array<{ cardKey: string; card: Card }>): Promise<void>;
  insertDeliveries(deliveries: DeliveryDraft[], at: Instant): Promise<void>;
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]>;

  insertReviewCampaign(campaign: ReviewCampaign, items: ReviewItem[]): Promise<void>;
  getReviewCampaign(id: string): Promise<ReviewCampaign | undefined>;
  /** Campaigns newest first, at most `limit`. */
  listReviewCampaigns(limit: number): Promise<ReviewCampaign[]>;
  /** Open campaigns with something due at `at` (a reminder, the deadline, the close), oldest first. */
  listReviewCampaignsDue(at: Instant, limit: number): Promise<ReviewCampaign[]>;
  /** Closed campaigns of an `every` series whose next one is due at `at` and not started. */
  listReviewSeriesDue(at: Instant, limit: number): Promise<ReviewCampaign[]>;
  /** Compare-and-set on the marks: sets `mark` once; false when it was already set. */
  markReviewCampaign(id: string, mark: 'reminded' | 'escalated' | 'closed' | 'nextStarted', at: Instant): Promise<boolean>;
  listReviewItems(campaignId: string): Promise<ReviewItem[]>;
  getReviewItem(id: string): Promise<ReviewItem | undefined>;
  /** Compare-and-set: records the decision of an undecided item; false when it was decided already. */
  decideReviewItem(item: ReviewItem): Promise<boolean>;

  insertBreakGlassUse(use: BreakGlassUse): Promise<void>;
  getBreakGlassUse(grantId: string): Promise<BreakGlassUse | undefined>;
  /** Uses by a person on a policy after `since` (the per-day limit). */
  countBreakGlassUses(principalId: string, policyId: string, since: Instant): Promise<number>;
  /** Compare-and-set: records the review of a use still pending; false when it was reviewed already. */
  reviewBreakGlassUse(use: BreakGlassUse): Promise<boolean>;
  /** Pending uses last reminded (never reminded: used) at or before `before`, reminded fewer than `maxReminders` times, oldest first. */
  listBreakGlassToRemind(before: Instant, limit: number, maxReminders: number): Promise<BreakGlassUse[]>;
  /** Compare-and-set on the previous reminder's time (null: the first); false if another won or it was reviewed. */
  markBreakGlassReminded(grantId: string, at: Instant, previous: Instant | null): Promise<boolean>;
  /** Pending uses whose review deadline is at or before `at` and whose admins were not told yet. */
  listBreakGlassOverdue(at: Instant, limit: number): Promise<BreakGlassUse[]>;
  /** Compare-and-set: marks a pending use escalated once; false when it was already (or was reviewed). */
  markBreakGlassEscalated(grantId: string, at: Instant): Promise<boolean>;
  listBreakGlassUses(filter: BreakGlassFilter): Promise<BreakGlassUse[]>;

  getApiToken(id: string): Promise<ApiToken | undefined>;
  listApiTokens(): Promise<ApiToken[]>;
  insertApiToken(token: ApiToken): Promise<void>;
  /** Compare-and-set: false when the token was already revoked (or does not exist). */
  revokeApiToken(id: string, at: Instant): Promise<boolean>;
  /** Records when tokens were last used. */
  markApiTokensUsed(ids: string[], at: Instant): Promise<void>;
}

/** The store as seen from outside a transaction. */
/**
 * A transaction lost a race to another one (another instance): it wrote a unique key the other
 * committed first (two instances creating the same principal or group at once), or the database
 * broke a deadlock by aborting it. Nothing was written; running the same work again will see the
 * other transaction's rows. `runChange` does so.
 */
export class WriteConflictError extends Error {
  override readonly name = 'WriteConflictError';
}

/** An audit record keyed (its content MAC made) but not yet numbered and hashed into the chain. */
export type UnchainedAudit = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'keyId' | 'mac'> & { keyId: string; mac: string };

/**
 * A store whose writers append audit records unchained (PostgreSQL: so commits do not serialise on
 * the chain head) and whose chainer links them later. Absent on stores that chain inline (SQLite).
 */
export interface AuditChainStore {
  /**
   * A bound below which every unchained record is committed or never will be: waits (at most
   * `waitMs`) for the transactions that could still commit one below it. Undefined when nothing
   * is pending or they did not end in time (then a later pass links them).
   */
  settledBound(waitMs: number): Promise<number | undefined>;
  /**
   * In one transaction holding the chain head: the first `limit` unchained records below `bound`,
   * in commit order, made into chain records by `link` (given the head), stored and removed from
   * the unchained ones. How many were linked.
   */
  linkUnchained(bound: number, limit: number, link: (head: { seq: number; hash: string } | undefined, records: UnchainedAudit[]) => AuditRecord[]): Promise<number>;
  /** How many records are written but not yet chained. */
  countUnchained(): Promise<number>;
}

export interface Store {
  /** Present when audit records are chained after commit (see `AuditChainStore`). */
  readonly auditChain?: AuditChainStore;
  /** Runs `work` in one transaction. Rejects with `WriteConflictError` as described there. */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** A read-only view; reads outside a transaction see committed data. */
  read<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  listAudit(filter: AuditFilter): Promise<AuditRecord[]>;
  /** How many requests and grants are in each status (for `pam status`). */
  countByStatus(): Promise<{ requests: Partial<Record<RequestStatus, number>>; grants: Partial<Record<GrantStatus, number>> }>;
  /** The chain head without locking it (for verification). */
  getAuditHead(): Promise<{ seq: number; hash: string } | undefined>;
  /** Grants (any status) changed at or after `since`; all active grants when undefined. Feeds the check index. */
  listGrantsChangedSince(since: Instant | undefined): Promise<Grant[]>;
  /** Ids of every active grant (the check index's reconcile). */
  listActiveGrantIds(): Promise<string[]>;
  /** Identities added, moved or re-verified at or after `since` (the check index learns links). */
  listIdentitiesChangedSince(since: Instant): Promise<IdentityDetail[]>;
  /** Verified addresses that more than one principal has (such an address names nobody for sure). */
  listSharedEmails(): Promise<string[]>;
}

/**
 * A one-time code that proves one person holds two accounts: shown to `identity` on one platform,
 * typed on another. Only its hash is stored.
 */
export interface LinkCode {
  codeHash: string;
  principalId: string;
  /** The account it was shown to (`slack:U1`). */
  identity: string;
  /** `chat`: typed on another chat platform; `web`: opened in the web console after sign-in. */
  purpose: 'chat' | 'web';
  createdAt: Instant;
  expiresAt: Instant;
  usedAt: Instant | null;
}

/**
 * Remembers request fingerprints (Slack signatures) until they expire: `rememberOnce` is true the
 * first time a key is seen and false for a replay, across instances sharing the database.
 */
export interface ReplayGuard {
  rememberOnce(key: string, expiresAt: Instant, now: Instant): Promise<boolean>;
}

/**
 * How a web console session signed in, for decisions that need a fresh sign-in (step-up,
 * src/core/step-up.ts): taken from the ID token of the session's latest sign-in.
 */
export interface SignInFacts {
  /** `oidc`: the company's identity provider; `dev`: the local development form (never enough for step-up). */
  method: 'oidc' | 'dev';
  /** When the person last authenticated at the identity provider (the ID token's `auth_time`). */
  authTime: Instant;
  /** The ID token's `acr` (how they authenticated, e.g. with MFA); null when the provider sent none. */
  acr: string | null;
}

/**
 * Who acts, and from where. `operator` is the server CLI acting directly (break-glass).
 * `signIn`: only for a person acting from a web console session (origin `web`).
 */
export type Actor =
  /**
   * `identity`: the account that acted, qualified by its installation (`slack:U1@T0ACME`), or how
   * it was named (`cli:slack:U1` for the operator's `--as`, `token:TOK-…`); recorded on every audit record.
   */
  | { kind: 'principal'; principalId: string; origin: Origin; identity?: string; viaOperator?: boolean; tokenId?: string; signIn?: SignInFacts }
  | { kind: 'operator'; origin: 'cli' }
  /**
   * `tokenId`: a REST API token acting as nobody (a `checker`), recorded on its audit records.
   * `identity`: an account that is nobody to Elevate (a stranger refused), recorded as who tried.
   */
  | { kind: 'system'; origin: 'scheduler' | Origin; tokenId?: string; identity?: string };
