import { InvalidInputError, NotFoundError } from './errors.js';
import type { Principal } from './model.js';
import type { Change } from './context.js';
import type { StoreTx } from './ports.js';

/** Chat platforms whose identities get cards and notices; a principal is written `platform:id`. */
export const PLATFORMS = ['slack', 'teams'] as const;

// Slack ids are upper-case letters and digits (U…, W…); Teams uses Entra object ids (GUIDs) and,
// in tests and older tenants, other opaque ids; OIDC subjects are opaque and case-sensitive.
const IDENTITY_PATTERNS: Record<string, RegExp> = {
  slack: /^slack:[A-Za-z0-9]{2,40}$/,
  teams: /^teams:[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/,
  oidc: /^oidc:[\x21-\x7e]{1,255}$/,
};
const EMAIL_PATTERN = /^[^\s@<>]{1,64}@[^\s@<>]{1,190}\.[^\s@<>]{1,60}$/;
const PRINCIPAL_ID_PATTERN = /^P-[A-Z0-9]{4,40}$/;

export function isEmail(text: string): boolean {
  return text.length <= 254 && EMAIL_PATTERN.test(text);
}

export function platformOf(identity: string): string {
  return identity.slice(0, identity.indexOf(':'));
}

/**
 * The one spelling of an identity: Slack ids upper case, Teams object ids lower case (Entra ids are
 * GUIDs, compared case-insensitively), OIDC subjects as given. Undefined when it is not one.
 */
export function normalizeIdentity(text: string): string | undefined {
  const trimmed = text.trim();
  const platform = platformOf(trimmed).toLowerCase();
  const pattern = IDENTITY_PATTERNS[platform];
  if (!pattern) return undefined;
  const id = trimmed.slice(platform.length + 1);
  const identity = platform === 'slack' ? `slack:${id.toUpperCase()}` : platform === 'teams' ? `teams:${id.toLowerCase()}` : `oidc:${id}`;
  return pattern.test(identity) ? identity : undefined;
}

/** Checks a principal reference: `slack:U123`, `teams:<id>`, `oidc:<subject>`, an email address or a principal id. */
export function parsePrincipalRef(ref: string): { identity: string } | { email: string } | { principalId: string } {
  const text = ref.trim();
  const identity = normalizeIdentity(text);
  if (identity) return { identity };
  if (isEmail(text)) return { email: text.toLowerCase() };
  if (PRINCIPAL_ID_PATTERN.test(text.toUpperCase())) return { principalId: text.toUpperCase() };
  throw new InvalidInputError(
    `principal "${ref.slice(0, 80)}" is not valid: write slack:U123, teams:<user id>, a verified email address or a principal id (P-…)`,
    { field: 'principal' },
  );
}

/**
 * The one principal a verified address names. Addresses count only as their pinned platform
 * verified them; an address two principals have names nobody for sure, so the reference is
 * refused with the candidates listed.
 */
export async function principalByEmail(tx: StoreTx, email: string): Promise<Principal> {
  const found = await tx.findPrincipalsByEmail(email);
  if (found.length === 0) {
    throw new NotFoundError(
      `no principal has the verified address ${email}: name them by slack:U…, teams:… or their principal id`,
      { field: 'principal' },
    );
  }
  if (found.length > 1) {
    const candidates = found.map((p) => `${p.id} (${p.identities.join(', ') || 'no identities'})`);
    throw new InvalidInputError(
      `${email} is the verified address of ${found.length} principals: name one of them instead: ${candidates.join('; ')}`,
      { field: 'principal', candidates: found.map((p) => p.id) },
    );
  }
  return found[0]!;
}

/**
 * Finds the principal a reference names. Platform identities are created on first sight (the
 * operator names real accounts); an email must be a verified address of exactly one principal.
 */
export async function resolvePrincipal(change: Change, ref: string): Promise<Principal> {
  const parsed = parsePrincipalRef(ref);
  if ('email' in parsed) return principalByEmail(change.tx, parsed.email);
  if ('principalId' in parsed) return requirePrincipalId(change.tx, parsed.principalId);
  return ensurePrincipal(change, parsed.identity, 'named');
}

/**
 * The principal of an identity, created (holding nothing, audited) when Elevate has never seen it:
 * `named` by an admin or the operator, or a member of a platform group (`directory`).
 */
export async function ensurePrincipal(change: Change, identity: string, how: 'named' | 'directory'): Promise<Principal> {
  const existing = await change.tx.findPrincipalByIdentity(identity);
  if (existing) return existing;
  const principal: Principal = { id: change.ctx.ids.next('principal'), displayName: null, email: null, identities: [identity], emails: [] };
  await change.tx.insertPrincipal(principal, { identity, email: null, linkedBy: 'first sight' }, change.now);
  change.audit('principal.created', principal.id, { identity, by: how === 'named' ? 'named in a command' : 'member of a platform group' });
  return principal;
}

async function requirePrincipalId(tx: StoreTx, id: string): Promise<Principal> {
  const principal = await tx.getPrincipal(id);
  if (!principal) throw new NotFoundError(`principal ${id} does not exist`, { field: 'principal' });
  return principal;
}

/** Finds an existing principal without creating one; NotFoundError otherwise. */
export async function findPrincipal(tx: StoreTx, ref: string): Promise<Principal> {
  const parsed = parsePrincipalRef(ref);
  if ('email' in parsed) return principalByEmail(tx, parsed.email);
  if ('principalId' in parsed) return requirePrincipalId(tx, parsed.principalId);
  const principal = await tx.findPrincipalByIdentity(parsed.identity);
  if (!principal) throw new NotFoundError(`principal ${parsed.identity} is not known to Elevate`, { field: 'principal' });
  return principal;
}

/**
 * Whether two principals are one person: the same principal, or accounts whose pinned platforms
 * verified the same address for both (not linked yet, still one person: one vote, no self-approval).
 */
export function samePerson(a: Principal, b: Principal): boolean {
  return a.id === b.id || a.emails.some((email) => b.emails.includes(email));
}

/** A name people recognise: display name, else email, else the first identity. */
export function principalLabel(principal: Principal | undefined, fallback = 'unknown'): string {
  if (!principal) return fallback;
  return principal.displayName ?? principal.email ?? principal.identities[0] ?? principal.id;
}

export async function principalLabels(tx: StoreTx, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const principals = unique.length > 0 ? await tx.getPrincipals(unique) : [];
  return new Map(principals.map((p) => [p.id, principalLabel(p)]));
}
