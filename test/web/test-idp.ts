import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  name: string;
  email: string;
  emailVerified: boolean;
}

export const ACR_PASSWORD = 'urn:elevate:test:password';
export const ACR_MFA = 'urn:elevate:test:mfa';

/**
 * A real OpenID provider (oidc-provider) on this machine, for the browser tests: authorization
 * code flow with PKCE, one confidential client, a plain login form (username, and an "MFA"
 * checkbox that sets the `acr`), consent granted without asking. The time a login is recorded
 * at (`auth_time`) comes from `loginTime`, so tests control how fresh a sign-in is.
 * Served at http://localhost:<port> (Elevate runs at 127.0.0.1: the browser keeps their cookies
 * apart).
 */
export async function startTestIdp(options: {
  clientId: string; clientSecret: string; redirectUri: string; accounts: Record<string, TestAccount>; loginTime: () => number;
}) {
  const logins: Array<{ account: string; maxAge: string | null; acrValues: string | null }> = [];
  const server = createServer((req, res) => void route(req, res).catch((error: unknown) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(error));
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: options.clientId, client_secret: options.clientSecret, redirect_uris: [options.redirectUri],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    async findAccount(_ctx: unknown, id: string) {
      const account = options.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, name: account.name, email: account.email, email_verified: account.emailVerified }) };
    },
    claims: { openid: ['sub', 'acr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    acrValues: [ACR_PASSWORD, ACR_MFA],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    cookies: { keys: ['elevate-test-idp-cookie-key-0123456789'] },
    // First-party client: consent is never asked.
    async loadExistingGrant(ctx: any) { // eslint-disable-line @typescript-eslint/no-explicit-any
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    renderError(ctx: any, out: Record<string, string>) { // eslint-disable-line @typescript-eslint/no-explicit-any
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>IdP error</title><h1>IdP error</h1><pre>${escape(JSON.stringify(out))}</pre>`;
    },
  });
  const callback = provider.callback();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!match) return callback(req, res);
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><title>Test IdP sign-in</title></head><body><h1>Test IdP</h1>
<form method="post" action="/interaction/${details.uid}/login">
<label for="username">Username</label> <input id="username" name="username" autofocus>
<label><input type="checkbox" name="mfa" value="on"> MFA</label>
<button type="submit">Sign in to IdP</button></form></body></html>`);
      return;
    }
    const body = new URLSearchParams(await readBody(req));
    const account = body.get('username') ?? '';
    if (!options.accounts[account]) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('unknown account');
      return;
    }
    logins.push({ account, maxAge: details.params.max_age ?? null, acrValues: details.params.acr_values ?? null });
    await provider.interactionFinished(req, res, {
      login: { accountId: account, ts: Math.floor(options.loginTime() / 1000), acr: body.get('mfa') === 'on' ? ACR_MFA : ACR_PASSWORD },
    }, { mergeWithLastSubmission: false });
  }

  return {
    issuer,
    /** Each time someone typed a username: who, and the max_age / acr_values Elevate asked for. */
    logins,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function escape(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}
