import { InvalidInputError, NotFoundError } from './errors.js';
import type { Principal } from './model.js';
import type { IdSource, StoreTx } from './ports.js';

/** Platforms whose identities Elevate knows; a principal is written `platform:id`. */
export const PLATFORMS = ['slack', 'teams'] as const;

// `oidc:<subject>`: a person signed in to the web console; OIDC subjects are up to 255 printable ASCII characters.
const IDENTITY_PATTERN = /^(slack|teams):[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$|^oidc:[\x21-\x7e]{1,255}$/;
const EMAIL_PATTERN = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export function isEmail(text: string): boolean {
  return EMAIL_PATTERN.test(text);
}

export function platformOf(identity: string): string {
  return identity.slice(0, identity.indexOf(':'));
}

/** Checks a principal reference: `slack:U123`, `teams:<id>` or an email address. */
export function parsePrincipalRef(ref: string): { identity: string } | { email: string } {
  const text = ref.trim();
  if (IDENTITY_PATTERN.test(text)) return { identity: text };
  if (isEmail(text)) return { email: text.toLowerCase() };
  throw new InvalidInputError(
    `principal "${ref}" is not valid: write slack:U123, teams:<user id> or a linked email address`,
    { field: 'principal' },
  );
}

/**
 * Finds the principal a reference names. Platform identities are created on first sight (they
 * are real chat users); an email must already be linked to a principal.
 */
export async function resolvePrincipal(tx: StoreTx, ids: IdSource, ref: string): Promise<Principal> {
  const parsed = parsePrincipalRef(ref);
  if ('email' in parsed) {
    const principal = await tx.findPrincipalByEmail(parsed.email);
    if (!principal) {
      throw new NotFoundError(
        `no principal is linked to ${parsed.email}: name them by slack:U… or teams:… first`,
        { field: 'principal' },
      );
    }
    return principal;
  }
  return ensurePrincipal(tx, ids, parsed.identity);
}

export async function ensurePrincipal(tx: StoreTx, ids: IdSource, identity: string): Promise<Principal> {
  const existing = await tx.findPrincipalByIdentity(identity);
  if (existing) return existing;
  const principal: Principal = { id: ids.next('principal'), displayName: null, email: null, identities: [identity] };
  await tx.insertPrincipal(principal);
  return principal;
}

/** Finds an existing principal without creating one; NotFoundError otherwise. */
export async function findPrincipal(tx: StoreTx, ref: string): Promise<Principal> {
  const parsed = parsePrincipalRef(ref);
  const principal = 'email' in parsed
    ? await tx.findPrincipalByEmail(parsed.email)
    : await tx.findPrincipalByIdentity(parsed.identity);
  if (!principal) throw new NotFoundError(`principal ${ref} is not known to Elevate`, { field: 'principal' });
  return principal;
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
