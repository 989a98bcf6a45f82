import type { Card } from '../cards.js';
import type { EngineContext } from '../context.js';
import { loadRequestView } from '../notify.js';
import { approverCard, requesterCard } from '../request-cards.js';
import { NotAllowedError, NotFoundError } from '../errors.js';
import { isAdmin } from '../groups.js';
import type { AccessRequest, Decision, Grant, Group, GrantStatus, Policy, RequestStatus } from '../model.js';
import type { Actor, StoreTx } from '../ports.js';
import { findPrincipal, principalLabels } from '../principals.js';
import { verifyRequestSignature } from '../signature.js';
import { targetKey } from '../targets.js';
import type { Instant } from '../time.js';
import { canSeeGrant, canSeeRequest, visibilityOf, type Visibility } from '../visibility.js';

export interface RequestDetails {
  request: AccessRequest;
  decisions: Decision[];
  names: Record<string, string>;
  signatureValid: boolean;
}

/** One request with its decisions and whether its signature still matches its fields. */
export async function getRequest(ctx: EngineContext, actor: Actor, requestIdInput: string): Promise<RequestDetails> {
  const requestId = requestIdInput.trim().toUpperCase();
  const visibility = await visibilityOf(ctx, actor);
  return ctx.store.read(async (tx) => {
    const request = await tx.getRequest(requestId);
    const admin = actor.kind === 'principal' && (await isAdmin(tx, actor.principalId));
    if (!request || !canSeeRequest(visibility, request, admin)) throw new NotFoundError(`request ${requestId} does not exist or is not yours to see`);
    const decisions = await tx.listDecisions(request.id);
    const names = await principalLabels(tx, [request.requesterId, ...decisions.map((d) => d.approverId), ...(request.decidedBy ? [request.decidedBy] : [])]);
    return { request, decisions, names: Object.fromEntries(names), signatureValid: verifyRequestSignature(ctx.config.keys.signing, request) };
  });
}

export interface RequestListQuery {
  status?: RequestStatus;
  /** Another principal's requests: needs visibility of them. */
  requester?: string;
  /** Only the actor's own requests. */
  mine?: boolean;
  /** Only requests this actor may decide now (pending, not their own, not yet decided by them). */
  decidable?: boolean;
  /** `Scope\\Name` of the target. */
  target?: string;
  createdFrom?: Instant;
  createdTo?: Instant;
  /** Continue after this row of an earlier page (newest first). */
  before?: { createdAt: Instant; id: string };
  limit?: number;
}

export async function listRequests(ctx: EngineContext, actor: Actor, query: RequestListQuery = {}): Promise<AccessRequest[]> {
  return listRequestsSeen(ctx, actor, await visibilityOf(ctx, actor), query);
}

/** `listRequests` for a caller that has the actor's visibility already. */
export async function listRequestsSeen(ctx: EngineContext, actor: Actor, visibility: Visibility, query: RequestListQuery = {}): Promise<AccessRequest[]> {
  return ctx.store.read(async (tx) => {
    const requesterId = query.mine && visibility.principalId ? visibility.principalId
      : query.requester ? (await findPrincipal(tx, query.requester)).id : undefined;
    if (requesterId && !visibility.all && requesterId !== visibility.principalId && !query.decidable) {
      throw new NotAllowedError("only admins and auditors may list other people's requests");
    }
    const status = query.decidable ? 'pending' : query.status;
    const admin = actor.kind === 'principal' && (await isAdmin(tx, actor.principalId));
    const limit = query.limit ?? 100;
    const filter = {
      status, requesterId, targetKey: query.target ? targetKey(query.target) : undefined,
      createdFrom: query.createdFrom, createdTo: query.createdTo, limit,
      visibleTo: visibility.all ? undefined : { principalId: visibility.principalId, policyIds: [...visibility.policyIds] },
    };
    const keep = async (requests: AccessRequest[]) => {
      const visible = requests.filter((r) => canSeeRequest(visibility, r, admin));
      return query.decidable ? keepDecidable(tx, visibility, admin, visible) : visible;
    };
    // Rows the filter drops (the actor's own requests, ones they already decided) would leave a
    // page short: read on until it is full or there is nothing more.
    const kept: AccessRequest[] = [];
    let before = query.before;
    for (;;) {
      const batch = await tx.listRequests({ ...filter, before });
      kept.push(...(await keep(batch)));
      const last = batch[batch.length - 1];
      if (kept.length >= limit || batch.length < limit || !last) return kept.slice(0, limit);
      before = { createdAt: last.createdAt, id: last.id };
    }
  });
}

/**
 * Of requests the actor sees, those they may decide now: pending, not their own, not decided by
 * them yet, and theirs to decide (configuration changes: admins; others: the policy's approvers).
 */
export async function keepDecidable(tx: StoreTx, visibility: Visibility, admin: boolean, requests: AccessRequest[]): Promise<AccessRequest[]> {
  const me = visibility.principalId;
  const pending = requests.filter((r) => r.status === 'pending');
  const decided = new Set((await tx.listDecisionsForRequests(pending.map((r) => r.id)))
    .filter((d) => d.approverId === me).map((d) => d.requestId));
  return pending.filter((r) => r.requesterId !== me && !decided.has(r.id)
    && (r.change ? admin : r.policyId !== null && visibility.policyIds.has(r.policyId)));
}

export interface GrantListQuery {
  status?: GrantStatus;
  principal?: string;
  /** Only the actor's own grants. */
  mine?: boolean;
  target?: string;
  /** Continue after this row of an earlier page (latest start first). */
  before?: { startsAt: Instant; id: string };
  limit?: number;
}

export async function listGrants(ctx: EngineContext, actor: Actor, query: GrantListQuery = {}): Promise<Grant[]> {
  const visibility = await visibilityOf(ctx, actor);
  return ctx.store.read(async (tx) => {
    const principalId = query.mine && visibility.principalId ? visibility.principalId
      : query.principal ? (await findPrincipal(tx, query.principal)).id : undefined;
    if (principalId && !visibility.all && principalId !== visibility.principalId) {
      const grants = await tx.listGrants({ status: query.status, principalId, limit: query.limit ?? 100 });
      if (!grants.some((g) => visibility.policyIds.has(g.policyId))) {
        throw new NotAllowedError("only admins, auditors and the policy's approvers may list other people's grants");
      }
    }
    const grants = await tx.listGrants({
      status: query.status, principalId, targetKey: query.target ? targetKey(query.target) : undefined, before: query.before, limit: query.limit ?? 100,
      visibleTo: visibility.all ? undefined : { principalId: visibility.principalId, policyIds: [...visibility.policyIds] },
    });
    return grants.filter((g) => canSeeGrant(visibility, g));
  });
}

/** One grant the actor may see (its holder, its policy's approvers, admins, auditors). */
export async function getGrant(ctx: EngineContext, actor: Actor, grantIdInput: string): Promise<Grant> {
  const grantId = grantIdInput.trim().toUpperCase();
  const visibility = await visibilityOf(ctx, actor);
  const grant = await ctx.store.read((tx) => tx.getGrant(grantId));
  if (!grant || !canSeeGrant(visibility, grant)) throw new NotFoundError(`grant ${grantId} does not exist or is not yours to see`);
  return grant;
}

export async function listPolicies(ctx: EngineContext): Promise<Array<Policy & { approverGroupName: string; eligibleGroupName: string | null; breakGlassGroupName: string | null }>> {
  return ctx.store.read(async (tx) => {
    const groups = new Map((await tx.listGroups()).map((g) => [g.id, g.name]));
    return (await tx.listPolicies()).map((p) => ({
      ...p,
      approverGroupName: p.approverGroupId ? groups.get(p.approverGroupId) ?? '?' : ctx.config.defaultApproverGroup,
      eligibleGroupName: p.eligibleGroupId ? groups.get(p.eligibleGroupId) ?? '?' : null,
      breakGlassGroupName: p.breakGlassGroupId ? groups.get(p.breakGlassGroupId) ?? '?' : null,
    })).sort((a, b) => a.target.name.localeCompare(b.target.name));
  });
}

export async function getPolicy(ctx: EngineContext, target: string) {
  const policy = (await listPolicies(ctx)).find((p) => targetKey(p.target.name) === targetKey(target));
  if (!policy) throw new NotFoundError(`no policy for ${target}`);
  return policy;
}

export async function listGroups(ctx: EngineContext): Promise<Array<Group & { members: string[] }>> {
  return ctx.store.read(async (tx) => {
    const groups = await tx.listGroups();
    const result = [];
    for (const group of groups) {
      const memberIds = await tx.listGroupMemberIds(group.id);
      const principals = await tx.getPrincipals(memberIds);
      result.push({ ...group, members: principals.map((p) => p.identities[0] ?? p.id).sort() });
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  });
}

/** Requests with the card each is shown as to this actor (approver view when they may decide it). */
export async function listRequestCards(ctx: EngineContext, actor: Actor, query: RequestListQuery): Promise<Array<{ request: AccessRequest; card: Card }>> {
  const requests = await listRequests(ctx, actor, query);
  return ctx.store.read(async (tx) => {
    const cards = [];
    for (const request of requests) {
      const view = await loadRequestView(tx, ctx.config, request);
      const mine = actor.kind === 'principal' && request.requesterId === actor.principalId;
      cards.push({ request, card: mine || !query.decidable ? requesterCard(view) : approverCard(view) });
    }
    return cards;
  });
}

/** The chat identities of the people who may decide a request now (for user-specific card views). */
export async function deciderIdentities(ctx: EngineContext, requestIdInput: string): Promise<string[]> {
  const requestId = requestIdInput.trim().toUpperCase();
  const group = await ctx.store.read(async (tx) => {
    const request = await tx.getRequest(requestId);
    if (!request) return undefined;
    const policy = request.policyId ? await tx.getPolicy(request.policyId) : undefined;
    const groupId = request.change ? undefined : policy?.approverGroupId;
    return groupId ? tx.getGroup(groupId) : tx.findGroupByName(request.change ? 'admins' : ctx.config.defaultApproverGroup);
  });
  if (!group) return [];
  if (group.source === 'directory') return ctx.directory.resolveGroupMembers(group.directoryRef!).catch((): string[] => []);
  return ctx.store.read(async (tx) => (await tx.getPrincipals(await tx.listGroupMemberIds(group.id))).flatMap((p) => p.identities));
}
