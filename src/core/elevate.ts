import { AuthorizationIndex, type CheckResult } from './authorization-index.js';
import type { EngineContext } from './context.js';
import type { ConfigurationChange, Grant, PolicyInput, Settings } from './model.js';
import { WriteConflictError, type Actor, type AuditFilter } from './ports.js';
import { resolvePrincipal } from './principals.js';
import { authenticateApiToken } from './use-cases/authenticate-api-token.js';
import { recordApiUses, type ApiUse } from './use-cases/record-api-uses.js';
import { bootstrapAdmins } from './use-cases/bootstrap-admins.js';
import { createApiToken, type ApiTokenInput } from './use-cases/create-api-token.js';
import { listApiTokens } from './use-cases/list-api-tokens.js';
import { revokeApiToken } from './use-cases/revoke-api-token.js';
import { cancelRequest } from './use-cases/cancel-request.js';
import { changeConfiguration } from './use-cases/change-configuration.js';
import { requestAccess, type RequestInput } from './use-cases/create-request.js';
import { decideRequest, type DecisionInput, type DecisionOutcome } from './use-cases/decide-request.js';
import { secondsBetween } from './time.js';
import { relinquishGrant, revokeGrant, type EndGrantInput } from './use-cases/end-grant.js';
import { extendGrant, type ExtendInput } from './use-cases/extend-grant.js';
import { identifyPrincipal, type PlatformProfile } from './use-cases/identify-principal.js';
import { exportAuditLog, verifyAuditLog } from './use-cases/audit-log.js';
import {
  deciderIdentities, getGrant, getPolicy, getRequest, listGrants, listGroups, listPolicies, listRequestCards, listRequests, type GrantListQuery, type RequestListQuery,
} from './use-cases/queries.js';
import { effectiveHolders, type EffectiveHoldersQuery } from './use-cases/effective-holders.js';
import { recordHookAttempt, type HookAttemptReport } from './use-cases/record-hook-attempt.js';
import { hookCallWanted, type HookEvent } from './hooks.js';
import { runDueJobs } from './use-cases/run-due-jobs.js';
import { disablePam, enablePam, getPamStatus } from './use-cases/set-pam-enabled.js';
import { usageReport, type UsageQuery } from './use-cases/usage-report.js';
import { getRequestPage, listRequestViews } from './use-cases/request-views.js';
import { requestablePolicies } from './use-cases/requestable-policies.js';
import { recordWebEvent, type WebEvent } from './use-cases/record-web-event.js';
import { NotSupportedError } from './errors.js';
import { rolesOf } from './use-cases/roles.js';
import { usageTimeline } from './use-cases/usage-timeline.js';

/**
 * The one entry point adapters use: each method is one use case. Methods that change grants
 * put them in the check index before returning, so this instance honours a revocation at once.
 */
export class Elevate {
  readonly authorizations: AuthorizationIndex;

  constructor(readonly ctx: EngineContext) {
    this.authorizations = new AuthorizationIndex(ctx.store, ctx.clock);
  }

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

  /** The principal a reference names (`slack:U1`, `teams:…`, a linked email); platform identities are created on first sight. */
  async principalFor(ref: string) {
    // Another instance may create the same principal at the same moment: then it exists on a second try.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.store.transaction((tx) => resolvePrincipal(tx, this.ctx.ids, ref));
      } catch (error) {
        if (!(error instanceof WriteConflictError) || attempt >= 2) throw error;
      }
    }
  }

  /** A chat user as their platform describes them; links identities by verified email. */
  identify(identity: string, profile: PlatformProfile) {
    return identifyPrincipal(this.ctx, identity, profile);
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
  revokeGrant(actor: Actor, input: EndGrantInput) { return this.indexing(revokeGrant(this.ctx, actor, input), (g) => [g]); }
  relinquishGrant(actor: Actor, input: EndGrantInput) { return this.indexing(relinquishGrant(this.ctx, actor, input), (g) => [g]); }
  extendGrant(actor: Actor, input: ExtendInput) { return this.indexing(extendGrant(this.ctx, actor, input), (o) => [o.grant]); }
  /** Expired grants leave the index at its next refresh; until then their end time already denies them. */
  runDueJobs() { return runDueJobs(this.ctx); }
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
  removePolicy(actor: Actor, targetName: string) { return this.changeConfiguration(actor, { kind: 'policy.remove', targetName }); }
  createGroup(actor: Actor, name: string, options: { description?: string | null; directoryRef?: string | null } = {}) {
    return this.changeConfiguration(actor, { kind: 'group.create', name, description: options.description ?? null, directoryRef: options.directoryRef ?? null });
  }
  addGroupMember(actor: Actor, group: string, member: string) { return this.changeConfiguration(actor, { kind: 'group.addMember', group, member }); }
  removeGroupMember(actor: Actor, group: string, member: string) { return this.changeConfiguration(actor, { kind: 'group.removeMember', group, member }); }
  setProtectedConfiguration(actor: Actor, mode: Settings['protectedConfiguration']) {
    return this.changeConfiguration(actor, { kind: 'settings.protectedConfiguration', mode });
  }
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
  verifyAudit(actor: Actor) { return verifyAuditLog(this.ctx, actor); }
  exportAudit(actor: Actor, filter: Omit<AuditFilter, 'limit'>) { return exportAuditLog(this.ctx, actor, filter); }
  usageReport(actor: Actor, query: UsageQuery) { return usageReport(this.ctx, actor, query); }

  // Web console
  /** Requests with what a page shows of each (names, N of M, grant) and what the actor may do with them. */
  listRequestViews(actor: Actor, query: RequestListQuery) { return listRequestViews(this.ctx, actor, query); }
  /** One request's page: its view, its policy, its signature check; NotFoundError unless the actor may see it. */
  getRequestPage(actor: Actor, requestId: string) { return getRequestPage(this.ctx, actor, requestId); }
  /** The policies the actor is eligible to request under now. */
  requestablePolicies(actor: Actor) { return requestablePolicies(this.ctx, actor); }
  /** Whether the actor is an admin, an auditor, an approver (for what pages show; use cases still check). */
  roles(actor: Actor) { return rolesOf(this.ctx, actor); }
  /** Requests and decisions per day (or week) of a period, for admins and auditors. */
  usageTimeline(actor: Actor, query: UsageQuery) { return usageTimeline(this.ctx, actor, query); }
  /** Audits signing in and out of the web console and refusals that reach no use case. */
  recordWebEvent(event: WebEvent) { return recordWebEvent(this.ctx, event); }
  /**
   * Links the chat identity that asked for a one-time link code (`/elevate link web`) to the
   * person signed in to the web console (`actor`). Not available yet.
   */
  // lead: identity issue implements this
  async completeLink(_actor: Actor, _code: string): Promise<never> {
    throw new NotSupportedError('account linking from the web is not available yet');
  }

  // REST API tokens
  createApiToken(actor: Actor, input: ApiTokenInput) { return createApiToken(this.ctx, actor, input); }
  listApiTokens(actor: Actor) { return listApiTokens(this.ctx, actor); }
  revokeApiToken(actor: Actor, idOrName: string) { return revokeApiToken(this.ctx, actor, idOrName); }
  authenticateApiToken(secret: string) { return authenticateApiToken(this.ctx, secret); }
  recordApiUses(uses: ApiUse[]) { return recordApiUses(this.ctx, uses); }
}
