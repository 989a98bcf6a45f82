import { html, type Html } from '../html.js';
import { csrfField, page, type PageContext } from '../layout.js';

export function signInPage(ctx: PageContext, options: { oidc: boolean; devSignIn: boolean; returnTo: string; notice?: string | null; error?: string | null }): Html {
  const returnQuery = options.returnTo === '/' ? '' : `?return=${encodeURIComponent(options.returnTo)}`;
  const body = html`
${options.oidc ? html`<p><a class="button primary" href="/signin/oidc${returnQuery}">Sign in with your company account</a></p>` : ''}
${options.devSignIn ? html`<section aria-labelledby="h-dev"><h2 id="h-dev">Development sign-in</h2>
<p>Sign in as anyone: a principal (<code>slack:UURSULA</code>, <code>teams:…</code>, <code>oidc:…</code>, a linked email) or a plain name (signs in as <code>oidc:&lt;name&gt;</code>).</p>
<form method="post" action="/signin/dev" class="stack">
<input type="hidden" name="return" value="${options.returnTo}">
<div class="field"><label for="dev-principal">Sign in as</label><input id="dev-principal" name="principal" required autocomplete="username"></div>
<p><button type="submit" class="primary">Sign in</button></p></form></section>` : ''}
${!options.oidc && !options.devSignIn ? html`<p>The web console has no sign-in configured. An operator sets <code>ELEVATE_OIDC_ISSUER</code>,
<code>ELEVATE_OIDC_CLIENT_ID</code>, <code>ELEVATE_OIDC_CLIENT_SECRET</code> and <code>ELEVATE_PUBLIC_URL</code> (see the README), or, to try Elevate on this machine only,
<code>ELEVATE_WEB_DEV_SIGNIN=true</code>.</p>` : ''}`;
  return page(ctx, { title: 'Sign in', body, notice: options.notice ?? null, error: options.error ?? null });
}

/** `/link?code=…` from `/elevate link web` in chat: confirm linking that chat account to the person signed in. */
export function linkPage(ctx: PageContext, code: string, options: { error?: string | null } = {}): Html {
  const who = ctx.roles?.principal?.displayName ?? ctx.session?.identity ?? 'you';
  const body = html`
<p>A chat account asked to be linked to your Elevate identity with code <strong>${code}</strong>.
Link it only if you asked for this code yourself, in chat, just now.</p>
<form method="post" action="/link" class="stack">${csrfField(ctx)}<input type="hidden" name="code" value="${code}">
<p><button type="submit" class="primary">Link that chat account to ${who}</button></p></form>`;
  return page(ctx, { title: 'Link a chat account', body, error: options.error ?? null });
}

export function notFoundPage(ctx: PageContext): Html {
  return page(ctx, { title: 'Not found', body: html`<p>There is nothing at this address. <a href="/">Go home</a>.</p>` });
}
