import { formatDuration } from '../../core/duration.js';
import type { BreakGlassUse } from '../../core/model.js';
import type { BreakGlassPreview } from '../../core/use-cases/break-glass.js';
import { html, type Html } from '../html.js';
import { csrfField, page, time, type PageContext } from '../layout.js';
import type { RequestFormValues } from './requests.js';

/** The mark of a break-glass request or grant on every list and page (issue 15). */
export function breakGlassBadge(marked: boolean | undefined): Html {
  return marked ? html` <span class="badge badge-breakglass" title="taken at once without approval; reviewed afterwards">break-glass</span>` : html``;
}

/** The form's choice between asking for approval and breaking glass, shown only to people a policy lets break glass. */
export function breakGlassChoice(targets: string[], breakGlass: boolean): Html {
  if (targets.length === 0) return html``;
  return html`<fieldset class="field"><legend>How?</legend>
<div class="check"><input type="radio" id="mode-request" name="mode" value="request"${breakGlass ? '' : ' checked'}><label for="mode-request">Ask for approval</label></div>
<div class="check"><input type="radio" id="mode-breakglass" name="mode" value="breakGlass"${breakGlass ? ' checked' : ''} aria-describedby="mode-hint"><label for="mode-breakglass">Break glass</label></div>
<p class="hint" id="mode-hint">Only in an emergency: access at once without approval, everyone responsible is alerted and the approvers review it afterwards. Allowed for you on ${targets.join(', ')}. A reason is required.</p>
</fieldset>`;
}

/**
 * The warning before breaking glass: who will be alerted (the core's own words), then a second,
 * explicit click that carries the form's values; nothing happens until it is clicked.
 */
export function breakGlassConfirmPage(ctx: PageContext, preview: BreakGlassPreview, values: RequestFormValues): Html {
  const hidden = (name: keyof RequestFormValues) => html`<input type="hidden" name="${name}" value="${values[name] ?? ''}">`;
  const body = html`
<section class="warning" aria-labelledby="h-warning"><h2 id="h-warning">Break glass on ${preview.target}?</h2>
<p>You get ${preview.target} at once, without approval, for ${values.duration ? values.duration : formatDuration(preview.maxSeconds)} (at most ${formatDuration(preview.maxSeconds)}).</p>
<p><strong>This alerts ${preview.alerted} now.</strong> The approvers review your use within ${formatDuration(preview.reviewSeconds)}.</p>
<p>Uses left for you on this target in the last 24 hours: ${preview.usesLeft} of ${preview.perDay}.</p>
<form method="post" action="/break-glass" class="stack">${csrfField(ctx)}${hidden('target')}${hidden('duration')}${hidden('reason')}${hidden('ticket')}
<input type="hidden" name="confirmed" value="yes">
<p><button type="submit" class="danger">Break glass now</button> <a href="/request?target=${encodeURIComponent(preview.target)}">Cancel</a></p></form>
</section>`;
  return page(ctx, { title: 'Confirm break-glass', body });
}

function reviewText(use: BreakGlassUse, reviewerName: string | null): Html {
  if (use.status === 'pending') return html`to review by ${time(use.reviewDueAt)}${use.escalatedAt ? ' (overdue: the admins were told)' : ''}`;
  return html`${use.status} by ${reviewerName ?? use.reviewedBy ?? 'someone'} at ${time(use.reviewedAt!)}${use.reviewComment ? html`: “${use.reviewComment}”` : ''}`;
}

/** The request page's break-glass facts: the mark and the review state. */
export function breakGlassFacts(use: BreakGlassUse, reviewerName: string | null): Array<[string, Html]> {
  return [
    ['Break-glass', html`${breakGlassBadge(true)} access at once without approval`],
    ['Review', reviewText(use, reviewerName)],
  ];
}

/** Acknowledge / Flag for the approvers and admins while the review is open (the core checks who may). */
export function breakGlassReviewSection(ctx: PageContext, use: BreakGlassUse): Html {
  const id = encodeURIComponent(use.grantId);
  return html`
<section aria-labelledby="h-review"><h2 id="h-review">Review this break-glass use</h2>
<form method="post" action="/grants/${id}/acknowledge" class="inline">${csrfField(ctx)}<button type="submit" class="primary">Acknowledge</button></form>
<form method="post" action="/grants/${id}/flag" class="stack">${csrfField(ctx)}
<div class="field"><label for="flag-comment">What was wrong? (required to flag; the admins are told)</label><textarea id="flag-comment" name="comment" rows="2" maxlength="1000" required></textarea></div>
<p><button type="submit" class="danger">Flag</button></p></form>
</section>`;
}
