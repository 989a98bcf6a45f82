import type { Actor } from '../core/ports.js';
import type { Roles } from '../core/use-cases/roles.js';
import { attrs, html, type Html, type HtmlValue } from './html.js';
import type { WebSession } from './sessions.js';

/** Everything a page needs to know about who is looking. */
export interface PageContext {
  url: URL;
  /** The time now, from the engine's clock. */
  now: string;
  session: WebSession | null;
  actor: Actor | null;
  roles: Roles | null;
  /** ELEVATE_WEB_DEV_SIGNIN: every page says so. */
  devSignIn: boolean;
  /** Asset paths with their content hash (cache busting). */
  assets: { css: string; js: string; chart: string };
}

interface NavItem { href: string; label: string; show: (roles: Roles) => boolean }

const NAV: NavItem[] = [
  { href: '/', label: 'Home', show: () => true },
  { href: '/request', label: 'Request access', show: () => true },
  { href: '/requests', label: 'My requests', show: () => true },
  { href: '/approvals', label: 'Approvals', show: (r) => r.approverOf > 0 || r.admin },
  { href: '/all', label: 'Everything', show: (r) => r.admin || r.auditor },
  { href: '/policies', label: 'Policies', show: () => true },
  { href: '/groups', label: 'Groups', show: () => true },
  { href: '/audit', label: 'Audit log', show: (r) => r.admin || r.auditor },
  { href: '/reports/usage', label: 'Usage', show: (r) => r.admin || r.auditor },
  { href: '/reviews', label: 'Access reviews', show: (r) => r.admin || r.auditor },
];

/** A short UTC time people can read; the exact instant stays in `datetime`. */
export function time(instant: string | null | undefined): Html {
  if (!instant) return html`—`;
  return html`<time datetime="${instant}">${instant.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.session?.csrfToken ?? ''}">`;
}

/** A small form with one button (approve, cancel, sign out…), carrying the CSRF token. */
export function actionButton(ctx: PageContext, action: string, label: string, options: { style?: 'primary' | 'danger'; fields?: Record<string, string> } = {}): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}${Object.entries(options.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}<button type="submit"${attrs({ class: options.style ?? null })}>${label}</button></form>`;
}

export function statusBadge(status: string): Html {
  return html`<span class="badge badge-${status}">${status}</span>`;
}

/**
 * A data table that scrolls sideways on a phone. `caption` names it for screen readers; an
 * empty table says so in words.
 */
export function table(caption: string, headers: string[], rows: HtmlValue[][], empty = 'Nothing to show.'): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap" role="region" aria-label="${caption}" tabindex="0"><table>
<caption>${caption}</caption>
<thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody>
</table></div>`;
}

/** The page around its content: skip link, banner, navigation, the signed-in person, notices. */
export function page(ctx: PageContext, options: { title: string; body: HtmlValue; notice?: string | null; error?: string | null; charts?: boolean }): Html {
  const roles = ctx.roles;
  const path = ctx.url.pathname;
  const current = (href: string) => path === href;
  const who = roles?.principal ? (roles.principal.displayName ?? roles.principal.email ?? ctx.session?.identity ?? '') : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Elevate</title>
<link rel="stylesheet" href="${ctx.assets.css}">
${options.charts ? html`<script src="${ctx.assets.chart}" defer></script>
<script src="${ctx.assets.js}" defer></script>` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${ctx.devSignIn ? html`<div class="dev-banner" role="note"><strong>Development sign-in:</strong> anyone can sign in as anyone here. Never expose this server.</div>` : ''}
<header class="top">
<a class="brand" href="/">Elevate</a>
${roles ? html`<nav aria-label="Main"><ul>${NAV.filter((item) => item.show(roles)).map((item) => html`<li><a href="${item.href}"${attrs({ 'aria-current': current(item.href) ? 'page' : null })}>${item.label}</a></li>`)}</ul></nav>
<div class="me"><span class="who">${who}</span>${roles.admin ? html` <span class="role">admin</span>` : ''}${roles.auditor ? html` <span class="role">auditor</span>` : ''}
<form method="post" action="/signout" class="inline">${csrfField(ctx)}<button type="submit" class="link">Sign out</button></form></div>` : ''}
</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
${options.body}
</main>
</body>
</html>`;
}

/** Links to the previous and next page of a listing. */
export function pager(ctx: PageContext, next: string | null): Html {
  if (!next) return html``;
  const url = new URL(ctx.url);
  url.searchParams.set('cursor', next);
  return html`<nav class="pager" aria-label="Pages"><a href="${url.pathname}${url.search}" rel="next">Next page</a>${ctx.url.searchParams.has('cursor') ? html` <a href="${ctx.url.pathname}">First page</a>` : ''}</nav>`;
}
