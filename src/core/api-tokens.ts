import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiToken, TokenScope } from './model.js';
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

export type TokenRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'not_entitled';

/**
 * Why a token's principal may no longer hold its scope, or undefined. A token never gives more
 * than its principal has (admin: an admin; auditor: an auditor or admin), and a requester token
 * never sees more than a person's own work (so its principal is neither an admin nor an auditor).
 */
export function scopeMismatch(scope: TokenScope, principalLabel: string, roles: { admin: boolean; auditor: boolean }): string | undefined {
  if (scope === 'admin' && !roles.admin) return `${principalLabel} is not an Elevate admin, so an admin token cannot act as them`;
  if (scope === 'auditor' && !roles.admin && !roles.auditor) return `${principalLabel} is neither an auditor nor an admin, so an auditor token cannot act as them`;
  if (scope === 'requester' && (roles.admin || roles.auditor)) {
    return `${principalLabel} is an ${roles.admin ? 'admin' : 'auditor'}: a requester token acting as them would see everything they see; use an ${roles.admin ? 'admin' : 'auditor'} token`;
  }
  return undefined;
}

/** Why a token may not be used at `now`, or undefined when it may. */
export function tokenRefusal(token: ApiToken | undefined, secret: string, now: Instant): TokenRefusal | undefined {
  if (!token || !secretMatches(token, secret)) return 'unknown';
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return undefined;
}
