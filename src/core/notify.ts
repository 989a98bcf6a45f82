import { card as makeCard, type Card } from './cards.js';
import { DirectoryLookupNeeded, maxGrantSeconds, type Change, type EngineConfig } from './context.js';
import { approverIdsOf } from './groups.js';
import { longestGrant } from './grants.js';
import { addSeconds, toInstant, toMillis } from './time.js';
import type { AccessRequest, Decision, Grant, Group, Policy } from './model.js';
import type { DeliveryDraft, StoreTx } from './ports.js';
import { platformOf, principalLabel, principalLabels, PLATFORMS } from './principals.js';
import { approverCard, escalationCard, feedCard, MAX_REMINDERS, reminderCard, requestCardKeys, requesterCard, type RequestView } from './request-cards.js';
import { requestPageUrl, stepUpRequired } from './step-up.js';

const CHAT_PLATFORMS: readonly string[] = PLATFORMS;
/** ELEVATE_ESCALATE_AFTER's default: the escalation group joins from the third reminder. */
export const DEFAULT_ESCALATE_AFTER = 2;

/** Chat identities of principals, e.g. ['slack:U1', 'teams:29:abc']. */
async function chatIdentities(tx: StoreTx, principalIds: string[]): Promise<string[]> {
  const unique = [...new Set(principalIds)];
  if (unique.length === 0) return [];
  const principals = await tx.getPrincipals(unique);
  return principals.flatMap((p) => p.identities.filter((identity) => CHAT_PLATFORMS.includes(platformOf(identity))));
}

function toUser(identity: string, draft: Omit<DeliveryDraft, 'platform' | 'destination'>): DeliveryDraft {
  return { platform: platformOf(identity), destination: { kind: 'user', identity }, ...draft };
}

/** Posts the (always latest) card `cardKey` to each principal on each of their platforms. */
export async function postCardTo(change: Change, principalIds: string[], cardKey: string): Promise<void> {
  for (const identity of await chatIdentities(change.tx, principalIds)) {
    change.deliver(toUser(identity, { kind: 'card.post', cardKey, card: null }));
  }
}

/** Sends a one-off message (no later edits) to each principal. */
export async function messageTo(change: Change, principalIds: string[], message: Card): Promise<void> {
  for (const identity of await chatIdentities(change.tx, principalIds)) {
    change.deliver(toUser(identity, { kind: 'message', cardKey: null, card: message }));
  }
}

/** Edits every posted copy of `cardKey`, on every platform, to its latest version. */
export function refreshCard(change: Change, cardKey: string): void {
  change.deliver({ platform: '*', destination: { kind: 'feed' }, kind: 'card.refresh', cardKey, card: null });
}

/** Posts an admin event (policy, group, PAM changes) to the audit feed. */
export function announceInFeed(change: Change, title: string, summary: string): void {
  for (const platform of change.ctx.config.feedPlatforms) {
    change.deliver({
      platform, destination: { kind: 'feed' }, kind: 'message', cardKey: null,
      card: makeCard({ title, summary, status: { tone: 'info', text: summary } }),
    });
  }
}

export async function loadRequestView(tx: StoreTx, config: EngineConfig, request: AccessRequest, known?: Grant): Promise<RequestView> {
  return (await loadRequestViews(tx, config, [request], known ? [known] : []))[0]!;
}

/**
 * Views of many requests with a few reads for all of them (a page of a listing): decisions,
 * names, policies and groups are read once, not per request.
 */
export async function loadRequestViews(tx: StoreTx, config: EngineConfig, requests: AccessRequest[], known: readonly Grant[] = []): Promise<RequestView[]> {
  if (requests.length === 0) return [];
  const decisionsOf = new Map<string, Decision[]>();
  for (const decision of requests.length === 1 ? await tx.listDecisions(requests[0]!.id) : await tx.listDecisionsForRequests(requests.map((r) => r.id))) {
    decisionsOf.set(decision.requestId, [...(decisionsOf.get(decision.requestId) ?? []), decision]);
  }
  const grants = new Map<string, Grant>();
  // The caller may just have written the grants (an expiry pass ends thousands): no re-read then.
  const written = new Map(known.map((grant) => [grant.id, grant]));
  for (const grantId of new Set(requests.flatMap((r) => [r.grantId, r.extendsGrantId]).filter((id): id is string => id !== null && id !== undefined))) {
    const grant = written.get(grantId) ?? await tx.getGrant(grantId);
    if (grant) grants.set(grantId, grant);
  }
  const names = await principalLabels(tx, requests.flatMap((request) => [
    request.requesterId,
    ...(decisionsOf.get(request.id) ?? []).map((d) => d.approverId),
    ...(request.decidedBy ? [request.decidedBy] : []),
    ...(request.grantId && grants.get(request.grantId)?.endedBy ? [grants.get(request.grantId)!.endedBy!] : []),
  ]));
  const policies = new Map<string, Policy | undefined>();
  const groups = new Map<string, Group | undefined>();
  for (const policyId of new Set(requests.map((r) => r.policyId).filter((id): id is string => id !== null))) {
    const policy = await tx.getPolicy(policyId);
    policies.set(policyId, policy);
    if (policy?.approverGroupId && !groups.has(policy.approverGroupId)) groups.set(policy.approverGroupId, await tx.getGroup(policy.approverGroupId));
  }
  return requests.map((request) => {
    const decisions = decisionsOf.get(request.id) ?? [];
    const grant = request.grantId ? grants.get(request.grantId) ?? null : null;
    const extended = request.extendsGrantId ? grants.get(request.extendsGrantId) ?? null : null;
    const policy = request.policyId ? policies.get(request.policyId) : undefined;
    const group = policy?.approverGroupId ? groups.get(policy.approverGroupId) : undefined;
    return {
      request,
      requesterName: names.get(request.requesterId) ?? request.requesterId,
      approverGroupName: group?.name ?? (request.change ? 'admins' : config.defaultApproverGroup),
      decisions: decisions.map((d) => ({ ...d, approverName: names.get(d.approverId) ?? d.approverId })),
      deciderName: request.decidedBy ? names.get(request.decidedBy) ?? null : null,
      grant,
      grantEnderName: grant?.endedBy ? names.get(grant.endedBy) ?? null : null,
      stepUp: stepUpRequired(config, request, policy),
      url: requestPageUrl(config, request.id),
      extension: extended ? { grant: extended, url: requestPageUrl(config, extended.requestId), until: extensionEnd(config, request, extended, policy) } : null,
    };
  });
}

/**
 * The people whose home shows what happens to a request: its requester (their requests and
 * grants), whoever acts, and while it waits or as it closes, its approvers (what waits for their
 * decision). Best effort for approvers in a platform group not looked up by this change: their
 * home is not worth a directory round, nor failing the change when the directory is down.
 */
async function refreshHomesOf(change: Change, request: AccessRequest): Promise<void> {
  change.refreshHomes([request.requesterId, ...(change.principalId ? [change.principalId] : [])]);
  if (request.status !== 'pending' && request.decidedAt !== change.now) return;
  try {
    change.refreshHomes(await approverIdsOf(change, request));
  } catch (error) {
    if (!(error instanceof DirectoryLookupNeeded)) throw error;
  }
}

/**
 * Brings every copy of a request's cards up to date and adds `event` to its audit feed thread.
 * `first` posts the cards: to the approvers, the requester and the feed root.
 */
export async function publishRequest(
  change: Change,
  request: AccessRequest,
  event: string,
  first?: { approverIds: string[]; channel?: string | null },
  grant?: Grant,
): Promise<RequestView> {
  const view = await loadRequestView(change.tx, change.ctx.config, request, grant);
  await publishView(change, view, event, first);
  return view;
}

/** `publishRequest` with the request's view already loaded. */
async function publishView(change: Change, view: RequestView, event: string, first?: { approverIds: string[]; channel?: string | null }): Promise<void> {
  const request = view.request;
  await refreshHomesOf(change, request);
  const keys = requestCardKeys(request.id);
  change.saveCard(keys.approver, approverCard(view));
  change.saveCard(keys.requester, requesterCard(view));
  change.saveCard(keys.feed, feedCard(view));
  if (first) {
    await postCardTo(change, first.approverIds.filter((id) => id !== request.requesterId), keys.approver);
    if (first.channel) {
      change.deliver({ platform: platformOf(first.channel), destination: { kind: 'channel', ref: first.channel }, kind: 'card.post', cardKey: keys.approver, card: null });
    }
    await postCardTo(change, [request.requesterId], keys.requester);
    for (const platform of change.ctx.config.feedPlatforms) {
      change.deliver({ platform, destination: { kind: 'feed' }, kind: 'card.post', cardKey: keys.feed, card: null });
    }
  } else {
    refreshCard(change, keys.approver);
    refreshCard(change, keys.requester);
    refreshCard(change, keys.feed);
    // Reminder copies are kept current like every other copy: approvals so far while pending, the
    // outcome (no buttons) once decided. Only the latest reminder keeps saying it is the last.
    const sent = Math.min(request.remindersSent, MAX_REMINDERS);
    const lastSent = sent === MAX_REMINDERS || toMillis(addSeconds(change.now, change.ctx.config.reminderAfterSeconds)) >= toMillis(request.deadlineAt);
    for (let n = 1; n <= sent; n += 1) {
      const last = n === sent && lastSent;
      change.saveCard(keys.reminder(n), reminderCard(view, change.now, last));
      refreshCard(change, keys.reminder(n));
      if (n > (change.ctx.config.escalateAfterReminders ?? DEFAULT_ESCALATE_AFTER)) {
        change.saveCard(keys.escalation(n), escalationCard(view, change.now, last));
        refreshCard(change, keys.escalation(n));
      }
    }
  }
  const reply = makeCard({ title: event, summary: `${request.id}: ${event}` });
  for (const platform of change.ctx.config.feedPlatforms) {
    change.deliver({ platform, destination: { kind: 'feed' }, kind: 'thread.reply', cardKey: keys.feed, card: reply });
  }
}

/** Re-publishes the requests behind a grant (the first and any extensions) after it changed. */
export async function publishGrantChange(change: Change, grant: Grant, event: string): Promise<void> {
  await publishGrantViews(change, (await loadGrantViews(change, [grant])).get(grant.id) ?? [], event);
}

/**
 * The views of the requests behind each of `grants` (as just written), by grant id: a few queries
 * for all of them, so a pass ending thousands of grants does not read per grant.
 */
export async function loadGrantViews(change: Change, grants: Grant[]): Promise<Map<string, RequestView[]>> {
  const requests = await change.tx.listRequestsOfGrants(grants.map((grant) => grant.id));
  const views = new Map<string, RequestView[]>();
  for (const view of await loadRequestViews(change.tx, change.ctx.config, requests, grants)) {
    const grantId = view.request.grantId!;
    views.set(grantId, [...(views.get(grantId) ?? []), view]);
  }
  return views;
}

/** Brings the cards of a grant's requests up to date (views from `loadGrantViews`) and adds `event` to their feed threads. */
export async function publishGrantViews(change: Change, views: readonly RequestView[], event: string): Promise<void> {
  for (const view of views) await publishView(change, view, event);
}

export async function nameOf(change: Change, principalId: string): Promise<string> {
  return principalLabel(await change.tx.getPrincipal(principalId), principalId);
}

/** Where an extension request would end its grant if approved when asked: its end plus the duration, within the policy's longest grant from then. */
export function extensionEnd(config: EngineConfig, request: AccessRequest, grant: Grant, policy: Policy | undefined): string {
  const wanted = toMillis(grant.endsAt) + request.durationSeconds * 1000;
  if (!policy) return toInstant(wanted);
  const limit = toMillis(request.createdAt) + longestGrant(policy, maxGrantSeconds(config)).seconds * 1000;
  return toInstant(Math.max(Math.min(wanted, limit), toMillis(grant.endsAt)));
}
