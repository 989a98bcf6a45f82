import type { EngineContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { isAdmin } from '../groups.js';
import type { AccessRequest, Grant, Policy } from '../model.js';
import { loadRequestViews } from '../notify.js';
import type { Actor, StoreTx } from '../ports.js';
import type { RequestView } from '../request-cards.js';
import { verifyRequestSignature } from '../signature.js';
import { canSeeGrant, canSeeRequest, visibilityOf, type Visibility } from '../visibility.js';
import { keepDecidable, listRequestsSeen, type RequestListQuery } from './queries.js';

/**
 * A request as a page shows it: names resolved, its decisions (N of M), its grant, and what
 * this actor may do with it now. The core still checks every action when it is taken.
 */
export interface RequestViewItem {
  view: RequestView;
  /** Approve or deny now (pending, theirs to decide, not decided by them yet). */
  mayDecide: boolean;
  /** Withdraw it (pending; the requester or an admin). */
  mayCancel: boolean;
  /** The holder: extend, "I'm done" (its grant active). */
  mayExtend: boolean;
  /** Revoke its active grant (the policy's approvers and admins). */
  mayRevoke: boolean;
}

export interface RequestPage extends RequestViewItem {
  policy: Policy | null;
  signatureValid: boolean;
}

async function describe(tx: StoreTx, ctx: EngineContext, visibility: Visibility, admin: boolean, requests: AccessRequest[]): Promise<RequestViewItem[]> {
  const decidable = new Set((await keepDecidable(tx, visibility, admin, requests)).map((r) => r.id));
  const items: RequestViewItem[] = [];
  const views = await loadRequestViews(tx, ctx.config, requests);
  for (const [index, request] of requests.entries()) {
    const loaded = views[index]!;
    // A grant the actor may not see (possible for an extension's shared grant) is not shown.
    const view = loaded.grant && !canSeeGrant(visibility, loaded.grant) ? { ...loaded, grant: null } : loaded;
    const activeGrant: Grant | null = view.grant?.status === 'active' ? view.grant : null;
    const mine = request.requesterId === visibility.principalId;
    items.push({
      view,
      mayDecide: decidable.has(request.id),
      mayCancel: request.status === 'pending' && (mine || admin),
      mayExtend: activeGrant !== null && activeGrant.principalId === visibility.principalId,
      mayRevoke: activeGrant !== null && (admin || visibility.policyIds.has(activeGrant.policyId)),
    });
  }
  return items;
}

/** A page of requests (as `listRequests` selects them) with their views. */
export async function listRequestViews(ctx: EngineContext, actor: Actor, query: RequestListQuery): Promise<RequestViewItem[]> {
  const visibility = await visibilityOf(ctx, actor);
  const requests = await listRequestsSeen(ctx, actor, visibility, query);
  return ctx.store.read(async (tx) => {
    const admin = actor.kind === 'principal' && (await isAdmin(tx, actor.principalId));
    return describe(tx, ctx, visibility, admin, requests);
  });
}

/** One request the actor may see, with its view, its policy and whether its signature matches. */
export async function getRequestPage(ctx: EngineContext, actor: Actor, requestIdInput: string): Promise<RequestPage> {
  const requestId = requestIdInput.trim().toUpperCase();
  const visibility = await visibilityOf(ctx, actor);
  return ctx.store.read(async (tx) => {
    const request = await tx.getRequest(requestId);
    const admin = actor.kind === 'principal' && (await isAdmin(tx, actor.principalId));
    if (!request || !canSeeRequest(visibility, request, admin)) throw new NotFoundError(`request ${requestId} does not exist or is not yours to see`);
    const [item] = await describe(tx, ctx, visibility, admin, [request]);
    const policy = request.policyId ? (await tx.getPolicy(request.policyId)) ?? null : null;
    return { ...item!, policy, signatureValid: verifyRequestSignature(ctx.config.keys.signing, request) };
  });
}
