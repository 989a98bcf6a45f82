import { createHash } from 'node:crypto';
import { ADMINS_GROUP, AUDITORS_GROUP, type Change } from './context.js';
import type { LinkMethod, Principal } from './model.js';
import type { StoreTx } from './ports.js';
import { toMillis, type Instant } from './time.js';

/** How long a link code may be typed on the other platform (DESIGN: short-lived, single use). */
export const LINK_CODE_SECONDS = 10 * 60;
/** Codes one account may be shown per LINK_CODE_SECONDS. */
export const MAX_CODES_PER_WINDOW = 5;
/** Wrong codes one account may type per LINK_ATTEMPT_WINDOW_SECONDS: 5 guesses of 32^8 codes. */
export const MAX_FAILED_ATTEMPTS = 5;
export const LINK_ATTEMPT_WINDOW_SECONDS = 15 * 60;

const CODE_PATTERN = /^[0-9A-Z]{8}$/;

/** A code as people type it (`abcd-efgh`, `ABCD EFGH`) in its one spelling, or undefined when it cannot be one. */
export function normalizeLinkCode(text: string): string | undefined {
  const compact = text.replace(/[\s-]/g, '').toUpperCase();
  return CODE_PATTERN.test(compact) ? compact : undefined;
}

/** `ABCD-EFGH`: easier to read out and type. */
export function formatLinkCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Only a hash of a code is stored: a database reader cannot use a pending code. */
export function hashLinkCode(code: string): string {
  return createHash('sha256').update(`elevate-link:${code}`).digest('hex');
}

/**
 * What a principal holds that an account linked into it would gain: roles (admins, auditors,
 * any Elevate group: approver, eligible, escalation groups), active grants, pending requests and
 * live API tokens. Empty: linking into it gives nothing away.
 */
export async function holdingsOf(tx: StoreTx, principal: Principal, now: Instant): Promise<string[]> {
  const held: string[] = [];
  const groupIds = await tx.listGroupIdsOf(principal.id);
  if (groupIds.length > 0) {
    const names = new Map((await tx.listGroups()).map((g) => [g.id, g.name]));
    const groups = groupIds.map((id) => names.get(id) ?? id).sort();
    const roles = groups.filter((g) => g === ADMINS_GROUP || g === AUDITORS_GROUP);
    const others = groups.filter((g) => g !== ADMINS_GROUP && g !== AUDITORS_GROUP);
    if (roles.length > 0) held.push(`member of ${roles.join(' and ')}`);
    if (others.length > 0) held.push(`member of group${others.length > 1 ? 's' : ''} ${others.join(', ')}`);
  }
  const grants = await tx.listGrants({ principalId: principal.id, status: 'active', limit: 1 });
  if (grants.length > 0) held.push('active access');
  const requests = await tx.listRequests({ requesterId: principal.id, status: 'pending', limit: 1 });
  if (requests.length > 0) held.push('a pending request');
  const tokens = (await tx.listApiTokens()).filter((t) => t.principalId === principal.id && t.revokedAt === null
    && (t.expiresAt === null || toMillis(t.expiresAt) > toMillis(now)));
  if (tokens.length > 0) held.push('API tokens');
  return held;
}

/**
 * Moves every identity of `absorbed` into `survivor` (audited one by one), leaving `absorbed` with
 * none: its history (requests, decisions, audit) keeps its id. Returns the survivor as it is now.
 */
export async function mergeInto(
  change: Change,
  survivor: Principal,
  absorbed: Principal,
  method: LinkMethod,
  details: Record<string, unknown> = {},
): Promise<Principal> {
  for (const identity of absorbed.identities) {
    await change.tx.assignIdentity(identity, survivor.id, method, change.now);
    change.audit('principal.linked', survivor.id, { identity, from: absorbed.id, by: method, ...details });
  }
  return (await change.tx.getPrincipal(survivor.id))!;
}

/** "slack:U1 (Alice)": how the accounts of a principal are named in answers. */
export function describeAccounts(principal: Principal): string {
  return `${principal.identities.join(', ') || principal.id}${principal.displayName ? ` (${principal.displayName})` : ''}`;
}
