import type { Elevate } from '../../core/elevate.js';
import type { Actor } from '../../core/ports.js';
import { Html, html } from '../html.js';
import { page, table, time, type PageContext } from '../layout.js';

/** Access reviews for auditors: each campaign's decisions and who made them (as `elevate review report`). */
export async function reviewsPage(ctx: PageContext, elevate: Elevate, actor: Actor): Promise<Html> {
  const campaign = ctx.url.searchParams.get('campaign')?.trim().slice(0, 64) || undefined;
  const report = await elevate.reviewReport(actor, { campaign });
  const sections = report.map((entry) => {
    const c = entry.campaign;
    return html`<section aria-labelledby="h-${c.id}"><h2 id="h-${c.id}">Campaign ${c.id} (${c.status})</h2>
<p>Scope ${c.scope}; started ${time(c.startedAt)}; deadline ${time(c.deadlineAt)}; closes ${time(c.closesAt)}; unanswered members are ${c.unanswered === 'keep' ? 'kept and flagged' : 'removed'}${c.everySeconds ? `; repeats every ${Math.round(c.everySeconds / 86400)} days` : ''}.</p>
${table(`Decisions of ${c.id}`, ['Group', 'Member', 'Reviewers', 'Outcome', 'By', 'When', 'Note'], entry.items.map((i) => [
      i.groupName, i.memberName, i.reviewerGroup, i.outcome ?? 'to review', i.decidedByName ?? '', i.decidedAt ? time(i.decidedAt) : '',
      i.note ?? (i.platformGroup ? `members kept in ${i.platformGroup}: change them there` : i.outcome === 'kept-unanswered' ? 'unanswered: kept, flagged' : ''),
    ]), 'No members were under review.')}</section>`;
  });
  const body = html`${sections.length > 0 ? sections : html`<p>No access review yet: start one with <code>elevate review start</code>.</p>`}`;
  return page(ctx, { title: 'Access reviews', body });
}
