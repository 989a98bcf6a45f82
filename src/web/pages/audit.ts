import type { ServerResponse } from 'node:http';
import { auditExportHeader, auditExportLine } from '../../csv.js';
import type { Elevate } from '../../core/elevate.js';
import { formatDuration } from '../../core/duration.js';
import type { AuditRecord } from '../../core/model.js';
import type { Actor, AuditFilter } from '../../core/ports.js';
import { Html, html } from '../html.js';
import { page, table, time, type PageContext } from '../layout.js';
import { dateParam } from './requests.js';

const PAGE_SIZE = 100;
// Without a start date the log opens on its last week: the whole log is for exports.
const DEFAULT_DAYS = 7;

function filterOf(ctx: PageContext): Omit<AuditFilter, 'limit'> {
  const q = ctx.url.searchParams;
  const text = (name: string) => q.get(name)?.trim().slice(0, 320) || undefined;
  return {
    from: dateParam(q.get('from')) ?? new Date(Date.parse(ctx.now) - DEFAULT_DAYS * 86_400_000).toISOString(),
    to: dateParam(q.get('to'), true), actor: text('actor'), subject: text('subject'), action: text('action'),
    afterSeq: /^\d{1,15}$/.test(q.get('cursor') ?? '') ? Number(q.get('cursor')) : undefined,
  };
}

function input(name: string, label: string, ctx: PageContext, placeholder: string): Html {
  return html`<div class="field"><label for="a-${name}">${label}</label><input id="a-${name}" name="${name}" value="${ctx.url.searchParams.get(name) ?? ''}" placeholder="${placeholder}"></div>`;
}

export async function auditPage(ctx: PageContext, elevate: Elevate, actor: Actor): Promise<Html> {
  const filter = filterOf(ctx);
  const records: AuditRecord[] = [];
  let more = false;
  for await (const record of elevate.exportAudit(actor, filter)) {
    if (records.length === PAGE_SIZE) {
      more = true;
      break;
    }
    records.push(record);
  }
  const verify = ctx.url.searchParams.get('verify') === '1' ? await elevate.verifyAudit(actor) : null;
  const exportQuery = new URLSearchParams([...ctx.url.searchParams].filter(([k]) => ['from', 'to', 'actor', 'subject', 'action'].includes(k)));
  const next = new URL(ctx.url);
  if (more) next.searchParams.set('cursor', String(records.at(-1)!.seq));
  const body = html`
<section aria-labelledby="h-verify"><h2 id="h-verify">Integrity</h2>
${verify ? html`<p class="${verify.ok ? 'notice' : 'error'}" role="status">${verify.ok ? `The hash chain is intact: ${verify.checked} records checked.` : `The chain is broken: ${verify.problem?.message ?? 'unknown problem'} (record ${verify.problem?.seq ?? '?'}).`}</p>` : ''}
<p><a class="button" href="/audit?verify=1">Verify the whole chain now</a></p>
</section>
<section aria-labelledby="h-records"><h2 id="h-records">Records</h2>
<form method="get" action="/audit" class="filters">
${input('from', 'From (date)', ctx, 'YYYY-MM-DD')}${input('to', 'To (date)', ctx, 'YYYY-MM-DD')}${input('actor', 'Actor', ctx, 'slack:U… or principal id')}
${input('subject', 'Subject', ctx, 'R-…, G-…, a target')}${input('action', 'Action', ctx, 'request.approved')}
<button type="submit">Filter</button></form>
<p>Export this selection: <a href="/audit/export?${exportQuery.toString()}&amp;format=csv">CSV</a> · <a href="/audit/export?${exportQuery.toString()}&amp;format=jsonl">JSON Lines</a></p>
${table('Audit records, oldest first', ['#', 'When', 'Actor', 'From', 'Action', 'Subject', 'Details'], records.map((r) => [
    r.seq, time(r.at), r.actor, r.origin, r.action, r.subject, html`<code class="details">${JSON.stringify(r.details)}</code>`,
  ]), `No record matches${ctx.url.searchParams.get('from') ? '' : ` in the last ${DEFAULT_DAYS} days`}.`)}
${more ? html`<nav class="pager" aria-label="Pages"><a rel="next" href="${next.pathname}${next.search}">Next page</a></nav>` : ''}
</section>`;
  return page(ctx, { title: 'Audit log', body });
}

/** Streams the selection as CSV or JSON Lines (a download), checked like the page. */
export async function exportAudit(ctx: PageContext, elevate: Elevate, actor: Actor, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  const format = ctx.url.searchParams.get('format') === 'jsonl' ? 'jsonl' : 'csv';
  const { afterSeq: _ignored, ...filter } = filterOf(ctx);
  const records = elevate.exportAudit(actor, ctx.url.searchParams.get('from') ? filter : { ...filter, from: undefined });
  const first = await records.next(); // authorization is checked here, before the 200 goes out
  res.writeHead(200, {
    ...headers,
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="elevate-audit.${format === 'csv' ? 'csv' : 'jsonl'}"`,
    'cache-control': 'no-store',
  });
  let gone = false;
  res.once('close', () => { gone = true; });
  const write = (line: string) => new Promise<void>((resolve) => {
    if (res.write(`${line}\n`)) resolve();
    else {
      res.once('drain', resolve);
      res.once('close', resolve);
    }
  });
  const header = auditExportHeader(format);
  if (header !== null) await write(header);
  if (!first.done) await write(auditExportLine(first.value, format));
  for await (const record of records) {
    if (gone) break;
    await write(auditExportLine(record, format));
  }
  res.end();
}

// ---- Usage report ------------------------------------------------------------------------------

// The report opens on the last 30 days, as `elevate report usage` does.
const DEFAULT_PERIOD_DAYS = 30;

export async function usagePage(ctx: PageContext, elevate: Elevate, actor: Actor): Promise<Html> {
  const q = ctx.url.searchParams;
  const to = dateParam(q.get('to'), true) ?? ctx.now;
  const from = dateParam(q.get('from')) ?? new Date(Date.parse(to) - DEFAULT_PERIOD_DAYS * 86_400_000).toISOString();
  const target = q.get('target')?.trim() || undefined;
  const report = await elevate.usageReport(actor, { from, to, target });
  const timeline = await elevate.usageTimeline(actor, { from, to, target });
  const minutes = (s: number | null) => (s === null ? null : Math.round(s / 6) / 10);
  const chartData = {
    timeline: {
      labels: timeline.buckets.map((b) => b.start.slice(0, 10)),
      requests: timeline.buckets.map((b) => b.requests), approved: timeline.buckets.map((b) => b.approved + b.autoApproved),
      denied: timeline.buckets.map((b) => b.denied), expired: timeline.buckets.map((b) => b.expired),
      minutesToDecision: timeline.buckets.map((b) => minutes(b.medianSecondsToDecision)),
    },
    policies: {
      labels: report.policies.map((p) => p.target),
      approved: report.policies.map((p) => p.approved + p.autoApproved), denied: report.policies.map((p) => p.denied),
      expired: report.policies.map((p) => p.expired), cancelled: report.policies.map((p) => p.cancelled), pending: report.policies.map((p) => p.pending),
    },
  };
  const duration = (s: number | null) => (s === null ? '—' : formatDuration(s));
  const body = html`
<form method="get" action="/reports/usage" class="filters">
<div class="field"><label for="u-from">From (date)</label><input id="u-from" name="from" value="${from.slice(0, 10)}"></div>
<div class="field"><label for="u-to">To (date)</label><input id="u-to" name="to" value="${(q.get('to') ?? to).slice(0, 10)}"></div>
<div class="field"><label for="u-target">Target</label><input id="u-target" name="target" value="${target ?? ''}" placeholder="all"></div>
<button type="submit">Show</button></form>
<script type="application/json" id="usage-data">${jsonForScript(chartData)}</script>
<section aria-labelledby="h-over-time"><h2 id="h-over-time">Requests and decisions by ${timeline.bucket}</h2>
<figure class="chart"><canvas id="chart-timeline" role="img" aria-label="Requests and decisions by ${timeline.bucket}; the same figures are in the table below"></canvas></figure>
${table(`Requests and decisions by ${timeline.bucket}`, [timeline.bucket === 'day' ? 'Day' : 'Week of', 'Requests', 'Approved', 'Auto-approved', 'Denied', 'Expired', 'Cancelled', 'Median time to decision'],
    timeline.buckets.map((b) => [b.start.slice(0, 10), b.requests, b.approved, b.autoApproved, b.denied, b.expired, b.cancelled, duration(b.medianSecondsToDecision)]))}
</section>
<section aria-labelledby="h-ttd"><h2 id="h-ttd">Time to decision</h2>
<figure class="chart"><canvas id="chart-decision-time" role="img" aria-label="Median minutes from request to decision by ${timeline.bucket}; the figures are in the table above"></canvas></figure>
</section>
<section aria-labelledby="h-per-policy"><h2 id="h-per-policy">Per policy</h2>
<figure class="chart"><canvas id="chart-policies" role="img" aria-label="Outcomes per policy; the same figures are in the table below"></canvas></figure>
${table('Usage per policy', ['Target', 'Requests', 'Approved', 'Auto', 'Denied', 'Expired', 'Cancelled', 'Pending', 'Revoked', 'Failed', 'Median to decision', 'p90', 'Active now', 'Top requesters'],
    report.policies.map((p) => [p.target, p.requests, p.approved, p.autoApproved, p.denied, p.expired, p.cancelled, p.pending, p.revoked, p.failed,
      duration(p.medianSecondsToDecision), duration(p.p90SecondsToDecision), p.activeGrantsNow, p.topRequesters.map((t) => `${t.principal} (${t.requests})`).join(', ') || '—']),
    'No policy yet.')}
</section>`;
  return page(ctx, { title: 'Usage', body, charts: true });
}

/** JSON inside a <script type="application/json">: not HTML-escaped (entities are not decoded there), but no `<` can end the element. */
function jsonForScript(value: unknown): Html {
  return new Html(JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'));
}
