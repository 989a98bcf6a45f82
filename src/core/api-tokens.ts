import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from './model.js';
import type { Instant } from './time.js';

// `elv_<token id>_<32 random bytes, base64url>`: the id finds the row, the rest is the secret.
const SECRET_PATTERN = /^elv_(TOK-[0-9A-Z]{1,32})_([A-Za-z0-9_-]{43})$/;
const SECRET_BYTES = 32;

export function newTokenSecret(tokenId: string): string {
  return `elv_${tokenId}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** SHA-256 is enough here: the secret is 256 random bits, not a password to brute-force. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The token id a presented secret claims, or undefined when it is not an Elevate token at all. */
export function tokenIdOfSecret(secret: string): string | undefined {
  return SECRET_PATTERN.exec(secret)?.[1];
}

export function secretMatches(token: ApiToken, secret: string): boolean {
  const presented = Buffer.from(hashTokenSecret(secret), 'hex');
  const stored = Buffer.from(token.secretHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export type TokenRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired';

/** Why a token may not be used at `now`, or undefined when it may. */
export function tokenRefusal(token: ApiToken | undefined, secret: string, now: Instant): TokenRefusal | undefined {
  if (!token || !secretMatches(token, secret)) return 'unknown';
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return undefined;
}
