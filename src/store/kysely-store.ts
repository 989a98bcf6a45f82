import type { Kysely } from 'kysely';
import type { Card } from '../core/cards.js';
import type {
  AccessRequest, ApiToken, AuditRecord, Decision, Grant, Group, IdentityDetail, LinkMethod, Policy, Principal, ReviewCampaign, ReviewItem, Settings, BreakGlassUse,
} from '../core/model.js';
import type {
  AuditChainStore, AuditFilter, BreakGlassFilter, Clock, UnchainedAudit, VisibleTo, Delivery, DeliveryDraft, DeliveryFilter, DeliveryRecord, GrantFilter, LinkCode, MessageRef, RequestFilter, Store, StoreTx,
} from '../core/ports.js';
import { WriteConflictError } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import * as apiTokens from './api-tokens.js';
import * as audit from './audit.js';
import { appendUnchained, PostgresAuditChain } from './audit-chain.js';
import { getCard, saveCards } from './cards.js';
import * as deliveryRecords from './deliveries.js';
import type { Database, Db } from './database.js';
import * as grants from './grants.js';
import * as groups from './groups.js';
import * as homes from './homes.js';
import * as leases from './leases.js';
import * as linkCodes from './link-codes.js';
import type { LeaseStore } from './leases.js';
import * as refs from './message-refs.js';
import * as outbox from './outbox.js';
import type { ClaimOptions, OutboxStore, StoredMessageRef } from './outbox.js';
import * as policies from './policies.js';
import * as principals from './principals.js';
import * as requests from './requests.js';
import * as reviews from './reviews.js';
import * as breakGlass from './break-glass.js';
import { memoizing } from './memoizing-tx.js';
import { getSettings, putSettings } from './settings.js';
import { WriteQueue } from './write-queue.js';

/** The SQL dialects the store runs on. Only `claimDeliveries` behaves differently per dialect. */
export type StoreDialect = 'sqlite' | 'postgres';

export interface KyselyStoreOptions {
  /**
   * Stamps the bookkeeping columns the ports give no time for (principals.created_at,
   * principal_identities.added_at, cards.updated_at, message_refs.created_at); left null without.
   */
  clock?: Clock;
}

/**
 * The `Store` port on Kysely (SQLite or PostgreSQL), plus what the outbox dispatcher and
 * `audit verify` need. Each area's queries live in their own module (principals.ts, …).
 *
 * On SQLite there is one connection: a transaction holds it until it ends, and `read` and the
 * methods outside `StoreTx` wait for it. So never call them from inside `transaction(work)`
 * (it would wait for itself); use the `tx` given to `work`.
 * Adding a dialect = a factory that opens `Kysely<Database>` for it (see sqlite.ts); only
 * `claimDeliveries` and the migration's generated key differ per dialect.
 */
export class KyselyStore implements Store, OutboxStore, LeaseStore {
  private readonly writes: WriteQueue | undefined;
  /** PostgreSQL chains audit records after commit (src/store/audit-chain.ts); SQLite's one writer chains inline. */
  readonly auditChain: AuditChainStore | undefined;

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: StoreDialect,
    private readonly options: KyselyStoreOptions = {},
  ) {
    this.writes = dialect === 'sqlite' ? new WriteQueue() : undefined;
    this.auditChain = dialect === 'postgres' ? new PostgresAuditChain(db) : undefined;
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    const run = () => this.db.transaction().execute((trx) => work(memoizing(new KyselyStoreTx(trx, this.options.clock, this.dialect))))
      .catch((error: unknown) => {
        throw isWriteConflict(error) ? new WriteConflictError(`concurrent write: ${(error as Error).message}`, { cause: error }) : error;
      });
    // SQLite has one writer: this process's transactions take turns (PostgreSQL's run side by side).
    return this.writes ? this.writes.run(run) : run();
  }

  read<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return work(new KyselyStoreTx(this.db, this.options.clock, this.dialect));
  }

  listAudit(filter: AuditFilter): Promise<AuditRecord[]> {
    return audit.listAudit(this.db, filter);
  }

  async listActiveGrantIds(): Promise<string[]> {
    return (await this.db.selectFrom('grants').select('id').where('status', '=', 'active').execute()).map((row) => row.id);
  }

  listGrantsChangedSince(since: Instant | undefined): Promise<Grant[]> {
    return grants.listGrantsChangedSince(this.db, since);
  }

  listIdentitiesChangedSince(since: Instant): Promise<IdentityDetail[]> {
    return principals.listIdentitiesChangedSince(this.db, since);
  }

  listSharedEmails(): Promise<string[]> {
    return principals.listSharedEmails(this.db);
  }

  /** The audit chain head, without locking; undefined when the log is empty. */
  async countByStatus() {
    const count = async (table: 'requests' | 'grants') => Object.fromEntries((await this.db.selectFrom(table)
      .select(['status', (eb) => eb.fn.countAll().as('n')]).groupBy('status').execute()).map((row) => [row.status, Number(row.n)]));
    return { requests: await count('requests'), grants: await count('grants') };
  }

  getAuditHead(): Promise<{ seq: number; hash: string } | undefined> {
    return audit.getAuditHead(this.db);
  }

  claimDeliveries(options: ClaimOptions): Promise<Delivery[]> {
    return this.dialect === 'postgres'
      ? outbox.claimDeliveriesPostgres(this.db, options)
      : outbox.claimDeliveriesSqlite(this.db, options);
  }

  completeDelivery(id: number, owner: string, at: Instant): Promise<boolean> {
    return outbox.completeDelivery(this.db, id, owner, at);
  }

  retryDelivery(id: number, owner: string, nextAttemptAt: Instant, error: string): Promise<boolean> {
    return outbox.retryDelivery(this.db, id, owner, nextAttemptAt, error);
  }

  failDelivery(id: number, owner: string, error: string): Promise<boolean> {
    return outbox.failDelivery(this.db, id, owner, error);
  }

  releaseDelivery(id: number, owner: string): Promise<boolean> {
    return outbox.releaseDelivery(this.db, id, owner);
  }

  paceChannel(channelKey: string, notBefore: Instant): Promise<void> {
    return outbox.paceChannel(this.db, channelKey, notBefore);
  }

  takeLease(name: string, owner: string, now: Instant, until: Instant): Promise<boolean> {
    return leases.takeLease(this.db, name, owner, now, until);
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return leases.releaseLease(this.db, name, owner);
  }

  renewLeases(owner: string, leaseUntil: Instant): Promise<number> {
    return outbox.renewLeases(this.db, owner, leaseUntil);
  }

  releaseLeases(owner: string): Promise<number> {
    return outbox.releaseLeases(this.db, owner);
  }

  getCard(cardKey: string): Promise<{ version: number; card: Card } | undefined> {
    return getCard(this.db, cardKey);
  }

  listMessageRefs(cardKey: string): Promise<StoredMessageRef[]> {
    return refs.listMessageRefs(this.db, cardKey);
  }

  findMessageRef(cardKey: string, platform: string, channelKey: string): Promise<StoredMessageRef | undefined> {
    return refs.findMessageRef(this.db, cardKey, platform, channelKey);
  }

  saveMessageRef(cardKey: string, channelKey: string, ref: MessageRef, version: number): Promise<void> {
    return refs.saveMessageRef(this.db, cardKey, channelKey, ref, version, this.options.clock?.now() ?? null);
  }

  setMessageRefVersion(cardKey: string, platform: string, channelKey: string, version: number): Promise<boolean> {
    return refs.setMessageRefVersion(this.db, cardKey, platform, channelKey, version);
  }

  outboxStats(now: Instant): Promise<{ pending: number; due: number; oldestCreatedAt: Instant | null }> {
    return outbox.outboxStats(this.db, now);
  }
}

// Errors that mean "another transaction got there first": PostgreSQL SQLSTATEs unique_violation,
// deadlock_detected and serialization_failure; SQLite's unique and primary key constraint codes.
const CONFLICT_CODES = new Set(['23505', '40P01', '40001', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

function isWriteConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONFLICT_CODES.has(code);
}

/** `StoreTx` on a transaction (or, for `read`, on the database itself). */
class KyselyStoreTx implements StoreTx {
  constructor(private readonly db: Db, private readonly clock: Clock | undefined, private readonly dialect: StoreDialect) {}

  private stamp(): Instant | null {
    return this.clock?.now() ?? null;
  }

  getSettings(): Promise<Settings> { return getSettings(this.db); }
  putSettings(settings: Settings): Promise<void> { return putSettings(this.db, settings); }

  getPrincipal(id: string): Promise<Principal | undefined> { return principals.getPrincipal(this.db, id); }
  getPrincipals(ids: string[]): Promise<Principal[]> { return principals.getPrincipals(this.db, ids); }
  findPrincipalByIdentity(identity: string): Promise<Principal | undefined> {
    return principals.findPrincipalByIdentity(this.db, identity);
  }
  findPrincipalsByEmail(email: string): Promise<Principal[]> {
    return principals.findPrincipalsByEmail(this.db, email);
  }
  insertPrincipal(
    principal: { id: string; displayName: string | null },
    identity: { identity: string; email: string | null; linkedBy: LinkMethod } | null,
    at: Instant,
  ): Promise<void> {
    return principals.insertPrincipal(this.db, principal, identity, at);
  }
  assignIdentity(identity: string, principalId: string, linkedBy: LinkMethod, at: Instant): Promise<void> {
    return principals.assignIdentity(this.db, identity, principalId, linkedBy, at);
  }
  setIdentityProfile(identity: string, profile: { displayName: string | null; email: string | null }, at: Instant): Promise<void> {
    return principals.setIdentityProfile(this.db, identity, profile, at);
  }
  listIdentityDetails(principalIds: string[]): Promise<IdentityDetail[]> { return principals.listIdentityDetails(this.db, principalIds); }
  markHomeOpened(identity: string, at: Instant): Promise<boolean> { return homes.markHomeOpened(this.db, identity, at); }
  listHomeIdentities(principalIds: string[]): Promise<string[]> { return homes.listHomeIdentities(this.db, principalIds); }
  queueHomePublishes(identities: string[], at: Instant): Promise<void> { return homes.queueHomePublishes(this.db, identities, at); }
  listGroupIdsOf(principalId: string): Promise<string[]> { return principals.listGroupIdsOf(this.db, principalId); }
  listPrincipals(limit: number): Promise<Principal[]> { return principals.listPrincipals(this.db, limit); }

  insertLinkCode(code: LinkCode): Promise<void> { return linkCodes.insertLinkCode(this.db, code); }
  getLinkCode(codeHash: string): Promise<LinkCode | undefined> { return linkCodes.getLinkCode(this.db, codeHash); }
  useLinkCode(codeHash: string, at: Instant): Promise<boolean> { return linkCodes.useLinkCode(this.db, codeHash, at); }
  countLinkCodesIssued(identity: string, since: Instant): Promise<number> { return linkCodes.countLinkCodesIssued(this.db, identity, since); }
  recordFailedLinkAttempt(identity: string, at: Instant): Promise<void> { return linkCodes.recordFailedLinkAttempt(this.db, identity, at); }
  countFailedLinkAttempts(identity: string, since: Instant): Promise<number> { return linkCodes.countFailedLinkAttempts(this.db, identity, since); }

  getGroup(id: string): Promise<Group | undefined> { return groups.getGroup(this.db, id); }
  findGroupByName(name: string): Promise<Group | undefined> { return groups.findGroupByName(this.db, name); }
  listGroups(): Promise<Group[]> { return groups.listGroups(this.db); }
  insertGroup(group: Group): Promise<void> { return groups.insertGroup(this.db, group); }
  listGroupMemberIds(groupId: string): Promise<string[]> { return groups.listGroupMemberIds(this.db, groupId); }
  addGroupMember(groupId: string, principalId: string, at: Instant): Promise<boolean> {
    return groups.addGroupMember(this.db, groupId, principalId, at);
  }
  removeGroupMember(groupId: string, principalId: string): Promise<boolean> {
    return groups.removeGroupMember(this.db, groupId, principalId);
  }

  getPolicy(id: string): Promise<Policy | undefined> { return policies.getPolicy(this.db, id); }
  findPolicyByTargetKey(targetKey: string): Promise<Policy | undefined> {
    return policies.findPolicyByTargetKey(this.db, targetKey);
  }
  listPolicies(): Promise<Policy[]> { return policies.listPolicies(this.db); }
  insertPolicy(policy: Policy): Promise<void> { return policies.insertPolicy(this.db, policy); }
  updatePolicy(policy: Policy): Promise<void> { return policies.updatePolicy(this.db, policy); }
  deletePolicy(id: string): Promise<void> { return policies.deletePolicy(this.db, id); }

  getRequest(id: string): Promise<AccessRequest | undefined> { return requests.getRequest(this.db, id); }
  findPendingRequest(requesterId: string, targetKey: string): Promise<AccessRequest | undefined> {
    return requests.findPendingRequest(this.db, requesterId, targetKey);
  }
  listRequests(filter: RequestFilter): Promise<AccessRequest[]> { return requests.listRequests(this.db, filter); }
  insertRequest(request: AccessRequest): Promise<void> { return requests.insertRequest(this.db, request); }
  lockPendingRequest(id: string, at: Instant): Promise<boolean> { return requests.lockPendingRequest(this.db, id, at); }
  listRequestsOfGrants(grantIds: string[]): Promise<AccessRequest[]> { return requests.listRequestsOfGrants(this.db, grantIds); }
  updateRequestIfPending(request: AccessRequest): Promise<boolean> {
    return requests.updateRequestIfPending(this.db, request);
  }
  markRequestReminded(id: string, at: Instant, previous: Instant | null = null): Promise<boolean> { return requests.markRequestReminded(this.db, id, at, previous); }
  listDecisions(requestId: string): Promise<Decision[]> { return requests.listDecisions(this.db, requestId); }
  listDecisionsForRequests(requestIds: string[]): Promise<Decision[]> {
    return requests.listDecisionsForRequests(this.db, requestIds);
  }
  insertDecision(decision: Decision): Promise<void> { return requests.insertDecision(this.db, decision); }

  getGrant(id: string): Promise<Grant | undefined> { return grants.getGrant(this.db, id); }
  findActiveGrant(principalId: string, targetKey: string): Promise<Grant | undefined> {
    return grants.findActiveGrant(this.db, principalId, targetKey);
  }
  listGrants(filter: GrantFilter): Promise<Grant[]> { return grants.listGrants(this.db, filter); }
  insertGrant(grant: Grant): Promise<void> { return grants.insertGrant(this.db, grant); }
  updateGrantIfActive(grant: Grant): Promise<boolean> { return grants.updateGrantIfActive(this.db, grant); }
  updateGrantIfScheduled(grant: Grant): Promise<boolean> { return grants.updateGrantIfScheduled(this.db, grant); }
  expireGrantsIfDue(expired: Grant[], at: Instant): Promise<string[]> { return grants.expireGrantsIfDue(this.db, expired, at); }
  listGrantsDueToStart(at: Instant, limit: number): Promise<Grant[]> { return grants.listGrantsDueToStart(this.db, at, limit); }

  listRequestsPastDeadline(at: Instant, limit: number): Promise<AccessRequest[]> {
    return requests.listRequestsPastDeadline(this.db, at, limit);
  }
  listRequestsToRemind(before: Instant, limit: number, maxReminders = 1_000_000): Promise<AccessRequest[]> {
    return requests.listRequestsToRemind(this.db, before, limit, maxReminders);
  }
  listGrantsPastEnd(at: Instant, limit: number): Promise<Grant[]> { return grants.listGrantsPastEnd(this.db, at, limit); }
  listGrantsToWarn(endsBefore: Instant, limit: number): Promise<Grant[]> {
    return grants.listGrantsToWarn(this.db, endsBefore, limit);
  }
  markGrantWarned(id: string, at: Instant): Promise<boolean> { return grants.markGrantWarned(this.db, id, at); }
  markGrantHook(id: string, mark: 'started' | 'ended' | 'alerted', at: Instant): Promise<boolean> {
    return grants.markGrantHook(this.db, id, mark, at);
  }
  listGrantsHeld(limit: number, filter?: { targetKey?: string; visibleTo?: VisibleTo }): Promise<Grant[]> { return grants.listGrantsHeld(this.db, limit, filter); }

  recordIntegrityViolation(kind: 'request' | 'grant', id: string, at: Instant): Promise<boolean> {
    return this.db.insertInto('integrity_violations').values({ record_kind: kind, record_id: id, detected_at: at })
      .onConflict((oc) => oc.columns(['record_kind', 'record_id']).doNothing()).executeTakeFirst()
      .then((result) => Number(result.numInsertedOrUpdatedRows ?? 0n) === 1);
  }
  listPendingExtensions(grantIds: string[]): Promise<AccessRequest[]> { return requests.listPendingExtensions(this.db, grantIds); }
  listUnsignedGrants(limit: number): Promise<Grant[]> { return grants.listUnsignedGrants(this.db, limit); }
  setGrantSignature(id: string, signature: string): Promise<boolean> { return grants.setGrantSignature(this.db, id, signature); }
  listAuditForKeying(afterSeq: number, limit: number): Promise<AuditRecord[]> { return audit.listAudit(this.db, { afterSeq, limit }); }
  rewriteAuditRecords(records: AuditRecord[]): Promise<void> { return audit.rewriteAuditRecords(this.db, records); }

  lockAuditHead(): Promise<{ seq: number; hash: string } | undefined> { return audit.lockAuditHead(this.db); }
  insertAuditRecords(records: AuditRecord[]): Promise<void> { return audit.insertAuditRecords(this.db, records); }
  appendUnchainedAudit(records: UnchainedAudit[]): Promise<void> {
    if (this.dialect !== 'postgres') return Promise.reject(new Error('SQLite chains audit records inline: use lockAuditHead and insertAuditRecords'));
    return appendUnchained(this.db, records);
  }

  saveCards(cards: Array<{ cardKey: string; card: Card }>): Promise<void> { return saveCards(this.db, cards, this.stamp()); }
  insertDeliveries(deliveries: DeliveryDraft[], at: Instant): Promise<void> {
    return outbox.insertDeliveries(this.db, deliveries, at);
  }
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> { return deliveryRecords.listDeliveries(this.db, filter); }

  insertReviewCampaign(campaign: ReviewCampaign, items: ReviewItem[]): Promise<void> { return reviews.insertReviewCampaign(this.db, campaign, items); }
  getReviewCampaign(id: string): Promise<ReviewCampaign | undefined> { return reviews.getReviewCampaign(this.db, id); }
  listReviewCampaigns(limit: number): Promise<ReviewCampaign[]> { return reviews.listReviewCampaigns(this.db, limit); }
  listReviewCampaignsDue(at: Instant, limit: number): Promise<ReviewCampaign[]> { return reviews.listReviewCampaignsDue(this.db, at, limit); }
  listReviewSeriesDue(at: Instant, limit: number): Promise<ReviewCampaign[]> { return reviews.listReviewSeriesDue(this.db, at, limit); }
  markReviewCampaign(id: string, mark: 'reminded' | 'escalated' | 'closed' | 'nextStarted', at: Instant): Promise<boolean> { return reviews.markReviewCampaign(this.db, id, mark, at); }
  listReviewItems(campaignId: string): Promise<ReviewItem[]> { return reviews.listReviewItems(this.db, campaignId); }
  getReviewItem(id: string): Promise<ReviewItem | undefined> { return reviews.getReviewItem(this.db, id); }
  decideReviewItem(item: ReviewItem): Promise<boolean> { return reviews.decideReviewItem(this.db, item); }

  insertBreakGlassUse(use: BreakGlassUse): Promise<void> { return breakGlass.insertBreakGlassUse(this.db, use); }
  getBreakGlassUse(grantId: string): Promise<BreakGlassUse | undefined> { return breakGlass.getBreakGlassUse(this.db, grantId); }
  countBreakGlassUses(principalId: string, policyId: string, since: Instant): Promise<number> { return breakGlass.countBreakGlassUses(this.db, principalId, policyId, since); }
  reviewBreakGlassUse(use: BreakGlassUse): Promise<boolean> { return breakGlass.reviewBreakGlassUse(this.db, use); }
  listBreakGlassToRemind(before: Instant, limit: number, maxReminders: number): Promise<BreakGlassUse[]> { return breakGlass.listBreakGlassToRemind(this.db, before, limit, maxReminders); }
  markBreakGlassReminded(grantId: string, at: Instant, previous: Instant | null): Promise<boolean> { return breakGlass.markBreakGlassReminded(this.db, grantId, at, previous); }
  listBreakGlassOverdue(at: Instant, limit: number): Promise<BreakGlassUse[]> { return breakGlass.listBreakGlassOverdue(this.db, at, limit); }
  markBreakGlassEscalated(grantId: string, at: Instant): Promise<boolean> { return breakGlass.markBreakGlassEscalated(this.db, grantId, at); }
  listBreakGlassUses(filter: BreakGlassFilter): Promise<BreakGlassUse[]> { return breakGlass.listBreakGlassUses(this.db, filter); }

  getApiToken(id: string): Promise<ApiToken | undefined> { return apiTokens.getApiToken(this.db, id); }
  listApiTokens(): Promise<ApiToken[]> { return apiTokens.listApiTokens(this.db); }
  insertApiToken(token: ApiToken): Promise<void> { return apiTokens.insertApiToken(this.db, token); }
  revokeApiToken(id: string, at: Instant): Promise<boolean> { return apiTokens.revokeApiToken(this.db, id, at); }
  markApiTokensUsed(ids: string[], at: Instant): Promise<void> { return apiTokens.markApiTokensUsed(this.db, ids, at); }
}
