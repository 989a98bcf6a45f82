import { card, type Card, type CardAction, type CardFact, type Tone } from './cards.js';
import { describeChange } from './configuration-changes-text.js';
import { formatDuration } from './duration.js';
import type { AccessRequest, Decision, Grant } from './model.js';
import { describeTargetType } from './targets.js';
import { windowOf } from './windows.js';

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
}

export const requestCardKeys = (requestId: string) => ({
  approver: `request:${requestId}:approver`,
  requester: `request:${requestId}:requester`,
  feed: `request:${requestId}:feed`,
});

function facts(view: RequestView): CardFact[] {
  const { request } = view;
  const list: CardFact[] = [
    { label: 'Requester', value: view.requesterName },
    { label: 'Target', value: `${request.target.name} (${describeTargetType(request.target.type)})` },
  ];
  if (request.change) list.push({ label: 'Change', value: describeChange(request.change) });
  else list.push({ label: 'Duration', value: formatDuration(request.durationSeconds) });
  const window = windowOf(request);
  if (window) list.push({ label: 'Window', value: windowText(window) });
  list.push({ label: 'Reason', value: request.reason ?? '—' });
  if (request.ticket) list.push({ label: 'Ticket', value: request.ticket });
  list.push({ label: 'Requested at', value: request.createdAt });
  list.push({ label: 'Decide by', value: request.deadlineAt });
  list.push({ label: 'Approvals', value: approvalsText(view) });
  if (view.stepUp) list.push({ label: 'Step-up', value: 'approving needs a fresh sign-in in the browser' });
  return list;
}

/** "2026-12-02T22:00:00.000Z → 2026-12-03T02:00:00.000Z": a scheduled window, start to planned end. */
export function windowText(window: { startsAt: string; endsAt: string }): string {
  return `${window.startsAt} → ${window.endsAt}`;
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
      return { tone: 'pending', text: `Waiting for approval until ${request.deadlineAt}` };
    case 'denied':
      return { tone: 'denied', text: `Denied by ${by} at ${request.decidedAt}${comment}` };
    case 'expired':
      return { tone: 'expired', text: `Expired undecided at ${request.decidedAt}` };
    case 'cancelled':
      return { tone: 'cancelled', text: `Cancelled by ${by} at ${request.decidedAt}` };
    case 'approved': {
      const approved = view.deciderName
        ? `Approved by ${view.deciderName} at ${request.decidedAt}${comment}`
        : `Approved automatically at ${request.decidedAt}`;
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
    case 'active': return `Access active until ${grant.endsAt} (grant ${grant.id})`;
    case 'scheduled': return `Access scheduled from ${grant.startsAt} until ${grant.endsAt} (grant ${grant.id})`;
    case 'expired': return `Access expired at ${grant.endedAt}`;
    case 'revoked': return `Access revoked by ${enderName ?? 'Elevate'} at ${grant.endedAt}${comment}`;
    case 'relinquished': return `Access given up by its holder at ${grant.endedAt}${comment}`;
    case 'failed': return `Access failed at ${grant.endedAt}: it could not be provisioned${comment}`;
  }
}

function title(request: AccessRequest): string {
  return request.change ? `Configuration change ${request.id}` : `Access request ${request.id}`;
}

/** "Open in browser": every card links to its request's page when the console's address is known. */
function pageLink(view: RequestView): CardAction[] {
  return view.url ? [{ verb: 'link.open', label: 'Open in browser', value: view.request.id, url: view.url }] : [];
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
    summary: `${view.requesterName} requests ${view.request.target.name}`,
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
    title: `Your ${title(request).toLowerCase()}`,
    summary: `Your request for ${request.target.name}`,
    facts: facts(view),
    status: requestStatus(view),
    actions,
  });
}

/** The audit feed's root message: one line per request, always showing where it stands. */
export function feedCard(view: RequestView): Card {
  const status = requestStatus(view);
  const summary = `${view.request.id} · ${view.requesterName} → ${view.request.target.name} · ${status.text}`;
  return card({ title: title(view.request), summary, facts: facts(view), status, actions: pageLink(view) });
}
