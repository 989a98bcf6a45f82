import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Elevate } from '../core/elevate.js';
import { InvalidInputError, isElevateError, NotAllowedError, type ErrorCode } from '../core/errors.js';
import type { Actor, Clock } from '../core/ports.js';
import { loadAssets } from './assets.js';
import type { Html } from './html.js';
import { cookie, parseCookies, readForm, redirect, safeReturnPath, securityHeaders, sendHtml } from './http.js';
import { page, type PageContext } from './layout.js';
import { OidcSignIn, type OidcSettings } from './oidc.js';
import { auditPage, exportAudit, usagePage } from './pages/audit.js';
import { reviewsPage } from './pages/reviews.js';
import { breakGlassConfirmPage } from './pages/break-glass.js';
import { groupsPage, newPolicyInput, outcomeNotice, policiesPage, policyPatch } from './pages/configuration.js';
import {
  approvalsPage, everythingPage, homePage, myRequestsPage, NOTICES, requestFormPage, requestPage, type StepUpInfo,
} from './pages/requests.js';
import { linkPage, notFoundPage, signInPage } from './pages/signin.js';
import { sameSecret, SessionManager, type WebSession, type WebSessionStore } from './sessions.js';

export interface WebConsoleOptions {
  elevate: Elevate;
  clock: Clock;
  logger: Logger;
  store: WebSessionStore;
  /** ELEVATE_PUBLIC_URL without a trailing slash; null: the console works on the address it is reached at (development only). */
  publicUrl: string | null;
  /** The identity provider; null when not configured. */
  oidc: Omit<OidcSettings, 'redirectUri'> | null;
  devSignIn: boolean;
  session: { idleSeconds: number; maxSeconds: number };
  stepUp: StepUpInfo;
}

const STATUS_OF: Record<ErrorCode, number> = { invalid_input: 400, not_allowed: 403, not_found: 404, conflict: 409, not_supported: 409 };
// The time an unknown `auth_time` stands for: so long ago that it never counts as fresh.
const UNKNOWN_AUTH_TIME = '1970-01-01T00:00:00.000Z';
// Principal references typed on the development form: a platform identity, an email or a plain name.
const DEV_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  ctx: PageContext;
  session: WebSession | null;
  actor: Actor | null;
  headers: Record<string, string>;
  secret: string | undefined;
}

/**
 * The web console, mounted on the one HTTP server: sign-in (OpenID Connect, or the development
 * form), server-side sessions, CSRF checks on every change, strict security headers, and the
 * pages. Every page asks the core (the Elevate facade) what the person may see and do; nothing
 * here decides who may see what.
 */
export function createWebConsole(options: WebConsoleOptions) {
  const { elevate, clock, logger } = options;
  const assets = loadAssets();
  const secure = options.publicUrl?.startsWith('https://') === true;
  const sessions = new SessionManager(options.store, clock, { ...options.session, secure });
  const oidc = options.oidc && options.publicUrl ? new OidcSignIn({ ...options.oidc, redirectUri: `${options.publicUrl}/auth/callback` }, logger) : null;
  const baseHeaders = securityHeaders({ hsts: secure });
  const sessionCookie = (secret: string) => cookie(sessions.sessionCookie, secret, { secure, sameSite: 'Lax' });
  const clearSession = cookie(sessions.sessionCookie, '', { secure, sameSite: 'Lax', maxAge: 0 });

  const audit = (event: Parameters<Elevate['recordWebEvent']>[0]) => elevate.recordWebEvent(event).catch((error: unknown) => {
    logger.error({ err: error, action: event.action }, 'could not audit a web console event');
  });

  const send = (call: Call, status: number, page: Html, extra: Record<string, string | string[]> = {}) => sendHtml(call.res, status, page, { ...call.headers, ...extra });
  const notice = (call: Call) => NOTICES[call.url.searchParams.get('notice') ?? ''] ?? null;

  /** A refused change that reached no use case: answered 403 and audited. */
  async function refuse(call: Call, reason: string, message: string): Promise<void> {
    await audit({ action: 'web.refused', principalId: call.session?.principalId ?? null, subject: `${call.req.method} ${call.url.pathname}`.slice(0, 300), details: { reason } });
    send(call, 403, errorPage(call, 'Not allowed', message));
  }

  function errorPage(call: Call, title: string, message: string): Html {
    return page(call.ctx, { title, body: '', error: message });
  }

  /** Renders an ElevateError on the page `render` draws (status from the error's code); rethrows anything else. */
  async function failWith(call: Call, error: unknown, render: (message: string) => Promise<Html>): Promise<void> {
    if (!isElevateError(error)) throw error;
    send(call, STATUS_OF[error.code], await render(error.message));
  }

  // ---- sign-in ---------------------------------------------------------------------------------

  async function startSession(call: Call, principalId: string, identity: string, signIn: WebSession['signIn'], returnTo: string, extra: Record<string, unknown>) {
    await audit({ action: 'web.signedIn', principalId, subject: identity, details: { method: signIn.method, authTime: signIn.authTime, acr: signIn.acr, ...extra } });
    if (call.secret) await sessions.end(call.secret); // a new session id at every sign-in
    const { secret } = await sessions.create(principalId, identity, signIn);
    redirect(call.res, returnTo, { ...call.headers, 'set-cookie': [sessionCookie(secret), cookie(sessions.loginCookie, '', { secure, sameSite: 'Lax', maxAge: 0 })] });
  }

  async function beginOidc(call: Call): Promise<void> {
    if (!oidc) {
      send(call, 404, notFoundPage(call.ctx));
      return;
    }
    const stepUp = call.url.searchParams.get('stepup') === '1';
    const secrets = oidc.newSecrets();
    const returnTo = safeReturnPath(call.url.searchParams.get('return'));
    let location: string;
    try {
      location = await oidc.authorizationUrl({ ...secrets, stepUp });
    } catch {
      // Discovery failed (logged by OidcSignIn); it is tried again on the next sign-in.
      send(call, 503, signInPage(call.ctx, { oidc: true, devSignIn: options.devSignIn, returnTo, error: 'The identity provider cannot be reached right now: try again in a minute.' }));
      return;
    }
    const loginSecret = await sessions.beginLogin({ ...secrets, returnTo, stepUp });
    // Lax: the provider's answer is a top-level navigation from its site back to this one.
    call.res.writeHead(302, { ...call.headers, location, 'set-cookie': cookie(sessions.loginCookie, loginSecret, { secure, sameSite: 'Lax', maxAge: 600 }) });
    call.res.end();
  }

  async function completeOidc(call: Call): Promise<void> {
    if (!oidc) {
      send(call, 404, notFoundPage(call.ctx));
      return;
    }
    const login = await sessions.takeLogin(parseCookies(call.req.headers.cookie).get(sessions.loginCookie));
    const failed = async (reason: string, message: string) => {
      await audit({ action: 'web.refused', principalId: null, subject: 'sign-in', details: { reason } });
      send(call, 400, signInPage(call.ctx, { oidc: true, devSignIn: options.devSignIn, returnTo: login?.returnTo ?? '/', error: message }));
    };
    if (!login) return failed('no sign-in in progress', 'This sign-in expired or was already used: sign in again.');
    const providerError = call.url.searchParams.get('error');
    if (providerError) return failed(`identity provider: ${providerError.slice(0, 100)}`, `The identity provider did not sign you in (${providerError.slice(0, 100)}): try again.`);
    const currentUrl = new URL(`${options.publicUrl}/auth/callback${call.url.search}`);
    let identity;
    try {
      identity = await oidc.complete(currentUrl, login);
    } catch (error) {
      logger.warn({ err: error }, 'OpenID Connect sign-in failed');
      return failed('token checks failed', 'The answer of the identity provider could not be verified: sign in again.');
    }
    const oidcIdentity = `oidc:${identity.subject}`;
    // The company's identity provider vouches for the person: no workspace or tenant to pin.
    const { principal } = await elevate.identify({ identity: oidcIdentity, profile: { displayName: identity.displayName, verifiedEmail: identity.verifiedEmail, standing: 'active' } });
    await startSession(call, principal.id, oidcIdentity, { method: 'oidc', authTime: identity.authTime ?? UNKNOWN_AUTH_TIME, acr: identity.acr }, login.returnTo, { stepUp: login.stepUp });
  }

  async function devSignInPost(call: Call): Promise<void> {
    if (!options.devSignIn) {
      send(call, 404, notFoundPage(call.ctx));
      return;
    }
    const form = await readForm(call.req);
    const typed = (form.get('principal') ?? '').trim();
    const returnTo = safeReturnPath(form.get('return'));
    const ref = DEV_NAME.test(typed) && !typed.includes(':') ? `oidc:${typed}` : typed;
    try {
      const principal = await elevate.principalFor(ref);
      await startSession(call, principal.id, ref, { method: 'dev', authTime: clock.now(), acr: null }, returnTo, {});
    } catch (error) {
      await failWith(call, error, async (message) => signInPage(call.ctx, { oidc: oidc !== null, devSignIn: true, returnTo, error: message }));
    }
  }

  // ---- pages and changes -----------------------------------------------------------------------

  async function requestAction(call: Call, id: string, action: string, form: URLSearchParams): Promise<void> {
    const actor = call.actor!;
    const comment = form.get('comment');
    const back = safeReturnPath(form.get('back') || `/requests/${encodeURIComponent(id)}`);
    try {
      if (action === 'approve') {
        const outcome = await elevate.approve(actor, { requestId: id, comment });
        return redirect(call.res, withNotice(back, outcome.outcome === 'recorded' ? 'recorded' : outcome.outcome), call.headers);
      }
      if (action === 'deny') {
        await elevate.deny(actor, { requestId: id, comment });
        return redirect(call.res, withNotice(back, 'denied'), call.headers);
      }
      if (action === 'cancel') {
        await elevate.cancelRequest(actor, id);
        return redirect(call.res, withNotice(back, 'cancelled'), call.headers);
      }
      send(call, 404, notFoundPage(call.ctx));
    } catch (error) {
      const stepUpNeeded = error instanceof NotAllowedError && (error.details.stepUp === 'stale' || error.details.stepUp === 'acr');
      await failWith(call, error, async (message) => requestPage(call.ctx, elevate, actor, id, { notice: null, error: message, stepUpNeeded, stepUp: options.stepUp })
        .catch(() => errorPage(call, 'Request', message)));
    }
  }

  async function grantAction(call: Call, id: string, action: string, form: URLSearchParams): Promise<void> {
    const actor = call.actor!;
    try {
      if (action === 'relinquish' || action === 'revoke') {
        const grant = action === 'revoke' ? await elevate.revokeGrant(actor, { grantId: id, comment: form.get('comment') }) : await elevate.relinquishGrant(actor, { grantId: id });
        return redirect(call.res, withNotice(`/requests/${encodeURIComponent(grant.requestId)}`, action === 'revoke' ? 'revoked' : 'relinquished'), call.headers);
      }
      if (action === 'acknowledge' || action === 'flag') {
        const use = await elevate.reviewBreakGlass(actor, { grantId: id, verdict: action, comment: form.get('comment') });
        return redirect(call.res, withNotice(`/requests/${encodeURIComponent(use.requestId)}`, use.status), call.headers);
      }
      if (action === 'extend') {
        const outcome = await elevate.extendGrant(actor, { grantId: id, duration: form.get('duration') ?? '', reason: form.get('reason') });
        return redirect(call.res, withNotice(`/requests/${encodeURIComponent(outcome.request.id)}`, outcome.grant ? 'extended' : 'extensionRequested'), call.headers);
      }
      send(call, 404, notFoundPage(call.ctx));
    } catch (error) {
      await failWith(call, error, async (message) => errorPage(call, 'Access', message));
    }
  }

  async function authenticated(call: Call): Promise<void> {
    const { req, url } = call;
    const actor = call.actor!;
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      const n = notice(call);
      let match: RegExpMatchArray | null;
      if (path === '/') return send(call, 200, await homePage(call.ctx, elevate, actor, n));
      if (path === '/request') {
        const target = url.searchParams.get('target') ?? undefined;
        return send(call, 200, await requestFormPage(call.ctx, elevate, actor, { target }, null));
      }
      if (path === '/requests') return send(call, 200, await myRequestsPage(call.ctx, elevate, actor, n));
      if ((match = path.match(/^\/requests\/([A-Za-z0-9-]{1,40})$/))) {
        try {
          return send(call, 200, await requestPage(call.ctx, elevate, actor, match[1]!, { notice: n, error: null, stepUp: options.stepUp }));
        } catch (error) {
          return failWith(call, error, async (message) => errorPage(call, 'Request', message));
        }
      }
      if (path === '/approvals') return send(call, 200, await approvalsPage(call.ctx, elevate, actor, n));
      const everything = async (render: () => Promise<Html>) => {
        try {
          send(call, 200, await render());
        } catch (error) {
          await failWith(call, error, async (message) => errorPage(call, 'Not allowed', message));
        }
      };
      if (path === '/all') {
        // The core shows each person only what they may see anyway; this page is the admins' and auditors' view.
        if (!call.ctx.roles?.admin && !call.ctx.roles?.auditor) return send(call, 403, errorPage(call, 'Everything', 'Only admins and auditors see everything: your own requests are under My requests.'));
        return everything(() => everythingPage(call.ctx, elevate, actor, n));
      }
      if (path === '/policies') return send(call, 200, await policiesPage(call.ctx, elevate, { notice: n, error: null, editing: url.searchParams.get('edit') }));
      if (path === '/groups') return send(call, 200, await groupsPage(call.ctx, elevate, { notice: n, error: null }));
      if (path === '/audit') return everything(() => auditPage(call.ctx, elevate, actor));
      if (path === '/audit/export') {
        try {
          return await exportAudit(call.ctx, elevate, actor, call.res, call.headers);
        } catch (error) {
          return failWith(call, error, async (message) => errorPage(call, 'Not allowed', message));
        }
      }
      if (path === '/reports/usage') return everything(() => usagePage(call.ctx, elevate, actor));
      if (path === '/reviews') return everything(() => reviewsPage(call.ctx, elevate, actor));
      if (path === '/link') {
        const code = url.searchParams.get('code') ?? '';
        if (!/^[A-Za-z0-9-]{4,64}$/.test(code)) return send(call, 400, errorPage(call, 'Link a chat account', 'This link has no valid code: ask for a new one in chat with /elevate link web.'));
        return send(call, 200, linkPage(call.ctx, code));
      }
      return send(call, 404, notFoundPage(call.ctx));
    }
    if (method !== 'POST') return send(call, 405, errorPage(call, 'Not allowed', `${method} is not used here.`), { allow: 'GET, POST' });

    const form = await readForm(req);
    // Every change carries the session's CSRF token (a form of this console, not another site's).
    if (!sameSecret(form.get('_csrf') ?? '', call.session!.csrfToken)) {
      return refuse(call, 'csrf', 'This form is out of date or did not come from Elevate: reload the page and try again.');
    }
    let match: RegExpMatchArray | null;
    if (path === '/signout') {
      await sessions.end(call.secret);
      await audit({ action: 'web.signedOut', principalId: call.session!.principalId, subject: call.session!.identity, details: {} });
      return redirect(call.res, '/signin?notice=signedOut', { ...call.headers, 'set-cookie': clearSession });
    }
    if ((match = path.match(/^\/requests\/([A-Za-z0-9-]{1,40})\/(approve|deny|cancel)$/))) return requestAction(call, match[1]!, match[2]!, form);
    if ((match = path.match(/^\/grants\/([A-Za-z0-9-]{1,40})\/(relinquish|revoke|extend|acknowledge|flag)$/))) return grantAction(call, match[1]!, match[2]!, form);
    if (path === '/request' || path === '/break-glass') {
      const values = {
        target: form.get('target') ?? '', duration: form.get('duration') ?? '', reason: form.get('reason') ?? '', ticket: form.get('ticket') ?? '', start: form.get('start') ?? '',
        mode: path === '/break-glass' ? 'breakGlass' : form.get('mode') ?? 'request',
      };
      const refused = (error: unknown) => {
        const field = isElevateError(error) && typeof error.details.field === 'string' ? error.details.field : undefined;
        return failWith(call, error, (message) => requestFormPage(call.ctx, elevate, actor, values, { message, field }));
      };
      if (values.mode === 'breakGlass') {
        try {
          if (values.start) throw new InvalidInputError('break-glass starts at once: leave "Starting when?" empty', { field: 'start' });
          // First the warning naming who will be alerted; only its own button (confirmed=yes) breaks glass.
          if (path === '/request') return send(call, 200, breakGlassConfirmPage(call.ctx, await elevate.previewBreakGlass(actor, values.target), values));
          const outcome = await elevate.breakGlass(actor, {
            target: values.target, duration: values.duration || null, reason: values.reason, ticket: values.ticket || null, confirmed: form.get('confirmed') === 'yes',
          });
          return redirect(call.res, withNotice(`/requests/${encodeURIComponent(outcome.request.id)}`, 'brokeGlass'), call.headers);
        } catch (error) {
          return refused(error);
        }
      }
      try {
        const outcome = await elevate.requestAccess(actor, { target: values.target, duration: values.duration || null, reason: values.reason, ticket: values.ticket, start: values.start || null });
        const key = outcome.existing ? 'existing' : outcome.grant ? 'granted' : 'requested';
        return redirect(call.res, withNotice(`/requests/${encodeURIComponent(outcome.request.id)}`, key), call.headers);
      } catch (error) {
        return refused(error);
      }
    }
    const configuration = async (change: () => Promise<string>, editing?: string) => {
      try {
        redirect(call.res, withNotice(path.startsWith('/groups') ? '/groups' : '/policies', await change()), call.headers);
      } catch (error) {
        await failWith(call, error, (message) => (path.startsWith('/groups')
          ? groupsPage(call.ctx, elevate, { notice: null, error: message })
          : policiesPage(call.ctx, elevate, { notice: null, error: message, editing })));
      }
    };
    if (path === '/policies') return configuration(async () => outcomeNotice(await elevate.createPolicy(actor, newPolicyInput(form))));
    if (path === '/policies/update') {
      const target = form.get('target') ?? '';
      return configuration(async () => outcomeNotice(await elevate.updatePolicy(actor, target, policyPatch(form))), target);
    }
    if (path === '/policies/remove') return configuration(async () => outcomeNotice(await elevate.removePolicy(actor, form.get('target') ?? '')));
    if (path === '/groups') {
      return configuration(async () => outcomeNotice(await elevate.createGroup(actor, form.get('name') ?? '', {
        description: form.get('description') || null, directoryRef: form.get('directoryRef') || null,
      })));
    }
    if (path === '/groups/add-member') return configuration(async () => outcomeNotice(await elevate.addGroupMember(actor, form.get('group') ?? '', form.get('member') ?? '')));
    if (path === '/groups/remove-member') return configuration(async () => outcomeNotice(await elevate.removeGroupMember(actor, form.get('group') ?? '', form.get('member') ?? '')));
    if (path === '/link') {
      const code = (form.get('code') ?? '').trim();
      try {
        await elevate.completeLink(actor, code);
        return redirect(call.res, '/?notice=applied', call.headers);
      } catch (error) {
        return failWith(call, error, async (message) => linkPage(call.ctx, code, { error: message }));
      }
    }
    return send(call, 404, notFoundPage(call.ctx));
  }

  /** Changes come only from pages of this console: a cross-site POST is refused before anything else. */
  function crossSite(req: IncomingMessage): boolean {
    const site = req.headers['sec-fetch-site'];
    if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
    const origin = req.headers.origin;
    if (typeof origin !== 'string') return false;
    const expected = options.publicUrl ? new URL(options.publicUrl).origin : `http://${req.headers.host ?? ''}`;
    return origin !== expected;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    if (path.startsWith('/assets/')) {
      const found = assets.byName.get(path.slice('/assets/'.length));
      if (!found || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { ...baseHeaders, 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found');
        return;
      }
      // Addresses carry the content hash: a year of caching is safe.
      res.writeHead(req.headers['if-none-match'] === found.etag ? 304 : 200, {
        ...baseHeaders, 'content-type': found.type, 'cache-control': 'public, max-age=31536000, immutable', etag: found.etag, 'content-length': found.body.length,
      });
      res.end(req.method === 'HEAD' || req.headers['if-none-match'] === found.etag ? undefined : found.body);
      return;
    }
    const secret = parseCookies(req.headers.cookie).get(sessions.sessionCookie);
    const session = await sessions.check(secret);
    // The account recorded on audit records: the OIDC subject, or, for the development sign-in, what was typed (never an account that can link).
    const actor: Actor | null = session ? {
      kind: 'principal', principalId: session.principalId, origin: 'web', signIn: session.signIn,
      identity: session.signIn.method === 'oidc' ? session.identity : `dev:${session.identity}`,
    } : null;
    const roles = actor ? await elevate.roles(actor) : null;
    const ctx: PageContext = { url, now: clock.now(), session, actor, roles, devSignIn: options.devSignIn, assets: { css: assets.css.path, js: assets.js.path, chart: assets.chart.path } };
    const call: Call = { req, res, url, ctx, session, actor, headers: { ...baseHeaders }, secret };
    if (req.method === 'POST' && crossSite(req)) return refuse(call, 'cross-site', 'This form did not come from Elevate.');

    if (path === '/signin' && req.method === 'GET') {
      const returnTo = safeReturnPath(url.searchParams.get('return'));
      const message = url.searchParams.get('notice') === 'signedOut' ? 'You are signed out.' : url.searchParams.get('notice') === 'expired' ? 'Your session ended: sign in again.' : null;
      return send(call, 200, signInPage(ctx, { oidc: oidc !== null, devSignIn: options.devSignIn, returnTo, notice: message }));
    }
    if (path === '/signin/oidc' && req.method === 'GET') return beginOidc(call);
    if (path === '/auth/callback' && req.method === 'GET') return completeOidc(call);
    if (path === '/signin/dev' && req.method === 'POST') return devSignInPost(call);

    if (!session) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        const expired = secret !== undefined;
        const target = `${path}${url.search}`;
        return redirect(res, `/signin?${new URLSearchParams({ ...(target !== '/' ? { return: target } : {}), ...(expired ? { notice: 'expired' } : {}) })}`, { ...call.headers, ...(expired ? { 'set-cookie': clearSession } : {}) });
      }
      return refuse(call, 'no session', 'Your session ended: sign in again, then repeat what you were doing.');
    }
    return authenticated(call);
  }

  return { handle, sessions, oidc };
}

function withNotice(path: string, key: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}notice=${encodeURIComponent(key)}`;
}

