import type { Principal } from './model.js';

/**
 * A person in a message or a table: "Carol (slack:UCAROL)", or the identity alone when no name
 * is known, so people are recognisable and still unambiguous.
 */
export function describePerson(principal: Principal | undefined, fallback: string): string {
  if (!principal) return fallback;
  const identity = principal.identities[0] ?? principal.id;
  return principal.displayName && principal.displayName !== identity ? `${principal.displayName} (${identity})` : identity;
}
