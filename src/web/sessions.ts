import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock, SignInFacts } from '../core/ports.js';
import { addSeconds, toMillis } from '../core/time.js';
import type { StoredWebLogin, StoredWebSession } from '../store/web-sessions.js';

/** What the console needs of the session store (src/store/web-sessions.ts implements it). */
export interface WebSessionStore {
  insertSession(session: StoredWebSession): Promise<void>;
  getSession(idHash: string): Promise<StoredWebSession | undefined>;
  touchSession(idHash: string, at: string): Promise<void>;
  deleteSession(idHash: string): Promise<boolean>;
  purge(now: string, idleBefore: string): Promise<number>;
  insertLogin(login: StoredWebLogin): Promise<void>;
  takeLogin(idHash: string): Promise<StoredWebLogin | undefined>;
}

export interface SessionSettings {
  /** ELEVATE_WEB_SESSION_IDLE: a session unused this long ends. */
  idleSeconds: number;
  /** ELEVATE_WEB_SESSION_MAX: a session ends this long after sign-in, however active. */
  maxSeconds: number;
  /** Cookies only over https (ELEVATE_PUBLIC_URL is https): then also `__Host-` names. */
  secure: boolean;
}

/** A signed-in browser, as a request sees it. */
export interface WebSession {
  idHash: string;
  principalId: string;
  identity: string;
  csrfToken: string;
  signIn: SignInFacts;
  expiresAt: string;
}

// A session signed out (or removed) on another instance stops working here within this long;
// on the instance that signed it out, at once. API tokens are cached the same way.
const CACHE_MS = 1000;
const CACHE_MAX = 10_000;
// A sign-in must come back from the identity provider within this long.
const LOGIN_SECONDS = 10 * 60;
// 256-bit secrets: unguessable session and sign-in cookies.
const SECRET_BYTES = 32;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Compares two strings in constant time (CSRF tokens, sign-in state). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Server-side sessions: the browser holds only a random secret in an httpOnly cookie; the
 * database holds its hash with who signed in, how and when, so any instance serves the browser
 * and signing out or expiry ends the session everywhere at once. Every change through the
 * console carries the session's CSRF token.
 */
export class SessionManager {
  readonly sessionCookie: string;
  readonly loginCookie: string;
  // Activity is recorded at most this often: a write per page view would cost more than the view.
  private readonly touchEverySeconds: number;
  /** Sessions read recently, by id hash (monotonic time of the read). Expiry is still checked on every use. */
  private readonly cache = new Map<string, { stored: StoredWebSession; readAtMs: number }>();

  constructor(private readonly store: WebSessionStore, private readonly clock: Clock, readonly settings: SessionSettings) {
    this.sessionCookie = settings.secure ? '__Host-elevate_session' : 'elevate_session';
    this.loginCookie = settings.secure ? '__Host-elevate_signin' : 'elevate_signin';
    this.touchEverySeconds = Math.max(1, Math.min(60, Math.floor(settings.idleSeconds / 10)));
  }

  /** Starts a session (a new secret every sign-in: a session id is never reused across sign-ins). */
  async create(principalId: string, identity: string, signIn: SignInFacts): Promise<{ secret: string; session: WebSession }> {
    const secret = newSecret();
    const now = this.clock.now();
    const stored: StoredWebSession = {
      idHash: hashSecret(secret), principalId, identity, method: signIn.method, authTime: signIn.authTime, acr: signIn.acr,
      csrfToken: newSecret(), createdAt: now, lastSeenAt: now, expiresAt: addSeconds(now, this.settings.maxSeconds),
    };
    await this.store.insertSession(stored);
    // Expired sessions and abandoned sign-ins are cleared as new ones start.
    await this.store.purge(now, addSeconds(now, -this.settings.idleSeconds));
    return { secret, session: toSession(stored) };
  }

  /**
   * The session of a cookie's secret, if it is still valid: not past its absolute end, not idle
   * longer than allowed. Records activity (at most every few seconds). An ended one is removed.
   */
  async check(secret: string | undefined): Promise<WebSession | null> {
    if (!secret || secret.length > 100) return null;
    const idHash = hashSecret(secret);
    const stored = await this.read(idHash);
    if (!stored) return null;
    const now = this.clock.now();
    const nowMs = toMillis(now);
    if (nowMs >= toMillis(stored.expiresAt) || nowMs - toMillis(stored.lastSeenAt) >= this.settings.idleSeconds * 1000) {
      this.cache.delete(idHash);
      await this.store.deleteSession(idHash);
      return null;
    }
    if (nowMs - toMillis(stored.lastSeenAt) >= this.touchEverySeconds * 1000) {
      await this.store.touchSession(idHash, now);
      stored.lastSeenAt = now;
    }
    return toSession(stored);
  }

  async end(secret: string | undefined): Promise<boolean> {
    if (!secret) return false;
    this.cache.delete(hashSecret(secret));
    return this.store.deleteSession(hashSecret(secret));
  }

  /** The stored session, from the cache when read within CACHE_MS (another instance may have moved its activity on: the later time wins). */
  private async read(idHash: string): Promise<StoredWebSession | undefined> {
    const nowMs = performance.now();
    const cached = this.cache.get(idHash);
    if (cached && nowMs - cached.readAtMs < CACHE_MS) return cached.stored;
    const stored = await this.store.getSession(idHash);
    if (!stored) {
      this.cache.delete(idHash);
      return undefined;
    }
    if (cached && cached.stored.lastSeenAt > stored.lastSeenAt) stored.lastSeenAt = cached.stored.lastSeenAt;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(idHash, { stored, readAtMs: nowMs });
    return stored;
  }

  /** Remembers a sign-in in progress under a new secret (the sign-in cookie). */
  async beginLogin(login: Omit<StoredWebLogin, 'idHash' | 'createdAt' | 'expiresAt'>): Promise<string> {
    const secret = newSecret();
    const now = this.clock.now();
    await this.store.insertLogin({ ...login, idHash: hashSecret(secret), createdAt: now, expiresAt: addSeconds(now, LOGIN_SECONDS) });
    return secret;
  }

  /** The sign-in in progress of a sign-in cookie, once; undefined when unknown, used or too old. */
  async takeLogin(secret: string | undefined): Promise<StoredWebLogin | undefined> {
    if (!secret || secret.length > 100) return undefined;
    const login = await this.store.takeLogin(hashSecret(secret));
    if (!login || toMillis(this.clock.now()) >= toMillis(login.expiresAt)) return undefined;
    return login;
  }
}

function toSession(stored: StoredWebSession): WebSession {
  return {
    idHash: stored.idHash, principalId: stored.principalId, identity: stored.identity, csrfToken: stored.csrfToken, expiresAt: stored.expiresAt,
    signIn: { method: stored.method, authTime: stored.authTime, acr: stored.acr },
  };
}
