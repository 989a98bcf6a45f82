import { DEFAULT_BREAK_GLASS_SECONDS } from '../../core/break-glass.js';
import type { Elevate } from '../../core/elevate.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { InvalidInputError } from '../../core/errors.js';
import { TARGET_TYPES, type PolicyInput, type TargetType } from '../../core/model.js';
import type { Actor } from '../../core/ports.js';
import { describeTargetType, parseTarget } from '../../core/targets.js';
import type { ConfigurationOutcome } from '../../core/use-cases/change-configuration.js';
import { attrs, html, type Html } from '../html.js';
import { actionButton, csrfField, page, table, type PageContext } from '../layout.js';

type PolicyRow = Awaited<ReturnType<Elevate['listPolicies']>>[number];

/** The notice key of a configuration change's outcome (applied, or waiting for another admin). */
export function outcomeNotice(outcome: ConfigurationOutcome): string {
  return outcome.status === 'applied' ? 'applied' : 'configurationRequested';
}

function field(name: string, label: string, value: string, options: { hint?: string; placeholder?: string; required?: boolean } = {}): Html {
  return html`<div class="field"><label for="p-${name}">${label}</label><input id="p-${name}" name="${name}" value="${value}"${attrs({ placeholder: options.placeholder ?? null, required: options.required ?? false, 'aria-describedby': options.hint ? `p-${name}-hint` : null })}>
${options.hint ? html`<p class="hint" id="p-${name}-hint">${options.hint}</p>` : ''}</div>`;
}

function checkbox(name: string, label: string, checked: boolean, hint?: string): Html {
  return html`<div class="field check"><input type="checkbox" id="p-${name}" name="${name}" value="on"${attrs({ checked, 'aria-describedby': hint ? `p-${name}-hint` : null })}><label for="p-${name}">${label}</label>
${hint ? html`<p class="hint" id="p-${name}-hint">${hint}</p>` : ''}</div>`;
}

/** The policy form's fields, for a new policy (`policy` undefined) or an existing one. */
function policyFields(policy: PolicyRow | undefined): Html {
  return html`
<div class="field"><label for="p-approval">Approval</label><select id="p-approval" name="approval">${['manual', 'auto'].map((a) => html`<option${attrs({ selected: (policy?.approval ?? 'manual') === a })}>${a}</option>`)}</select></div>
${field('approverGroup', 'Approver group', policy?.approverGroupName ?? '', { hint: 'Empty: the default approver group.' })}
${field('approvalsRequired', 'Approvals required (N of M)', String(policy?.approvalsRequired ?? 1))}
${field('defaultDuration', 'Default duration', policy ? formatDuration(policy.defaultDurationSeconds) : '4h')}
${field('maxDuration', 'Max duration', policy?.maxDurationSeconds ? formatDuration(policy.maxDurationSeconds) : '', { hint: 'Empty: no maximum.' })}
${checkbox('reasonRequired', 'A reason is required', policy?.reasonRequired ?? true)}
${field('reasonPattern', 'Reason pattern', policy?.reasonPattern ?? '', { hint: 'The reason or ticket must match this regular expression, e.g. ^(INC|CHG)[0-9]+' })}
${field('reasonHint', 'Reason hint', policy?.reasonHint ?? '', { hint: 'Shown to requesters.' })}
${field('eligibleGroup', 'Eligible group', policy?.eligibleGroupName ?? '', { hint: 'Empty: everyone may request.' })}
${checkbox('approvalStepUp', 'Approvals need a fresh sign-in (step-up)', policy?.approvalStepUp ?? false, 'Approvers approve in the browser after signing in again; chat cards link here.')}`;
}

/** The form's fields as a policy patch (text durations to seconds, empty to null). */
export function policyPatch(form: URLSearchParams): Partial<Omit<PolicyInput, 'target'>> {
  const text = (name: string) => form.get(name)?.trim() ?? '';
  const approval = text('approval');
  if (approval !== 'manual' && approval !== 'auto') throw new InvalidInputError('approval must be manual or auto', { field: 'approval' });
  const approvals = text('approvalsRequired') || '1';
  if (!/^\d{1,3}$/.test(approvals)) throw new InvalidInputError('approvals required must be a whole number', { field: 'approvalsRequired' });
  return {
    approval,
    approverGroup: text('approverGroup') || null,
    approvalsRequired: Number(approvals),
    defaultDurationSeconds: parseDuration(text('defaultDuration') || '4h', 'default duration'),
    maxDurationSeconds: text('maxDuration') ? parseDuration(text('maxDuration'), 'max duration') : null,
    reasonRequired: form.get('reasonRequired') === 'on',
    reasonPattern: text('reasonPattern') || null,
    reasonHint: text('reasonHint') || null,
    eligibleGroup: text('eligibleGroup') || null,
    approvalStepUp: form.get('approvalStepUp') === 'on',
  };
}

export function newPolicyInput(form: URLSearchParams): PolicyInput {
  const type = form.get('type') ?? '';
  if (!(TARGET_TYPES as readonly string[]).includes(type)) throw new InvalidInputError('choose a target type: task, role or role group', { field: 'type' });
  const patch = policyPatch(form);
  return { ...patch, target: parseTarget(type as TargetType, form.get('target') ?? ''), approval: patch.approval! };
}

export async function policiesPage(ctx: PageContext, elevate: Elevate, options: { notice: string | null; error: string | null; editing?: string | null }): Promise<Html> {
  const policies = await elevate.listPolicies();
  const admin = ctx.roles?.admin === true;
  const editing = options.editing ? policies.find((p) => p.target.name.toLowerCase() === options.editing!.toLowerCase()) : undefined;
  const body = html`
${table('Policies by target', ['Target', 'Type', 'Approval', 'Approvers', 'N', 'Default', 'Max', 'Reason', 'Eligible', 'Step-up', 'On call', 'Break-glass', ...(admin ? ['Change'] : [])], policies.map((p) => [
    p.target.name, describeTargetType(p.target.type), p.approval, p.approverGroupName, p.approvalsRequired, formatDuration(p.defaultDurationSeconds),
    p.maxDurationSeconds === null ? '—' : formatDuration(p.maxDurationSeconds), p.reasonRequired ? 'required' : 'optional', p.eligibleGroupName ?? 'everyone',
    p.approvalStepUp ? 'yes' : 'no', p.onCall.length > 0 ? p.onCall.join(', ') : '—',
    p.breakGlassGroupName ? `${p.breakGlassGroupName}, up to ${formatDuration(p.breakGlassMaxDurationSeconds ?? DEFAULT_BREAK_GLASS_SECONDS)}, ${p.breakGlassPerDay} a day` : 'no',
    ...(admin ? [html`<a href="/policies?edit=${encodeURIComponent(p.target.name)}#edit">Edit</a> ${actionButton(ctx, '/policies/remove', 'Remove', { style: 'danger', fields: { target: p.target.name } })}`] : []),
  ]), 'No policy yet.')}
${admin && editing ? html`<section id="edit" aria-labelledby="h-edit"><h2 id="h-edit">Change ${editing.target.name}</h2>
<form method="post" action="/policies/update" class="stack">${csrfField(ctx)}<input type="hidden" name="target" value="${editing.target.name}">
${policyFields(editing)}<p><button type="submit" class="primary">Save changes</button></p></form></section>` : ''}
${admin ? html`<section aria-labelledby="h-new"><h2 id="h-new">New policy</h2>
<p class="hint">When protected configuration is in force, your change waits for another admin's approval.</p>
<form method="post" action="/policies" class="stack">${csrfField(ctx)}
<div class="field"><label for="p-type">Target type</label><select id="p-type" name="type">${TARGET_TYPES.map((t) => html`<option value="${t}">${describeTargetType(t)}</option>`)}</select></div>
${field('target', 'Target', '', { placeholder: 'Exchange\\Search-Mailbox', required: true, hint: 'Written Scope\\Name.' })}
${policyFields(undefined)}
<p><button type="submit" class="primary">Create policy</button></p></form></section>` : ''}`;
  return page(ctx, { title: 'Policies', body, notice: options.notice, error: options.error });
}

export async function groupsPage(ctx: PageContext, elevate: Elevate, options: { notice: string | null; error: string | null }): Promise<Html> {
  const groups = await elevate.listGroups();
  const admin = ctx.roles?.admin === true;
  const body = html`
${groups.map((g) => html`<section aria-labelledby="g-${g.id}"><h2 id="g-${g.id}">${g.name}</h2>
${g.description ? html`<p>${g.description}</p>` : ''}
${g.source === 'directory' ? html`<p>Members come from ${g.directoryRef}.</p>` : table(`Members of ${g.name}`, ['Member', ...(admin ? ['Change'] : [])], g.members.map((m) => [
    m, ...(admin ? [actionButton(ctx, '/groups/remove-member', 'Remove', { style: 'danger', fields: { group: g.name, member: m } })] : []),
  ]), 'No members.')}
${admin && g.source === 'elevate' ? html`<form method="post" action="/groups/add-member" class="filters">${csrfField(ctx)}<input type="hidden" name="group" value="${g.name}">
<div class="field"><label for="add-${g.id}">Add a member to ${g.name}</label><input id="add-${g.id}" name="member" placeholder="slack:U…, teams:…, oidc:… or email" required></div>
<button type="submit">Add</button></form>` : ''}
</section>`)}
${admin ? html`<section aria-labelledby="h-newgroup"><h2 id="h-newgroup">New group</h2>
<form method="post" action="/groups" class="stack">${csrfField(ctx)}
<div class="field"><label for="g-name">Name</label><input id="g-name" name="name" required></div>
<div class="field"><label for="g-description">Description</label><input id="g-description" name="description"></div>
<div class="field"><label for="g-directory">Directory group (optional)</label><input id="g-directory" name="directoryRef" placeholder="slack:S0123 or teams:<group id>"></div>
<p><button type="submit" class="primary">Create group</button></p></form></section>` : ''}`;
  return page(ctx, { title: 'Groups', body, notice: options.notice, error: options.error });
}

export type { Actor };
