import { card, type Card, type CardAction, type CardFact, type Tone } from './cards.js';
import { describeChange } from './configuration-changes-text.js';
import { formatDuration } from './duration.js';
import type { AccessRequest, Decision, Grant } from './model.js';
import { describeOnCall } from './on-call.js';
import { describeTargetType } from './targets.js';
import { windowOf } from './windows.js';
import { at, relativeTime, spanText } from './time-text.js';
import { secondsBetween } from './time.js';

/** Everything needed to draw a request, names already resolved. */
export interface RequestView {
  request: AccessRequest;
  requesterName: string;
  approverGroupName: string;
  decisions: Array<Decision & { approverName: string }>;
  deciderName: string | null;
  grant: Grant | null;
  grantEnderName: string | null;
  /** Approving needs a fresh sign-in in the browser (src/core/step-up.ts). */
  stepUp: boolean;
  /** The request's page in the web console; null when ELEVATE_PUBLIC_URL is not set. */
  url: string | null;
  /** For an extension request: the grant it extends (as it stands now) and that grant's page; null otherwise. */
  extension: { grant: Grant; url: string | null; until: string } | null;
}

export const requestCardKeys = (requestId: string) => ({
  approver: `request:${requestId}:approver`,
  requester: `request:${requestId}:requester`,
  feed: `request:${requestId}:feed`,
  /** The n-th reminder (from 1): a message of its own, so each reminder notifies, kept current like every copy. */
  reminder: (n: number) => `request:${requestId}:reminder:${n}`,
  /** The n-th reminder to the policy's escalation group (read-only: they watch, approvers decide). */
  escalation: (n: number) => `request:${requestId}:escalation:${n}`,
});

/**
 * At most this many reminders per request: each is a message kept current until the request is
 * decided, so their number is bounded (24: hourly for the default 24 h timeout).
 */
export const MAX_REMINDERS = 24;

function facts(view: RequestView): CardFact[] {
  const { request } = view;
  const list: CardFact[] = [
    { label: 'Requester', value: view.requesterName },
    { label: 'Target', value: `${request.target.name} (${describeTargetType(request.target.type)})` },
  ];
  if (request.change) list.push({ label: 'Change', value: describeChange(request.change) });
  else if (view.extension) list.push({ label: 'Extension', value: extensionText(view) });
  else list.push({ label: 'Duration', value: formatDuration(request.durationSeconds) });
  const window = windowOf(request);
  if (window) list.push({ label: 'Window', value: windowText(window) });
  if (request.breakGlass) list.push({ label: 'Break-glass', value: 'access at once without approval; the approvers review it afterwards' });
  list.push({ label: 'Reason', value: request.reason ?? '—' });
  if (request.ticket) list.push({ label: 'Ticket', value: request.ticket });
  list.push({ label: 'Requested at', value: at(request.createdAt) });
  if (!request.breakGlass) {
    list.push({ label: 'Decide by', value: at(request.deadlineAt) });
    list.push({ label: 'Approvals', value: approvalsText(view) });
  }
  if (view.stepUp) list.push({ label: 'Step-up', value: 'approving needs a fresh sign-in in the browser' });
  if (request.onCall) list.push({ label: 'On call', value: describeOnCall(request.onCall) });
  return list;
}

/** "2 Dec 22:00 → 3 Dec 02:00" in each reader's time zone: a scheduled window, start to planned end. */
export function windowText(window: { startsAt: string; endsAt: string }): string {
  return `${at(window.startsAt)} → ${at(window.endsAt)}`;
}

/**
 * What an extension request asks: "extend G-… (until T) by 2h → until T′". T′ is the grant's end
 * moved by the duration, no further than the policy's longest grant from when it was asked
 * (approving it later may allow a little more, never less).
 * Once approved, the grant's end is T′ as applied.
 */
export function extensionText(view: Pick<RequestView, 'request' | 'extension'>): string {
  const grant = view.extension!.grant;
  const by = formatDuration(view.request.durationSeconds);
  if (view.request.status === 'approved') return `extended ${grant.id} by ${by} → until ${at(grant.endsAt)}`;
  return `extend ${grant.id} (until ${at(grant.endsAt)}) by ${by} → until ${at(view.extension!.until)}`;
}

/** "1 of 2 — waiting for 1 more from Security Approvers". */
export function approvalsText(view: RequestView): string {
  const approvals = view.decisions.filter((d) => d.kind === 'approve');
  const given = `${approvals.length} of ${view.request.approvalsRequired}`;
  const by = approvals.length ? ` (${approvals.map((d) => d.approverName).join(', ')})` : '';
  if (view.request.status !== 'pending') return `${given}${by}`;
  const missing = view.request.approvalsRequired - approvals.length;
  return `${given}${by} — waiting for ${missing} more from ${view.approverGroupName}`;
}

export function requestStatus(view: RequestView): { tone: Tone; text: string } {
  const { request, grant } = view;
  const comment = request.decisionComment ? `: “${request.decisionComment}”` : '';
  const by = view.deciderName ?? 'Elevate';
  switch (request.status) {
    case 'pending':
      return { tone: 'pending', text: `Waiting for approval until ${at(request.deadlineAt)}` };
    case 'denied':
      return { tone: 'denied', text: `Denied by ${by} at ${at(request.decidedAt!)}${comment}` };
    case 'expired':
      return { tone: 'expired', text: `Expired undecided at ${at(request.decidedAt!)}` };
    case 'cancelled':
      return { tone: 'cancelled', text: `Cancelled by ${by} at ${at(request.decidedAt!)}` };
    case 'approved': {
      const onCall = request.onCall?.outcome === 'on call' && !view.deciderName
        ? ` (on call on ${request.onCall.schedule}${request.onCall.shiftEnd ? ` until ${at(request.onCall.shiftEnd)}` : ''})` : '';
      const approved = request.breakGlass
        ? `Break-glass at ${at(request.decidedAt!)}, without approval`
        : view.deciderName
          ? `Approved by ${view.deciderName} at ${at(request.decidedAt!)}${comment}`
          : `Approved automatically${onCall} at ${at(request.decidedAt!)}`;
      if (request.change) return { tone: 'approved', text: `${approved}; change applied` };
      if (!grant) return { tone: 'approved', text: approved };
      return { tone: grantTone(grant), text: `${approved}. ${grantText(grant, view.grantEnderName)}` };
    }
  }
}

function grantTone(grant: Grant): Tone {
  return grant.status === 'active' || grant.status === 'scheduled' ? 'approved' : grant.status === 'revoked' || grant.status === 'failed' ? 'revoked' : 'expired';
}

function grantText(grant: Grant, enderName: string | null): string {
  const comment = grant.endComment ? `: “${grant.endComment}”` : '';
  switch (grant.status) {
    case 'active': return `Access active until ${at(grant.endsAt)} (grant ${grant.id})`;
    case 'scheduled': return `Access scheduled from ${at(grant.startsAt)} until ${at(grant.endsAt)} (grant ${grant.id})`;
    case 'expired': return `Access expired at ${at(grant.endedAt!)}`;
    case 'revoked': return `Access revoked by ${enderName ?? 'Elevate'} at ${at(grant.endedAt!)}${comment}`;
    case 'relinquished': return `Access given up by its holder at ${at(grant.endedAt!)}${comment}`;
    case 'failed': return `Access failed at ${at(grant.endedAt!)}: it could not be provisioned${comment}`;
  }
}

function kind(request: AccessRequest): string {
  return request.change ? 'configuration change' : request.extendsGrantId ? 'extension request' : request.breakGlass ? 'break-glass request' : 'access request';
}

function title(request: AccessRequest): string {
  const words = kind(request);
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} ${request.id}`;
}

/** "Open in browser": every card links to its request's page when the console's address is known. */
function pageLink(view: RequestView): CardAction[] {
  const links: CardAction[] = view.url ? [{ verb: 'link.open', label: 'Open in browser', value: view.request.id, url: view.url }] : [];
  if (view.extension?.url) links.push({ verb: 'link.open', label: `Open grant ${view.extension.grant.id}`, value: view.extension.grant.id, url: view.extension.url });
  return links;
}

/**
 * The decision buttons. A step-up approval cannot be proven by a chat click, so its card links
 * to the request's page ("Approve in browser") instead of Approve; Deny stays in chat.
 */
function decisionActions(view: RequestView): CardAction[] {
  const id = view.request.id;
  const deny: CardAction = { verb: 'request.deny', label: 'Deny', value: id, style: 'danger' };
  if (view.stepUp) {
    return [...(view.url ? [{ verb: 'link.open' as const, label: 'Approve in browser', value: id, url: view.url, style: 'primary' as const }] : []), deny];
  }
  return [
    { verb: 'request.approve', label: 'Approve', value: id, style: 'primary' },
    { verb: 'request.approveWithComment', label: 'Approve with comment', value: id },
    deny,
    ...pageLink(view),
  ];
}

/** The card approvers get: the decision buttons while pending, the outcome afterwards. */
export function approverCard(view: RequestView): Card {
  const pending = view.request.status === 'pending';
  return card({
    title: title(view.request),
    summary: view.extension
      ? `${view.requesterName} asks to ${extensionText(view)} (${view.request.target.name})`
      : `${view.requesterName} requests ${view.request.target.name}`,
    facts: facts(view),
    status: requestStatus(view),
    actions: pending ? decisionActions(view) : pageLink(view),
  });
}

/** The requester's own copy, with Cancel while pending and "I'm done" while access is active. */
export function requesterCard(view: RequestView): Card {
  const { request, grant } = view;
  const actions: Card['actions'] = [];
  if (request.status === 'pending') actions.push({ verb: 'request.cancel', label: 'Cancel request', value: request.id });
  if (request.status === 'approved' && grant?.status === 'active') {
    actions.push({ verb: 'grant.relinquish', label: "I'm done", value: grant.id });
  }
  // Before its window starts, the requester may still call it off.
  if (request.status === 'approved' && grant?.status === 'scheduled') {
    actions.push({ verb: 'grant.relinquish', label: 'Cancel window', value: grant.id });
  }
  actions.push(...pageLink(view));
  return card({
    // Ids stay in their real case: "Your access request R-RKVG74XN".
    title: `Your ${kind(request)} ${request.id}`,
    summary: `Your request for ${request.target.name}`,
    facts: facts(view),
    status: requestStatus(view),
    actions,
  });
}

/**
 * A reminder to approvers: the approver card with its buttons, headed by how long the request has
 * waited and when it expires (the last reminder says it is the last). Once decided, the plain
 * approver card (the outcome, no buttons), like every other copy.
 */
export function reminderCard(view: RequestView, now: string, last: boolean): Card {
  const base = approverCard(view);
  if (view.request.status !== 'pending') return base;
  const { request } = view;
  const waiting = spanText(secondsBetween(request.createdAt, now));
  const expires = `${last ? 'Last reminder: it expires' : 'It expires'} undecided at ${at(request.deadlineAt)} (${relativeTime(now, request.deadlineAt)})`;
  return {
    ...base,
    title: `Reminder: ${base.title}`,
    summary: `Reminder: ${view.requesterName} has waited ${waiting} for ${request.target.name} (${request.id}). ${expires}`,
    status: { tone: 'pending', text: `Waiting for approval for ${waiting}. ${expires}` },
  };
}

/** A reminder to the escalation group: where the request stands, read-only (approvers decide). */
export function escalationCard(view: RequestView, now: string, last: boolean): Card {
  const reminder = reminderCard(view, now, last);
  const base = feedCard(view);
  if (view.request.status !== 'pending') return { ...base, title: `Escalation: ${base.title}` };
  return {
    ...base,
    title: `Escalation: ${title(view.request)} is still undecided`,
    summary: reminder.summary.replace(/^Reminder: /, `Escalation (${view.approverGroupName} have not decided): `),
    status: reminder.status,
  };
}

/** The audit feed's root message: one line per request, always showing where it stands. */
export function feedCard(view: RequestView): Card {
  const status = requestStatus(view);
  const summary = `${view.request.id} · ${view.requesterName} → ${view.request.target.name} · ${status.text}`;
  return card({ title: title(view.request), summary, facts: facts(view), status, actions: pageLink(view) });
}
