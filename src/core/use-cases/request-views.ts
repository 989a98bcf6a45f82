import type { EngineContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { isAdmin } from '../groups.js';
import type { AccessRequest, BreakGlassUse, Grant, Policy } from '../model.js';
import { loadRequestViews } from '../notify.js';
import type { Actor, StoreTx } from '../ports.js';
import { extensionText, type RequestView } from '../request-cards.js';
import { plainTimes } from '../time-text.js';
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
  /** The break-glass use behind a break-glass request's grant, with its review state; null otherwise. */
  breakGlassUse: BreakGlassUse | null;
  /** Who reviewed that use (their display name, email or first identity); null until reviewed. */
  breakGlassReviewerName: string | null;
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
    const breakGlassUse = request.breakGlass && request.grantId ? (await tx.getBreakGlassUse(request.grantId)) ?? null : null;
    const reviewer = breakGlassUse?.reviewedBy ? await tx.getPrincipal(breakGlassUse.reviewedBy) : undefined;
    const breakGlassReviewerName = reviewer ? reviewer.displayName ?? reviewer.email ?? reviewer.identities[0] ?? reviewer.id : null;
    return { ...item!, policy, breakGlassUse, breakGlassReviewerName, signatureValid: verifyRequestSignature(ctx.config.keys.signing, request) };
  });
}

/** What an extension request asks, for lists and the API: plain text (UTC times), the grant and its page. */
export interface ExtensionSummary {
  grantId: string;
  /** The grant's end as it stands now. */
  grantEndsAt: string;
  durationSeconds: number;
  /** The end approving it brings (within the policy's longest grant from when it was asked); once approved, the grant's end. */
  until: string;
  /** "extend G-… (until T) by 2h → until T′". */
  text: string;
  /** The grant's request page in the web console (null without ELEVATE_PUBLIC_URL). */
  grantUrl: string | null;
}

/** The extension summaries of those of `requests` that extend a grant, by request id (read in one transaction). */
export async function extensionsOf(ctx: EngineContext, requests: AccessRequest[]): Promise<Map<string, ExtensionSummary>> {
  const extending = requests.filter((r) => r.extendsGrantId);
  if (extending.length === 0) return new Map();
  const views = await ctx.store.read((tx) => loadRequestViews(tx, ctx.config, extending));
  return new Map(views.filter((v) => v.extension).map((v) => [v.request.id, {
    grantId: v.extension!.grant.id,
    grantEndsAt: v.extension!.grant.endsAt,
    durationSeconds: v.request.durationSeconds,
    until: v.request.status === 'approved' ? v.extension!.grant.endsAt : v.extension!.until,
    text: plainTimes(extensionText(v)),
    grantUrl: v.extension!.url,
  }]));
}
