import * as client from 'openid-client';
import type { Logger } from 'pino';
import { toInstant } from '../core/time.js';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `${ELEVATE_PUBLIC_URL}/auth/callback`: registered at the identity provider. */
  redirectUri: string;
  /** ELEVATE_STEP_UP_MAX_AGE in seconds: the `max_age` of a step-up sign-in. */
  stepUpMaxAgeSeconds: number;
  /** ELEVATE_STEP_UP_ACR: the `acr_values` of a step-up sign-in (none when empty). */
  stepUpAcrValues: string[];
}

/** Who signed in, from the ID token (and the UserInfo endpoint for claims the token leaves out). */
export interface OidcIdentity {
  subject: string;
  displayName: string | null;
  /** Only an address the provider says is verified (`email_verified: true`). */
  verifiedEmail: string | null;
  /** `auth_time`; null when the provider sent none (then the sign-in counts as not fresh). */
  authTime: string | null;
  acr: string | null;
}

// Scopes for the subject, the name and the email (OpenID Connect Core, section 5.4).
const SCOPES = 'openid profile email';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * OpenID Connect sign-in with the authorization code flow and PKCE (S256), as a confidential
 * client (client_secret_basic), through `openid-client`. The provider's metadata is discovered
 * on first use and kept; a failed discovery is tried again on the next sign-in.
 * http:// issuers are accepted only on this machine (tests, a local provider).
 */
export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(private readonly settings: OidcSettings, private readonly logger: Logger) {}

  private config(): Promise<client.Configuration> {
    this.configuration ??= (async () => {
      const issuer = new URL(this.settings.issuer);
      const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
      return client.discovery(issuer, this.settings.clientId, undefined, client.ClientSecretBasic(this.settings.clientSecret), {
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
    })().catch((error: unknown) => {
      this.configuration = undefined;
      this.logger.error({ err: error, issuer: this.settings.issuer }, 'OpenID Connect discovery failed');
      throw error;
    });
    return this.configuration;
  }

  /** Fresh secrets for one sign-in: state, nonce and the PKCE verifier. */
  newSecrets(): { state: string; nonce: string; codeVerifier: string } {
    return { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
  }

  /**
   * Where to send the browser. A step-up sign-in asks for an authentication no older than
   * ELEVATE_STEP_UP_MAX_AGE (`max_age`) and, when configured, of the `acr_values` named.
   */
  async authorizationUrl(login: { state: string; nonce: string; codeVerifier: string; stepUp: boolean }): Promise<string> {
    const config = await this.config();
    const parameters: Record<string, string> = {
      redirect_uri: this.settings.redirectUri, scope: SCOPES, response_type: 'code', state: login.state, nonce: login.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(login.codeVerifier), code_challenge_method: 'S256',
    };
    if (login.stepUp) {
      parameters.max_age = String(this.settings.stepUpMaxAgeSeconds);
      if (this.settings.stepUpAcrValues.length > 0) parameters.acr_values = this.settings.stepUpAcrValues.join(' ');
    }
    return client.buildAuthorizationUrl(config, parameters).href;
  }

  /**
   * Completes a sign-in from the provider's answer (`callbackUrl`, with `code` and `state`):
   * checks state, nonce, PKCE and the ID token's signature, issuer, audience and expiry
   * (openid-client), then reads the claims. Throws on any mismatch or provider error.
   */
  async complete(callbackUrl: URL, login: { state: string; nonce: string; codeVerifier: string }): Promise<OidcIdentity> {
    const config = await this.config();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: login.codeVerifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('the identity provider sent no ID token');
    // Providers put name and email in the ID token or only behind the UserInfo endpoint.
    const info: Record<string, unknown> = { ...claims };
    if (info.email === undefined || info.name === undefined) {
      try {
        const userInfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        for (const [key, value] of Object.entries(userInfo)) if (info[key] === undefined) info[key] = value;
      } catch (error) {
        this.logger.warn({ err: error }, 'OpenID Connect UserInfo failed; signing in without name and email');
      }
    }
    const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
    const email = text(info.email);
    return {
      subject: claims.sub,
      displayName: text(info.name) ?? text(info.preferred_username),
      verifiedEmail: email && info.email_verified === true ? email : null,
      authTime: typeof claims.auth_time === 'number' ? toInstant(claims.auth_time * 1000) : null,
      acr: text(claims.acr),
    };
  }
}
