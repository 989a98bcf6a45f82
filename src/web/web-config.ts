import type { Config } from '../config.js';

/** What the web console needs from the configuration, checked; a problem names its variables. */
export interface WebConfig {
  publicUrl: string | null;
  oidc: { issuer: string; clientId: string; clientSecret: string; stepUpMaxAgeSeconds: number; stepUpAcrValues: string[] } | null;
  devSignIn: boolean;
  session: { idleSeconds: number; maxSeconds: number };
  stepUp: { available: boolean; maxAgeSeconds: number };
  /** Where the server must listen: 127.0.0.1 when the development sign-in is on and HOST is unset. */
  host: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Checks the web console's variables together: the identity provider needs its three variables
 * and ELEVATE_PUBLIC_URL (its redirect URI is `${ELEVATE_PUBLIC_URL}/auth/callback`); the public
 * URL must be https unless it is this machine; the development sign-in only ever listens on a
 * loopback address. Throws an Error naming the variables otherwise.
 */
export function webConfig(config: Config): WebConfig {
  const oidcVariables = { ELEVATE_OIDC_ISSUER: config.ELEVATE_OIDC_ISSUER, ELEVATE_OIDC_CLIENT_ID: config.ELEVATE_OIDC_CLIENT_ID, ELEVATE_OIDC_CLIENT_SECRET: config.ELEVATE_OIDC_CLIENT_SECRET };
  const given = Object.entries(oidcVariables).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (given.length > 0 && given.length < 3) {
    const missing = Object.keys(oidcVariables).filter((k) => !given.includes(k));
    throw new Error(`invalid configuration: ${missing.join(', ')}: company sign-in needs ELEVATE_OIDC_ISSUER, ELEVATE_OIDC_CLIENT_ID and ELEVATE_OIDC_CLIENT_SECRET together`);
  }
  if (given.length === 3 && !config.ELEVATE_PUBLIC_URL) {
    throw new Error('invalid configuration: ELEVATE_PUBLIC_URL: company sign-in needs the address people open Elevate at (its redirect URI is ELEVATE_PUBLIC_URL/auth/callback)');
  }
  if (config.ELEVATE_PUBLIC_URL) {
    const url = new URL(config.ELEVATE_PUBLIC_URL);
    if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
      throw new Error('invalid configuration: ELEVATE_PUBLIC_URL: must be https:// (http:// only for 127.0.0.1 or localhost): sessions travel in its cookies');
    }
    if (url.search || url.hash) throw new Error('invalid configuration: ELEVATE_PUBLIC_URL: give the address without ? or #');
  }
  if (config.ELEVATE_WEB_SESSION_MAX < config.ELEVATE_WEB_SESSION_IDLE) {
    throw new Error('invalid configuration: ELEVATE_WEB_SESSION_MAX: must not be shorter than ELEVATE_WEB_SESSION_IDLE');
  }
  const devSignIn = config.ELEVATE_WEB_DEV_SIGNIN === 'true';
  const host = config.HOST ?? (devSignIn ? '127.0.0.1' : undefined);
  if (devSignIn && !isLoopbackHost(host!)) {
    throw new Error(`invalid configuration: ELEVATE_WEB_DEV_SIGNIN: the development sign-in lets anyone sign in as anyone, so it only runs on a loopback address, not HOST=${host}`);
  }
  const oidc = given.length === 3 ? {
    issuer: config.ELEVATE_OIDC_ISSUER!, clientId: config.ELEVATE_OIDC_CLIENT_ID!, clientSecret: config.ELEVATE_OIDC_CLIENT_SECRET!,
    stepUpMaxAgeSeconds: config.ELEVATE_STEP_UP_MAX_AGE, stepUpAcrValues: config.ELEVATE_STEP_UP_ACR,
  } : null;
  return {
    publicUrl: config.ELEVATE_PUBLIC_URL ?? null, oidc, devSignIn, host,
    session: { idleSeconds: config.ELEVATE_WEB_SESSION_IDLE, maxSeconds: config.ELEVATE_WEB_SESSION_MAX },
    stepUp: { available: oidc !== null, maxAgeSeconds: config.ELEVATE_STEP_UP_MAX_AGE },
  };
}
