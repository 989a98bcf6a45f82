import { deliverReplyLater, type ReplyLater } from './use-cases/deliver-reply-later.js';
import { AuthorizationIndex, type CheckResult } from './authorization-index.js';
import { runChange, type EngineContext } from './context.js';
import type { AccessRequest, ConfigurationChange, Grant, PolicyInput, Settings } from './model.js';
import type { Actor, AuditFilter } from './ports.js';
import { resolvePrincipal } from './principals.js';
import { authenticateApiToken } from './use-cases/authenticate-api-token.js';
import { recordApiUses, type ApiUse } from './use-cases/record-api-uses.js';
import { bootstrapAdmins } from './use-cases/bootstrap-admins.js';
import { createApiToken, type ApiTokenInput } from './use-cases/create-api-token.js';
import { listApiTokens } from './use-cases/list-api-tokens.js';
import { listDeliveries, type DeliveryListQuery } from './use-cases/list-deliveries.js';
import { revokeApiToken } from './use-cases/revoke-api-token.js';
import { cancelRequest } from './use-cases/cancel-request.js';
import { changeConfiguration } from './use-cases/change-configuration.js';
import { applyConfiguration } from './use-cases/apply-configuration.js';
import { exportConfiguration } from './use-cases/export-configuration.js';
import { planConfiguration } from './use-cases/plan-configuration.js';
import type { ConfigurationDocument } from './configuration-document.js';
import type { AccessCase } from './access-tests.js';
import { runAccessTests } from './use-cases/run-access-tests.js';
import { startReview, type ReviewInput } from './use-cases/start-review.js';
import { decideReview, keepAllReviewed, type ReviewDecision } from './use-cases/decide-review.js';
import { reviewReport } from './use-cases/review-report.js';
import { requestAccess, type RequestInput } from './use-cases/create-request.js';
import { decideRequest, type DecisionInput, type DecisionOutcome } from './use-cases/decide-request.js';
import { secondsBetween } from './time.js';
import { relinquishGrant, revokeGrant, type EndGrantInput } from './use-cases/end-grant.js';
import { extendGrant, type ExtendInput } from './use-cases/extend-grant.js';
import { breakGlass, breakGlassTargets, previewBreakGlass, type BreakGlassInput } from './use-cases/break-glass.js';
import { listBreakGlassUses, reviewBreakGlass, type BreakGlassListQuery, type BreakGlassReviewInput } from './use-cases/review-break-glass.js';
import { identifyPrincipal, type IdentityClaim } from './use-cases/identify-principal.js';
import { RefusalRecorder, type RefusedParty } from './use-cases/record-refusal.js';
import { startLink } from './use-cases/start-link.js';
import { completeLink } from './use-cases/complete-link.js';
import { getPrincipalDetails, listPrincipals } from './use-cases/principal-details.js';
import { qualifiedIdentity, strangerReason, type Installation, type PlatformOrigin } from './installations.js';
import type { Refusal } from './refusal-summaries.js';
import { exportAuditLog, verifyAuditLog, type Anchor } from './use-cases/audit-log.js';
import { chainAudit } from './use-cases/chain-audit.js';
import { keyLegacyRecords } from './use-cases/key-audit-log.js';
import { publishAuditAnchor } from './use-cases/publish-audit-anchor.js';
import { recordKeyRotation } from './use-cases/record-key-rotation.js';
import { isIntact } from './integrity.js';
import {
  deciderIdentities, getGrant, getPolicy, getRequest, listGrants, listGroups, listPolicies, listRequestCards, listRequests, type GrantListQuery, type RequestListQuery,
} from './use-cases/queries.js';
import { effectiveHolders, type EffectiveHoldersQuery } from './use-cases/effective-holders.js';
import { recordHookAttempt, type HookAttemptReport } from './use-cases/record-hook-attempt.js';
import { hookCallWanted, type HookEvent } from './hooks.js';
import { runDueJobs } from './use-cases/run-due-jobs.js';
import { disablePam, enablePam, getPamStatus } from './use-cases/set-pam-enabled.js';
import { usageReport, type UsageQuery } from './use-cases/usage-report.js';
import { watchingDirectory } from './directory-watch.js';
import { noticeDirectoryGroup } from './use-cases/notice-directory-group.js';
import { extensionsOf, getRequestPage, listRequestViews } from './use-cases/request-views.js';
import { homeOf, homeOfAccount } from './use-cases/home.js';
import { openHome } from './use-cases/open-home.js';
import { requestablePolicies, whoToAsk } from './use-cases/requestable-policies.js';
import { recordWebEvent, type WebEvent } from './use-cases/record-web-event.js';
import { rolesOf } from './use-cases/roles.js';
import { usageTimeline } from './use-cases/usage-timeline.js';

/**
 * The one entry point adapters use: each method is one use case. Methods that change grants
 * put them in the check index before returning, so this instance honours a revocation at once.
 */
export class Elevate {
  readonly authorizations: AuthorizationIndex;
  /** Refused attempts of strangers and bad tokens: audited, floods summarised (`flushRefusals`). */
  readonly refusals: RefusalRecorder;

  constructor(readonly ctx: EngineContext) {
    // The check honours only grants whose signature matches: a row changed in the database gives nothing.
    this.authorizations = new AuthorizationIndex(ctx.store, ctx.clock, (grant) => isIntact(ctx, grant));
    this.refusals = new RefusalRecorder(ctx);
    ctx.installations ??= new Map();
    // A platform group that shrank below what its policies need is reported when it is read.
    ctx.directory = watchingDirectory(ctx.directory, (ref, members) => noticeDirectoryGroup(ctx, ref, members));
  }

  /** Pins the installation a platform adapter serves (learned at its start); requests from elsewhere are strangers. */
  pinInstallation(installation: Installation): void {
    this.ctx.installations!.set(installation.platform, installation);
  }

  /** The installation pinned for a platform, if its adapter started. */
  installation(platform: string): Installation | undefined {
    return this.ctx.installations!.get(platform);
  }

  /**
   * Whether a request from a platform comes from its pinned installation; if not, the attempt is
   * audited as a refusal (floods summarised) and the caller answers "not connected".
   */
  async admitOrigin(identity: string, origin: PlatformOrigin): Promise<boolean> {
    const reason = strangerReason(this.installation(origin.platform), origin);
    if (reason === null) return true;
    const claimed = qualifiedIdentity(identity, origin);
    await this.refusals.report({ identity: claimed, origin: origin.platform, source: claimed.slice(claimed.indexOf('@') + 1) || claimed },
      { action: 'identity.refused', subject: identity, details: { reason, ...Object.fromEntries(Object.entries(origin).filter(([k, v]) => k !== 'platform' && v)) } });
    return false;
  }

  /** Audits a refused attempt by someone who is nobody to Elevate (a stranger, a bad token); floods are summarised. */
  reportRefusal(party: RefusedParty, refusal: Omit<Refusal, 'source' | 'origin'>) { return this.refusals.report(party, refusal); }
  /** Audits the counts of refusals not recorded one by one (call every minute, and with `all` at shutdown). */
  flushRefusals(all = false) { return this.refusals.flush(all); }

  /** Puts the grants a use case changed into the check index before answering. */
  private async indexing<T>(result: Promise<T>, grantsOf: (value: T) => Array<Grant | null>): Promise<T> {
    const value = await result;
    await this.authorizations.applyChanged(grantsOf(value).filter((g): g is Grant => g !== null));
    return value;
  }

  /** Tells the observer about a final decision. */
  private async observed(result: Promise<DecisionOutcome>): Promise<DecisionOutcome> {
    const outcome = await result;
    const { request } = outcome;
    if ((outcome.outcome === 'approved' || outcome.outcome === 'denied') && request.decidedAt) {
      this.ctx.observer?.decided(outcome.outcome, secondsBetween(request.createdAt, request.decidedAt));
    }
    return outcome;
  }

  /**
   * The principal a reference names (`slack:U1`, `teams:…`, a verified address, a principal id), as
   * the operator names it (`--as`); platform identities are created (audited) on first sight.
   * Another instance creating the same one at the same moment is a write conflict: runChange retries.
   */
  principalFor(ref: string) {
    return runChange(this.ctx, { kind: 'operator', origin: 'cli' }, { action: 'principal.resolve', subject: ref.slice(0, 200) }, (change) => resolvePrincipal(change, ref));
  }

  /**
   * A chat (or web) user as their platform describes them: strangers are refused; a new identity
   * may join the principal of its verified address (see identifyPrincipal). Returns the actor to act as.
   */
  identify(claim: IdentityClaim) {
    return identifyPrincipal(this.ctx, claim, this.refusals);
  }

  /** Shows a one-time link code to a chat user (`chat`: to type on their other platform; `web`: to open signed in). */
  startLink(actor: Actor, purpose: 'chat' | 'web' = 'chat') { return startLink(this.ctx, actor, purpose); }
  /** The web console page that completes a `web` link code after sign-in. */
  webLinkUrl(code: string): string {
    return `${(this.ctx.config.publicUrl ?? '').replace(/\/+$/, '')}/link?code=${encodeURIComponent(code)}`;
  }
  /** Links the account typing a code with the account it was shown to; the check index learns it at once. */
  async completeLink(actor: Actor, code: string) {
    const done = await completeLink(this.ctx, actor, code);
    await this.learnIdentitiesOf([done.principal.id]);
    return done;
  }
  /** A principal with each identity's verified address and how it was linked (admins, auditors; anyone for themselves). */
  getPrincipal(actor: Actor, ref: string) { return getPrincipalDetails(this.ctx, actor, ref); }
  listPrincipals(actor: Actor, query?: { limit?: number }) { return listPrincipals(this.ctx, actor, query); }
  /** Admins link an account to a principal, or unlink one (protected configuration applies). */
  async linkPrincipal(actor: Actor, principal: string, identity: string) {
    const outcome = await this.changeConfiguration(actor, { kind: 'principal.link', principal, identity });
    await this.authorizations.refresh();
    return outcome;
  }
  async unlinkPrincipal(actor: Actor, identity: string) {
    const outcome = await this.changeConfiguration(actor, { kind: 'principal.unlink', identity });
    await this.authorizations.refresh();
    return outcome;
  }

  private async learnIdentitiesOf(principalIds: string[]): Promise<void> {
    await this.authorizations.learnIdentities(await this.ctx.store.read((tx) => tx.listIdentityDetails(principalIds)));
  }

  bootstrap(configured: { admins: string[]; auditors: string[] }) {
    return bootstrapAdmins(this.ctx, configured);
  }

  // Requests and grants
  requestAccess(actor: Actor, input: RequestInput) { return this.indexing(requestAccess(this.ctx, actor, input), (o) => [o.grant]); }
  approve(actor: Actor, input: Omit<DecisionInput, 'kind'>) {
    return this.indexing(this.observed(decideRequest(this.ctx, actor, { ...input, kind: 'approve' })), (o) => [o.grant]);
  }
  deny(actor: Actor, input: Omit<DecisionInput, 'kind'>) { return this.observed(decideRequest(this.ctx, actor, { ...input, kind: 'deny' })); }
  cancelRequest(actor: Actor, requestId: string) { return cancelRequest(this.ctx, actor, requestId); }
  /** A reply the platform throttled past its deadline, delivered later through the outbox. */
  deliverReplyLater(actor: Actor, reply: ReplyLater) { return deliverReplyLater(this.ctx, actor, reply); }
  revokeGrant(actor: Actor, input: EndGrantInput) { return this.indexing(revokeGrant(this.ctx, actor, input), (g) => [g]); }
  relinquishGrant(actor: Actor, input: EndGrantInput) { return this.indexing(relinquishGrant(this.ctx, actor, input), (g) => [g]); }
  /** Break-glass (src/core/break-glass.ts): what it would do (for the confirmation), doing it, and its review. */
  breakGlassTargets(actor: Actor) { return breakGlassTargets(this.ctx, actor); }
  previewBreakGlass(actor: Actor, target: string) { return previewBreakGlass(this.ctx, actor, target); }
  breakGlass(actor: Actor, input: BreakGlassInput) { return this.indexing(breakGlass(this.ctx, actor, input), (o) => [o.grant]); }
  reviewBreakGlass(actor: Actor, input: BreakGlassReviewInput) { return reviewBreakGlass(this.ctx, actor, input); }
  listBreakGlassUses(actor: Actor, query?: BreakGlassListQuery) { return listBreakGlassUses(this.ctx, actor, query); }
  extendGrant(actor: Actor, input: ExtendInput) { return this.indexing(extendGrant(this.ctx, actor, input), (o) => [o.grant]); }
  /** Expired grants leave the index at its next refresh; until then their end time already denies them. */
  /** Due time-driven work; windows that started are in this instance's check index when it returns. */
  async runDueJobs() {
    const done = await runDueJobs(this.ctx);
    if (done.grantsStarted > 0) await this.authorizations.refresh();
    return done;
  }
  /**
   * The outbox dispatcher reports each provisioning hook attempt: audited, and the verdict says
   * what follows (`done`, `retry`, `giveUp`). A start hook given up fails its grant.
   */
  /** Whether a queued hook call is still wanted (a start only while its grant is active). */
  hookCallWanted(event: HookEvent) { return hookCallWanted(this.ctx, event); }
  recordHookAttempt(report: HookAttemptReport) { return this.indexing(recordHookAttempt(this.ctx, report), (o) => [o.grant]); }

  /** The enforcement check, from memory. Call `authorizations.refresh()` periodically. */
  checkAuthorization(principal: string, target: string, at = this.ctx.clock.now()): CheckResult {
    return this.authorizations.check(principal, target, at);
  }

  // Configuration (protected configuration may turn these into requests)
  changeConfiguration(actor: Actor, change: ConfigurationChange) { return changeConfiguration(this.ctx, actor, change); }
  createPolicy(actor: Actor, policy: PolicyInput) { return this.changeConfiguration(actor, { kind: 'policy.create', policy }); }
  updatePolicy(actor: Actor, targetName: string, patch: Partial<Omit<PolicyInput, 'target'>>) {
    return this.changeConfiguration(actor, { kind: 'policy.update', targetName, patch });
  }
  /** `activeGrants`: end the policy's active grants now, or keep them to their end (required when it has any). */
  removePolicy(actor: Actor, targetName: string, activeGrants?: 'end' | 'keep') {
    return this.changeConfiguration(actor, { kind: 'policy.remove', targetName, ...(activeGrants ? { activeGrants } : {}) });
  }
  createGroup(actor: Actor, name: string, options: { description?: string | null; directoryRef?: string | null } = {}) {
    return this.changeConfiguration(actor, { kind: 'group.create', name, description: options.description ?? null, directoryRef: options.directoryRef ?? null });
  }
  addGroupMember(actor: Actor, group: string, member: string) { return this.changeConfiguration(actor, { kind: 'group.addMember', group, member }); }
  removeGroupMember(actor: Actor, group: string, member: string) { return this.changeConfiguration(actor, { kind: 'group.removeMember', group, member }); }
  setProtectedConfiguration(actor: Actor, mode: Settings['protectedConfiguration']) {
    return this.changeConfiguration(actor, { kind: 'settings.protectedConfiguration', mode });
  }
  /** Policies as code: the configuration as a document, what a document would change, and applying it as one change. */
  exportConfiguration(actor: Actor) { return exportConfiguration(this.ctx, actor); }
  planConfiguration(actor: Actor, doc: ConfigurationDocument, options?: { activeGrants?: 'end' | 'keep' }) { return planConfiguration(this.ctx, actor, doc, options); }
  async applyConfiguration(actor: Actor, doc: ConfigurationDocument, options?: { activeGrants?: 'end' | 'keep' }) {
    const outcome = await applyConfiguration(this.ctx, actor, doc, options);
    await this.authorizations.refresh();
    return outcome;
  }
  /** Access tests: what each case's request would meet, under the current configuration or a planned document. */
  runAccessTests(actor: Actor, cases: AccessCase[], planned?: ConfigurationDocument) { return runAccessTests(this.ctx, actor, cases, planned); }
  // Access reviews
  /** Opens an access review campaign (admins): reviewers get cards with Keep / Remove per member and Keep all. */
  startReview(actor: Actor, input: ReviewInput) { return startReview(this.ctx, actor, input); }
  /** A reviewer keeps or removes one member; removals are the normal audited group change. */
  async decideReview(actor: Actor, itemId: string, decision: ReviewDecision) {
    const decided = await decideReview(this.ctx, actor, itemId, decision);
    await this.authorizations.refresh();
    return decided;
  }
  /** Keeps every member of a reviewed group not decided yet (value `<campaign>:<group id>`). */
  keepAllReviewed(actor: Actor, value: string) { return keepAllReviewed(this.ctx, actor, value); }
  /** Campaigns with their decisions and who made them (admins and auditors). */
  reviewReport(actor: Actor, query?: { campaign?: string }) { return reviewReport(this.ctx, actor, query); }
  enablePam(actor: Actor) { return enablePam(this.ctx, actor); }
  /** Where a platform's audit feed goes when chosen in chat (undefined: not chosen). */
  feedConversation(platform: string) { return this.ctx.store.read(async (tx) => (await tx.getSettings()).feedConversations[platform]); }
  disablePam(actor: Actor) { return disablePam(this.ctx, actor); }

  // Reads
  pamStatus() { return getPamStatus(this.ctx); }
  getRequest(actor: Actor, requestId: string) { return getRequest(this.ctx, actor, requestId); }
  listRequests(actor: Actor, query?: RequestListQuery) { return listRequests(this.ctx, actor, query); }
  listRequestCards(actor: Actor, query: RequestListQuery) { return listRequestCards(this.ctx, actor, query); }
  deciderIdentities(requestId: string) { return deciderIdentities(this.ctx, requestId); }
  listGrants(actor: Actor, query?: GrantListQuery) { return listGrants(this.ctx, actor, query); }
  getGrant(actor: Actor, grantId: string) { return getGrant(this.ctx, actor, grantId); }
  /**
   * Who holds each target now, per target: holders of active grants (just-in-time holders that a
   * role group's standing membership does not show) and holders whose grant ended but whose end
   * hook has not succeeded yet, with the state of each provisioning hook. Only what the actor may
   * see (as for `listGrants`). Stable: the REST API serves it as is.
   */
  effectiveHolders(actor: Actor, query?: EffectiveHoldersQuery) { return effectiveHolders(this.ctx, actor, query); }
  listPolicies() { return listPolicies(this.ctx); }
  getPolicy(target: string) { return getPolicy(this.ctx, target); }
  listGroups() { return listGroups(this.ctx); }
  /**
   * Links audit records committed unchained (PostgreSQL) into the chain, waiting at most `waitMs`
   * for transactions in flight; how many. The chainer runs it; tests and tools call it to settle the chain.
   */
  chainAudit(waitMs = 10_000) { return chainAudit(this.ctx, waitMs); }
  /** Recomputes the keyed audit chain and checks the anchors given (published heads). */
  verifyAudit(actor: Actor, options?: { anchors?: Anchor[] }) { return verifyAuditLog(this.ctx, actor, options); }
  /** Publishes the audit head to the feeds unless it is still `lastPublishedSeq`; returns it for the operator's own stores. */
  publishAuditAnchor(lastPublishedSeq?: number) { return publishAuditAnchor(this.ctx, lastPublishedSeq); }
  /** At start: keys an earlier version's audit chain and signs its grants, once (audited). */
  keyLegacyRecords() { return keyLegacyRecords(this.ctx); }
  recordKeyRotation(actor: Actor, added: Array<{ kind: 'signing' | 'audit'; id: string }>) { return recordKeyRotation(this.ctx, actor, added); }
  exportAudit(actor: Actor, filter: Omit<AuditFilter, 'limit'>) { return exportAuditLog(this.ctx, actor, filter); }
  usageReport(actor: Actor, query: UsageQuery) { return usageReport(this.ctx, actor, query); }
  /** Deliveries newest first (e.g. those failed for good), for admins and auditors. */
  listDeliveries(actor: Actor, query?: DeliveryListQuery) { return listDeliveries(this.ctx, actor, query); }

  // Web console
  /** Requests with what a page shows of each (names, N of M, grant) and what the actor may do with them. */
  listRequestViews(actor: Actor, query: RequestListQuery) { return listRequestViews(this.ctx, actor, query); }
  /** One request's page: its view, its policy, its signature check; NotFoundError unless the actor may see it. */
  getRequestPage(actor: Actor, requestId: string) { return getRequestPage(this.ctx, actor, requestId); }
  /** The policies the actor is eligible to request under now. */
  requestablePolicies(actor: Actor) { return requestablePolicies(this.ctx, actor); }
  /** What the extension requests among `requests` ask (for lists and the API). */
  extensionsOf(requests: AccessRequest[]) { return extensionsOf(this.ctx, requests); }
  /** What waits for this person, their pending requests and active access (Slack App Home, Teams home card). */
  home(actor: Actor) { return homeOf(this.ctx, actor); }
  /** The actor's home, as they open it on the account `identity`: from now on it is published again when it changes. */
  openHome(actor: Actor, identity: string) { return openHome(this.ctx, actor, identity); }
  /** The home of the person behind the account `identity` now (the outbox publishing it); undefined for no one. */
  homeOfAccount(identity: string) { return homeOfAccount(this.ctx, identity); }
  /** For someone who may request nothing: who to ask. */
  whoToAsk() { return whoToAsk(this.ctx); }
  /** Whether the actor is an admin, an auditor, an approver (for what pages show; use cases still check). */
  roles(actor: Actor) { return rolesOf(this.ctx, actor); }
  /** Requests and decisions per day (or week) of a period, for admins and auditors. */
  usageTimeline(actor: Actor, query: UsageQuery) { return usageTimeline(this.ctx, actor, query); }
  /** Audits signing in and out of the web console and refusals that reach no use case. */
  recordWebEvent(event: WebEvent) { return recordWebEvent(this.ctx, event); }

  // REST API tokens
  createApiToken(actor: Actor, input: ApiTokenInput) { return createApiToken(this.ctx, actor, input); }
  listApiTokens(actor: Actor) { return listApiTokens(this.ctx, actor); }
  revokeApiToken(actor: Actor, idOrName: string) { return revokeApiToken(this.ctx, actor, idOrName); }
  authenticateApiToken(secret: string) { return authenticateApiToken(this.ctx, secret); }
  recordApiUses(uses: ApiUse[]) { return recordApiUses(this.ctx, uses); }
}
