import { runChange, type EngineContext } from '../context.js';
import { InvalidInputError } from '../errors.js';
import type { Principal } from '../model.js';
import { isEmail, parsePrincipalRef } from '../principals.js';

export interface PlatformProfile {
  displayName: string | null;
  /** An address the platform has verified (Slack users:read.email, Entra UPN/mail); null if none. */
  verifiedEmail: string | null;
}

/** Only addresses in the organisation's own domains may link identities, when those are configured. */
function linkable(ctx: EngineContext, email: string): boolean {
  const domains = ctx.config.linkEmailDomains ?? [];
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return domains.length === 0 || domains.includes(domain);
}

// Names shown on cards; longer ones are platform noise.
const MAX_DISPLAY_NAME = 80;

/**
 * Who a chat user is: finds or creates the principal of a platform identity and keeps its name
 * and verified email current. A new identity whose verified email belongs to an existing
 * principal is linked to that principal, so one person on Slack and Teams is one principal.
 */
export async function identifyPrincipal(ctx: EngineContext, identity: string, profile: PlatformProfile): Promise<Principal> {
  const parsed = parsePrincipalRef(identity);
  if (!('identity' in parsed)) throw new InvalidInputError(`"${identity}" is not a platform identity`, { field: 'identity' });
  const email = profile.verifiedEmail && isEmail(profile.verifiedEmail) && linkable(ctx, profile.verifiedEmail) ? profile.verifiedEmail.toLowerCase() : null;
  const displayName = profile.displayName?.trim().slice(0, MAX_DISPLAY_NAME) || null;
  const unchanged = await ctx.store.read(async (tx) => {
    const known = await tx.findPrincipalByIdentity(identity);
    return known && known.displayName === displayName && (email === null || known.email === email) ? known : undefined;
  });
  if (unchanged) return unchanged;
  return runChange(ctx, { kind: 'system', origin: parsed.identity.startsWith('slack:') ? 'slack' : parsed.identity.startsWith('oidc:') ? 'web' : 'teams' },
    { action: 'principal.identify', subject: identity }, async (change) => {
      const { tx } = change;
      const byEmail = email ? await tx.findPrincipalByEmail(email) : undefined;
      let principal = await tx.findPrincipalByIdentity(identity);
      if (!principal && byEmail) {
        await tx.addIdentity(byEmail.id, identity);
        change.audit('principal.linked', byEmail.id, { identity, email, by: 'verified email' });
        principal = { ...byEmail, identities: [...byEmail.identities, identity] };
      }
      if (!principal) {
        principal = { id: ctx.ids.next('principal'), displayName, email: byEmail ? null : email, identities: [identity] };
        await tx.insertPrincipal(principal);
      }
      // An email already used by another principal is not taken over: that would merge two people.
      const newEmail = principal.email ?? (byEmail && byEmail.id !== principal.id ? null : email);
      if (principal.displayName !== displayName || principal.email !== newEmail) {
        await tx.updatePrincipalProfile(principal.id, { displayName: displayName ?? principal.displayName, email: newEmail });
        principal = { ...principal, displayName: displayName ?? principal.displayName, email: newEmail };
      }
      return principal;
    });
}
