import type { Elevate } from '../../core/elevate.js';
import { plainTimes } from '../../core/time-text.js';
import { formatDuration } from '../../core/duration.js';
import { windowOf } from '../../core/windows.js';
import type { AccessRequest, Grant, Policy } from '../../core/model.js';
import type { Actor } from '../../core/ports.js';
import { approvalsText, requestStatus, type RequestView } from '../../core/request-cards.js';
import { describeTargetType } from '../../core/targets.js';
import type { RequestViewItem } from '../../core/use-cases/request-views.js';
import { attrs, html, type Html } from '../html.js';
import { describeOnCall } from '../../core/on-call.js';
import { breakGlassBadge, breakGlassChoice, breakGlassFacts, breakGlassReviewSection } from './break-glass.js';
import { actionButton, csrfField, page, pager, statusBadge, table, time, type PageContext } from '../layout.js';

/** What the console says after a change (post/redirect/get): fixed texts, never taken from the address. */
export const NOTICES: Record<string, string> = {
  requested: 'Your request was sent to its approvers.',
  existing: 'You already had this request pending: here it is.',
  granted: 'Approved automatically: your access is active.',
  approved: 'Approved: access is granted.',
  recorded: 'Your approval was recorded; more approvals are needed.',
  denied: 'Denied. The requester is told.',
  cancelled: 'Request cancelled.',
  relinquished: 'Access given back. Thank you.',
  revoked: 'Access revoked.',
  extensionRequested: 'Extension requested: the approvers decide it like any request.',
  extended: 'Access extended.',
  configurationRequested: 'Protected configuration: your change waits for another admin to approve it.',
  applied: 'Change applied.',
  signedIn: 'Signed in.',
  brokeGlass: 'Break-glass: your access is active now. The approvers and admins were alerted and will review it.',
  acknowledged: 'Break-glass use acknowledged.',
  flagged: 'Break-glass use flagged: the admins are told.',
};

export interface StepUpInfo {
  /** An identity provider is configured: step-up is possible. */
  available: boolean;
  maxAgeSeconds: number;
}

/** A cursor for the next page: the last row's time and id. */
export function cursorOf(at: string, id: string): string {
  return Buffer.from(`${at}|${id}`).toString('base64url');
}

export function parseCursor(text: string | null): { at: string; id: string } | undefined {
  if (!text) return undefined;
  const [at, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  return at && id && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(at) && /^[A-Z0-9-]{1,40}$/i.test(id) ? { at, id } : undefined;
}

function requestLink(request: AccessRequest): Html {
  return html`<a href="/requests/${encodeURIComponent(request.id)}">${request.id}</a>${breakGlassBadge(request.breakGlass)}`;
}

/** "1 of 2" as a progress bar with its words (screen readers read the words). */
export function progress(view: RequestView): Html {
  const given = view.decisions.filter((d) => d.kind === 'approve').length;
  return html`<span class="progress"><progress value="${given}" max="${view.request.approvalsRequired}" aria-hidden="true"></progress> <span>${approvalsText(view)}</span></span>`;
}

function stepUpMark(view: RequestView): Html {
  return view.stepUp ? html` <span class="badge badge-stepup" title="approving needs a fresh sign-in">step-up</span>` : html``;
}

// ---- Home --------------------------------------------------------------------------------------

export async function homePage(ctx: PageContext, elevate: Elevate, actor: Actor, notice: string | null): Promise<Html> {
  const mine = await elevate.listRequestViews(actor, { mine: true, status: 'pending', limit: 10 });
  const grants = await elevate.listGrants(actor, { mine: true, status: 'active', limit: 10 });
  const decidable = ctx.roles && (ctx.roles.approverOf > 0 || ctx.roles.admin) ? await elevate.listRequests(actor, { decidable: true, limit: 100 }) : [];
  const body = html`
<section aria-labelledby="h-next"><h2 id="h-next">What next</h2>
<p><a class="button primary" href="/request">Request access</a></p>
${decidable.length > 0 ? html`<p><a href="/approvals">${decidable.length === 100 ? '100 or more' : decidable.length} request${decidable.length === 1 ? '' : 's'} waiting for your decision</a></p>` : ''}
</section>
<section aria-labelledby="h-pending"><h2 id="h-pending">Your pending requests</h2>
${table('Your pending requests', ['Request', 'Target', 'Approvals', 'Requested'], mine.map(({ view }) => [requestLink(view.request), view.request.target.name, progress(view), time(view.request.createdAt)]), 'You have no pending requests.')}
</section>
<section aria-labelledby="h-active"><h2 id="h-active">Your active access</h2>
${grantsTable(ctx, 'Your active access', grants, { holder: true })}
</section>`;
  return page(ctx, { title: 'Home', body, notice });
}

function grantsTable(ctx: PageContext, caption: string, grants: Grant[], options: { holder?: boolean; revoke?: (g: Grant) => boolean; names?: Map<string, string> }): Html {
  const headers = ['Grant', 'Target', ...(options.names ? ['Holder'] : []), 'Status', 'Since', 'Until', 'Actions'];
  return table(caption, headers, grants.map((g) => [
    html`<a href="/requests/${encodeURIComponent(g.requestId)}">${g.id}</a>${breakGlassBadge(g.breakGlass)}`, g.target.name, ...(options.names ? [options.names.get(g.principalId) ?? g.principalId] : []),
    statusBadge(g.status), time(g.startsAt), time(g.endedAt ?? g.endsAt),
    g.status !== 'active' ? '' : html`${options.holder ? actionButton(ctx, `/grants/${encodeURIComponent(g.id)}/relinquish`, "I'm done") : ''}${options.revoke?.(g) ? actionButton(ctx, `/grants/${encodeURIComponent(g.id)}/revoke`, 'Revoke', { style: 'danger' }) : ''}`,
  ]), 'No access to show.');
}

// ---- Request access ----------------------------------------------------------------------------

export interface RequestFormValues { target?: string; duration?: string; reason?: string; ticket?: string; start?: string; mode?: string }

export async function requestFormPage(ctx: PageContext, elevate: Elevate, actor: Actor, values: RequestFormValues, error: { message: string; field?: string } | null): Promise<Html> {
  const policies = await elevate.requestablePolicies(actor);
  const breakGlassTargets = await elevate.breakGlassTargets(actor);
  const chosen = values.target ? policies.find((p) => p.target.name.toLowerCase() === values.target!.toLowerCase()) : undefined;
  const invalid = (field: string) => (error?.field === field ? { 'aria-invalid': 'true', 'aria-describedby': `${field}-hint error-text` } : { 'aria-describedby': `${field}-hint` });
  const body = html`
<form method="post" action="/request" class="stack" novalidate>
${csrfField(ctx)}
<div class="field"><label for="target">What do you need?</label>
<select id="target" name="target" required${attrs(invalid('target'))}>
<option value="">Choose a target…</option>
${(['task', 'role', 'roleGroup'] as const).map((type) => {
    const of = policies.filter((p) => p.target.type === type);
    return of.length === 0 ? '' : html`<optgroup label="${describeTargetType(type)}s">${of.map((p) => html`<option value="${p.target.name}"${attrs({ selected: p === chosen })}>${p.target.name}</option>`)}</optgroup>`;
  })}
</select>
<p class="hint" id="target-hint">Only targets you may request are listed (${policies.length}).</p></div>
<div class="field"><label for="duration">For how long?</label>
<input id="duration" name="duration" value="${values.duration ?? ''}" placeholder="${chosen ? formatDuration(chosen.defaultDurationSeconds) : '4h'}" inputmode="text" autocomplete="off"${attrs(invalid('duration'))}>
<p class="hint" id="duration-hint">Like 30m, 2h or 1h30m. Empty: the policy's default.</p></div>
<div class="field"><label for="reason">Why?</label>
<textarea id="reason" name="reason" rows="3" maxlength="1000"${attrs(invalid('reason'))}>${values.reason ?? ''}</textarea>
<p class="hint" id="reason-hint">${chosen?.reasonHint ?? 'The approvers see this.'}</p></div>
<div class="field"><label for="ticket">Ticket (optional)</label>
<input id="ticket" name="ticket" value="${values.ticket ?? ''}" maxlength="100" autocomplete="off"${attrs(invalid('ticket'))}>
<p class="hint" id="ticket-hint">One word, e.g. INC-42.</p></div>
<div class="field"><label for="start">Starting when? (optional)</label>
<input id="start" name="start" value="${values.start ?? ''}" maxlength="64" placeholder="2026-12-02T22:00+01:00 or +2h" autocomplete="off"${attrs(invalid('start'))}>
<p class="hint" id="start-hint">A scheduled window: a date and time with its zone (your offset from UTC, e.g. +01:00), or a time from now like +2h. It lasts the duration from then, whenever it is approved. Empty: as soon as it is approved.</p></div>
${breakGlassChoice(breakGlassTargets, values.mode === 'breakGlass')}
<p><button type="submit" class="primary">Request access</button></p>
</form>
${error ? html`<p id="error-text" class="visually-hidden">${error.message}</p>` : ''}
<section aria-labelledby="h-policies"><h2 id="h-policies">What each target asks for</h2>
${table('Targets you may request', ['Target', 'Type', 'Approval', 'Default', 'Max', 'Reason'], policies.map((p) => [
    p.target.name, describeTargetType(p.target.type), p.approval === 'auto' ? 'automatic' : `${p.approvalsRequired} of ${p.approverGroupName}${p.approvalStepUp ? ' (step-up)' : ''}`,
    formatDuration(p.defaultDurationSeconds), p.maxDurationSeconds === null ? '—' : formatDuration(p.maxDurationSeconds),
    `${p.reasonRequired ? 'required' : 'optional'}${p.reasonHint ? `: ${p.reasonHint}` : ''}`,
  ]), 'There is nothing you may request yet.')}
</section>`;
  return page(ctx, { title: 'Request access', body, error: error?.message ?? null });
}

// ---- My requests -------------------------------------------------------------------------------

export async function myRequestsPage(ctx: PageContext, elevate: Elevate, actor: Actor, notice: string | null): Promise<Html> {
  const cursor = parseCursor(ctx.url.searchParams.get('cursor'));
  const limit = 25;
  const requests = await elevate.listRequestViews(actor, { mine: true, limit, before: cursor && { createdAt: cursor.at, id: cursor.id } });
  const grants = await elevate.listGrants(actor, { mine: true, limit: 50 });
  const last = requests.at(-1)?.view.request;
  const body = html`
<section aria-labelledby="h-grants"><h2 id="h-grants">Your access</h2>
${grantsTable(ctx, 'Your grants, latest first', grants, { holder: true })}
</section>
<section aria-labelledby="h-requests"><h2 id="h-requests">Your requests</h2>
${table('Your requests, newest first', ['Request', 'Target', 'Status', 'Approvals', 'Requested', 'Actions'], requests.map((item) => [
    requestLink(item.view.request), item.view.request.target.name, statusBadge(item.view.request.status), progress(item.view), time(item.view.request.createdAt),
    item.mayCancel ? actionButton(ctx, `/requests/${encodeURIComponent(item.view.request.id)}/cancel`, 'Cancel') : '',
  ]), 'You have made no requests yet.')}
${pager(ctx, requests.length === limit && last ? cursorOf(last.createdAt, last.id) : null)}
</section>`;
  return page(ctx, { title: 'My requests and access', body, notice });
}

// ---- Approvals ---------------------------------------------------------------------------------

export async function approvalsPage(ctx: PageContext, elevate: Elevate, actor: Actor, notice: string | null): Promise<Html> {
  const cursor = parseCursor(ctx.url.searchParams.get('cursor'));
  const limit = 25;
  const items = await elevate.listRequestViews(actor, { decidable: true, limit, before: cursor && { createdAt: cursor.at, id: cursor.id } });
  const last = items.at(-1)?.view.request;
  const body = html`
<p>Requests you may decide now, newest first. Approving a <span class="badge badge-stepup">step-up</span> request needs a fresh sign-in: open it.</p>
${table('Requests waiting for your decision', ['Request', 'Requester', 'Target', 'Duration', 'Reason', 'Approvals', 'Decide by', 'Decide'], items.map(({ view }) => [
    html`${requestLink(view.request)}${stepUpMark(view)}`, view.requesterName, view.request.target.name,
    view.request.change ? '—' : formatDuration(view.request.durationSeconds), view.request.reason ?? '—', progress(view), time(view.request.deadlineAt),
    html`${view.stepUp ? html`<a class="button primary" href="/requests/${encodeURIComponent(view.request.id)}">Approve in browser</a>` : actionButton(ctx, `/requests/${encodeURIComponent(view.request.id)}/approve`, 'Approve', { style: 'primary', fields: { back: '/approvals' } })}${actionButton(ctx, `/requests/${encodeURIComponent(view.request.id)}/deny`, 'Deny', { style: 'danger', fields: { back: '/approvals' } })}`,
  ]), 'Nothing is waiting for your decision.')}
${pager(ctx, items.length === limit && last ? cursorOf(last.createdAt, last.id) : null)}`;
  return page(ctx, { title: 'Approvals', body, notice });
}

// ---- One request -------------------------------------------------------------------------------

export async function requestPage(
  ctx: PageContext, elevate: Elevate, actor: Actor, requestId: string, options: { notice: string | null; error: string | null; stepUpNeeded?: boolean; stepUp: StepUpInfo },
): Promise<Html> {
  const item = await elevate.getRequestPage(actor, requestId);
  const { view } = item;
  const r = view.request;
  const status = requestStatus(view);
  const id = encodeURIComponent(r.id);
  const facts: Array<[string, Html | string]> = [
    ['Status', html`${statusBadge(r.status)} ${plainTimes(status.text)}`],
    ['Requester', view.requesterName],
    ['Target', `${r.target.name} (${describeTargetType(r.target.type)})`],
    ...(r.change ? [['Change', r.reason ?? '']] as Array<[string, string]> : [['Duration', formatDuration(r.durationSeconds)] as [string, string], ['Reason', r.reason ?? '—'] as [string, string]]),
    ...(r.ticket ? [['Ticket', r.ticket] as [string, string]] : []),
    ...(r.startsAt ? [['Window', html`${time(r.startsAt)} → ${time(windowOf(r)!.endsAt)}`] as [string, Html]] : []),
    ['Requested', time(r.createdAt)],
    ['Decide by', time(r.deadlineAt)],
    ['Approvals', progress(view)],
    ['Approvers', view.approverGroupName],
    ...(view.stepUp ? [['Step-up', `approving needs a sign-in within the last ${formatDuration(options.stepUp.maxAgeSeconds)}`] as [string, string]] : []),
    ...(r.onCall ? [['On call', plainTimes(describeOnCall(r.onCall))] as [string, string]] : []),
    ...(view.grant ? [['Access', html`${statusBadge(view.grant.status)} ${view.grant.id}, until ${time(view.grant.endedAt ?? view.grant.endsAt)}`] as [string, Html]] : []),
    ...(item.breakGlassUse ? breakGlassFacts(item.breakGlassUse, item.breakGlassReviewerName) : []),
    ['Signature', item.signatureValid ? 'valid' : 'DOES NOT MATCH: the request was altered after it was made'],
  ];
  const reauth = `/signin/oidc?stepup=1&return=${encodeURIComponent(`/requests/${r.id}`)}`;
  const fresh = isFresh(ctx, options.stepUp);
  const decide = item.mayDecide ? html`
<section aria-labelledby="h-decide"><h2 id="h-decide">Your decision</h2>
${view.stepUp ? html`<p class="hint">Approving this request needs a fresh sign-in with your company account (within ${formatDuration(options.stepUp.maxAgeSeconds)}).
${fresh ? 'Your sign-in is recent enough.' : html`<a href="${reauth}" class="button">Sign in again to approve</a>`}</p>` : ''}
${options.stepUpNeeded ? html`<p class="error" role="alert"><a href="${reauth}">Sign in again</a>, then approve.</p>` : ''}
<form method="post" action="/requests/${id}/approve" class="stack">${csrfField(ctx)}
<div class="field"><label for="approve-comment">Comment (optional, the requester sees it)</label><textarea id="approve-comment" name="comment" rows="2" maxlength="1000"></textarea></div>
<p><button type="submit" class="primary">Approve</button></p></form>
<form method="post" action="/requests/${id}/deny" class="stack">${csrfField(ctx)}
<div class="field"><label for="deny-comment">Why deny? (optional, the requester sees it)</label><textarea id="deny-comment" name="comment" rows="2" maxlength="1000"></textarea></div>
<p><button type="submit" class="danger">Deny</button></p></form>
</section>` : html``;
  const grantActions = html`
${item.mayCancel ? actionButton(ctx, `/requests/${id}/cancel`, 'Cancel request') : ''}
${item.mayExtend && view.grant ? html`${actionButton(ctx, `/grants/${encodeURIComponent(view.grant.id)}/relinquish`, "I'm done")}
<form method="post" action="/grants/${encodeURIComponent(view.grant.id)}/extend" class="stack">${csrfField(ctx)}
<div class="field"><label for="extend-duration">Extend by</label><input id="extend-duration" name="duration" placeholder="2h" required></div>
<div class="field"><label for="extend-reason">Why?</label><input id="extend-reason" name="reason" maxlength="1000"></div>
<p><button type="submit">Ask to extend</button></p></form>` : ''}
${item.mayRevoke && view.grant ? html`<form method="post" action="/grants/${encodeURIComponent(view.grant.id)}/revoke" class="stack">${csrfField(ctx)}
<div class="field"><label for="revoke-comment">Why revoke? (optional)</label><input id="revoke-comment" name="comment" maxlength="1000"></div>
<p><button type="submit" class="danger">Revoke access</button></p></form>` : ''}`;
  const use = item.breakGlassUse;
  const reviewer = ctx.roles && (ctx.roles.admin || ctx.roles.approverOf > 0) && actor.kind === 'principal' && actor.principalId !== r.requesterId;
  const body = html`
<dl class="facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
${use && use.status === 'pending' && reviewer ? breakGlassReviewSection(ctx, use) : ''}
${decide}
${grantActions}
<section aria-labelledby="h-decisions"><h2 id="h-decisions">Decisions</h2>
${table('Decisions on this request', ['Who', 'Decision', 'Comment', 'When', 'From'], view.decisions.map((d) => [d.approverName, d.kind === 'approve' ? 'approved' : 'denied', d.comment ?? '—', time(d.decidedAt), d.origin]), 'Nobody has decided yet.')}
</section>`;
  return page(ctx, { title: r.change ? `Configuration change ${r.id}` : `Access request ${r.id}`, body, notice: options.notice, error: options.error });
}

/** Is the session's sign-in recent enough for a step-up approval (what the core will check)? */
function isFresh(ctx: PageContext, stepUp: StepUpInfo): boolean {
  const signIn = ctx.session?.signIn;
  if (!signIn || signIn.method !== 'oidc' || !stepUp.available) return false;
  const now = Date.parse(ctx.now);
  return now - Date.parse(signIn.authTime) <= stepUp.maxAgeSeconds * 1000;
}

// ---- Everything (admins, auditors) -------------------------------------------------------------

const REQUEST_STATUSES = ['', 'pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
const GRANT_STATUSES = ['', 'active', 'scheduled', 'expired', 'revoked', 'relinquished', 'failed'] as const;

function select(name: string, label: string, options: readonly string[], value: string | null): Html {
  return html`<div class="field"><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">${options.map((o) => html`<option value="${o}"${attrs({ selected: (value ?? '') === o })}>${o || 'any'}</option>`)}</select></div>`;
}

function input(name: string, label: string, value: string | null, placeholder = ''): Html {
  return html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${value ?? ''}" placeholder="${placeholder}"></div>`;
}

export async function everythingPage(ctx: PageContext, elevate: Elevate, actor: Actor, notice: string | null): Promise<Html> {
  const q = ctx.url.searchParams;
  const view = q.get('view') ?? 'requests';
  const cursor = parseCursor(q.get('cursor'));
  const limit = 50;
  const tabs = html`<nav class="tabs" aria-label="What to list"><ul>${[['requests', 'Requests'], ['grants', 'Grants'], ['holders', 'Effective holders']].map(([key, label]) => html`<li><a href="/all?view=${key}"${attrs({ 'aria-current': view === key ? 'page' : null })}>${label}</a></li>`)}</ul></nav>`;
  let content: Html;
  if (view === 'grants') {
    const grants = await elevate.listGrants(actor, {
      status: (q.get('status') || undefined) as Grant['status'] | undefined, principal: q.get('principal') || undefined, target: q.get('target') || undefined,
      limit, before: cursor && { startsAt: cursor.at, id: cursor.id },
    });
    const names = await namesOf(elevate, actor, grants.map((g) => g.requestId));
    const last = grants.at(-1);
    content = html`<form method="get" action="/all" class="filters"><input type="hidden" name="view" value="grants">
${select('status', 'Status', GRANT_STATUSES, q.get('status'))}${input('principal', 'Holder', q.get('principal'), 'slack:U… or email')}${input('target', 'Target', q.get('target'), 'Scope\\Name')}
<button type="submit">Filter</button></form>
${grantsTable(ctx, 'Grants, latest start first', grants, { names, revoke: () => ctx.roles?.admin === true })}
${pager(ctx, grants.length === limit && last ? cursorOf(last.startsAt, last.id) : null)}`;
  } else if (view === 'holders') {
    const targets = await elevate.effectiveHolders(actor, { target: q.get('target') || undefined });
    content = html`<form method="get" action="/all" class="filters"><input type="hidden" name="view" value="holders">${input('target', 'Target', q.get('target'), 'Scope\\Name')}<button type="submit">Filter</button></form>
<p>Who holds each target now, just-in-time holders included; <em>ending</em>: the grant ended but its provisioning hook has not confirmed the removal yet.</p>
${targets.length === 0 ? html`<p class="empty">Nobody holds anything now.</p>` : targets.map((t) => table(`Holders of ${t.target.name}`, ['Holder', 'Grant', 'Since', 'Until', 'Hook', 'Hook state'], t.holders.map((h) => [
    h.displayName ?? h.email ?? h.identities[0] ?? h.principalId, h.grantId, time(h.since), time(h.until), h.hook ?? '—', h.hookState,
  ])))}`;
  } else {
    const items = await elevate.listRequestViews(actor, {
      status: (q.get('status') || undefined) as AccessRequest['status'] | undefined, requester: q.get('requester') || undefined, target: q.get('target') || undefined,
      createdFrom: dateParam(q.get('from')), createdTo: dateParam(q.get('to'), true), limit, before: cursor && { createdAt: cursor.at, id: cursor.id },
    });
    const last = items.at(-1)?.view.request;
    content = html`<form method="get" action="/all" class="filters"><input type="hidden" name="view" value="requests">
${select('status', 'Status', REQUEST_STATUSES, q.get('status'))}${input('requester', 'Requester', q.get('requester'), 'slack:U… or email')}${input('target', 'Target', q.get('target'), 'Scope\\Name')}
${input('from', 'From (date)', q.get('from'), 'YYYY-MM-DD')}${input('to', 'To (date)', q.get('to'), 'YYYY-MM-DD')}
<button type="submit">Filter</button></form>
${table('Requests, newest first', ['Request', 'Requester', 'Target', 'Status', 'Approvals', 'Requested'], items.map(({ view: v }) => [
    html`${requestLink(v.request)}${stepUpMark(v)}`, v.requesterName, v.request.target.name, statusBadge(v.request.status), progress(v), time(v.request.createdAt),
  ]), 'No request matches.')}
${pager(ctx, items.length === limit && last ? cursorOf(last.createdAt, last.id) : null)}`;
  }
  return page(ctx, { title: 'Everything', body: html`${tabs}${content}`, notice });
}

/** `YYYY-MM-DD` (UTC) as an instant; the end of that day for `to`. Anything else: no filter. */
export function dateParam(text: string | null, endOfDay = false): string | undefined {
  if (!text || !/^\d{4}-\d\d-\d\d$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00.000Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms + (endOfDay ? 86_400_000 : 0)).toISOString();
}

/** Holder names of grants, through the requests behind them (which the actor may see). */
async function namesOf(elevate: Elevate, actor: Actor, requestIds: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of [...new Set(requestIds)]) {
    const found = await elevate.getRequestPage(actor, id).catch(() => undefined);
    if (found) names.set(found.view.request.requesterId, found.view.requesterName);
  }
  return names;
}

export type { Policy, RequestViewItem };
