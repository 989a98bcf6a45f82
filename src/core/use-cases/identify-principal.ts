import { card } from '../cards.js';
import { runChange, type EngineContext } from '../context.js';
import { InvalidInputError, NotAllowedError } from '../errors.js';
import { qualifiedIdentity, strangerReason, type PlatformOrigin, type SlackOrigin, type TeamsOrigin } from '../installations.js';
import { holdingsOf } from '../linking.js';
import type { Principal } from '../model.js';
import { messageTo } from '../notify.js';
import type { Actor } from '../ports.js';
import { isEmail, normalizeIdentity, platformOf } from '../principals.js';
import type { RefusalReporter } from './record-refusal.js';

/** An account as its platform describes it now. */
export interface PlatformProfile {
  displayName: string | null;
  /** An address the pinned platform verified (Slack `users:read.email`, Entra `mail`); null if none. */
  verifiedEmail: string | null;
  /**
   * `active`; `deactivated` (deleted, disabled); `guest` (Slack restricted / single-channel guests,
   * Entra guests); `bot`; `unknown`: the platform does not know the account (or not in this
   * workspace or tenant). Only active members get a principal.
   */
  standing: 'active' | 'deactivated' | 'guest' | 'bot' | 'unknown';
  /** The account's own workspace/org or tenant, as the platform reports it (shared channels). */
  home?: Omit<SlackOrigin, 'platform'> | Omit<TeamsOrigin, 'platform'>;
}

/** Who a chat (or web) user claims to be, with what the request and the platform said. */
export interface IdentityClaim {
  /** `slack:U123`, `teams:<aad object id>`, `oidc:<subject>`. */
  identity: string;
  /** The ids the request came with (Slack team/enterprise/app, Teams tenant); none for OIDC. */
  origin?: PlatformOrigin;
  /** Null when the platform could not be asked just now (rate limit, outage). */
  profile: PlatformProfile | null;
}

export interface Identified {
  principal: Principal;
  /** The actor to act as: the principal, with the account that acted as it came in. */
  actor: Actor & { kind: 'principal' };
}

// Names shown on cards; longer ones are platform noise.
const MAX_DISPLAY_NAME = 80;

const STANDING_REFUSALS: Record<Exclude<PlatformProfile['standing'], 'active'>, string> = {
  deactivated: 'deactivated accounts cannot use Elevate',
  guest: 'guest accounts cannot use Elevate: ask an admin of your workspace or tenant for a member account',
  bot: 'bots cannot use Elevate',
  unknown: 'your account is not a member of the workspace or tenant connected to Elevate',
};

/** Only addresses in the organisation's own domains link identities automatically; none configured: none do. */
function autoLinkable(ctx: EngineContext, email: string): boolean {
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return (ctx.config.linkEmailDomains ?? []).includes(domain);
}

function cleanName(name: string | null): string | null {
  // Control characters (newlines, terminal escapes) have no place in a name shown on cards and terminals.
  const printable = [...(name ?? '')].map((ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? ' ' : ch)).join('');
  return printable.trim().slice(0, MAX_DISPLAY_NAME) || null;
}

/**
 * Who a chat user is. A stranger (another workspace, tenant or app; a deactivated, guest, bot or
 * unknown account) gets no principal: refused and audited. A known identity keeps its verified
 * address and name current (audited when they change). A new identity gets a principal of its
 * own, or joins the principal that already has its verified address when that address is in the
 * organisation's domains and that principal holds nothing; otherwise the person proves the link
 * with a one-time code (src/core/use-cases/link-accounts.ts) and is told so.
 */
export async function identifyPrincipal(ctx: EngineContext, claim: IdentityClaim, refusals: RefusalReporter): Promise<Identified> {
  const identity = normalizeIdentity(claim.identity);
  if (!identity) throw new InvalidInputError(`"${claim.identity.slice(0, 80)}" is not a platform identity`, { field: 'identity' });
  const platform = platformOf(identity);
  if ((platform === 'slack' || platform === 'teams') && claim.origin?.platform !== platform) {
    throw new InvalidInputError(`a ${platform} account is identified with the installation its request came from`, { field: 'origin' });
  }
  const qualified = claim.origin ? qualifiedIdentity(identity, claim.origin) : identity;
  const origin = platform === 'slack' ? 'slack' : platform === 'teams' ? 'teams' : 'web';
  const refuse = async (message: string, reason: string, where: PlatformOrigin | undefined = claim.origin) => {
    const who = where ? qualifiedIdentity(identity, where) : identity;
    await refusals.report({ identity: who, origin, source: who.includes('@') ? who.slice(who.lastIndexOf('@') + 1) : who },
      { action: 'identity.refused', subject: identity, details: { reason, ...describeOrigin(where) } });
    return new NotAllowedError(message, { reason });
  };

  if (claim.origin) {
    const pinned = ctx.installations?.get(claim.origin.platform);
    const stranger = `this ${claim.origin.platform === 'slack' ? 'workspace' : 'organisation'} is not connected to Elevate`;
    const reason = strangerReason(pinned, claim.origin);
    if (reason) throw await refuse(stranger, reason);
    // Where the account itself belongs, as its platform reports it (a shared channel brings strangers in).
    const home = claim.profile?.home ? { ...claim.origin, ...claim.profile.home } as PlatformOrigin : undefined;
    const homeReason = home ? strangerReason(pinned, home) : null;
    if (homeReason) throw await refuse(stranger, homeReason, home);
  }
  const known = await ctx.store.read((tx) => tx.findPrincipalByIdentity(identity));
  const actorOf = (principal: Principal): Identified => ({
    principal, actor: { kind: 'principal', principalId: principal.id, origin, identity: qualified },
  });
  if (!claim.profile) {
    if (known) return actorOf(known);
    throw await refuse(`Elevate could not confirm your account with ${platform} just now: please try again in a minute`, 'profile unavailable');
  }
  const profile = claim.profile;
  if (profile.standing !== 'active') throw await refuse(STANDING_REFUSALS[profile.standing], `account ${profile.standing}`);
  const email = profile.verifiedEmail && isEmail(profile.verifiedEmail.trim()) ? profile.verifiedEmail.trim().toLowerCase() : null;
  const displayName = cleanName(profile.displayName);
  if (known) {
    const detail = await ctx.store.read(async (tx) => (await tx.listIdentityDetails([known.id])).find((d) => d.identity === identity));
    if (detail && detail.email === email && detail.displayName === displayName) return actorOf(known);
  }

  const system: Actor = { kind: 'system', origin, identity: qualified };
  const principal = await runChange(ctx, system, { action: 'principal.identify', subject: identity }, async (change) => {
    const { tx } = change;
    const existing = await tx.findPrincipalByIdentity(identity);
    if (existing) {
      const detail = (await tx.listIdentityDetails([existing.id])).find((d) => d.identity === identity);
      if (detail && (detail.email !== email || detail.displayName !== displayName)) {
        await tx.setIdentityProfile(identity, { displayName, email }, change.now);
        if (detail.email !== email) change.audit('principal.emailChanged', existing.id, { identity, from: detail.email, to: email, by: `${platform} profile` });
        if (detail.displayName !== displayName) change.audit('principal.renamed', existing.id, { identity, from: detail.displayName, to: displayName, by: `${platform} profile` });
      }
      return (await tx.getPrincipal(existing.id))!;
    }
    const owners = email ? await tx.findPrincipalsByEmail(email) : [];
    const owner = owners.length === 1 && email && autoLinkable(ctx, email) ? owners[0]! : undefined;
    const held = owner ? await holdingsOf(tx, owner, change.now) : [];
    if (owner && held.length === 0) {
      await tx.assignIdentity(identity, owner.id, 'verified email', change.now);
      await tx.setIdentityProfile(identity, { displayName, email }, change.now);
      change.audit('principal.linked', owner.id, { identity, email, by: 'verified email' });
      return (await tx.getPrincipal(owner.id))!;
    }
    const id = ctx.ids.next('principal');
    await tx.insertPrincipal({ id, displayName }, { identity, email, linkedBy: 'first sight' }, change.now);
    change.audit('principal.created', id, { identity, email, displayName });
    if (owner) {
      change.audit('principal.linkWithheld', id, { identity, email, candidate: owner.id, reason: `the principal with this address holds ${held.join(', ')}` });
      await messageTo(change, [id], card({
        title: 'Link your accounts to use your Elevate roles here',
        summary: `Elevate already knows ${email} on another platform, with roles or access. To act as that person here, type "link" to Elevate there and send the code it shows here ("link <code>"). Until then this account is new to Elevate.`,
        status: { tone: 'info', text: 'Accounts not linked yet' },
      }));
    } else if (email && owners.length > 0) {
      change.audit('principal.linkWithheld', id, {
        identity, email, candidates: owners.map((o) => o.id),
        reason: autoLinkable(ctx, email) ? 'several principals have this address' : 'the address is not in ELEVATE_LINK_EMAIL_DOMAINS',
      });
    }
    const created = (await tx.getPrincipal(id))!;
    return created;
  });
  return actorOf(principal);
}

function describeOrigin(origin: PlatformOrigin | undefined): Record<string, unknown> {
  if (!origin) return {};
  const { platform: _platform, ...ids } = origin;
  return Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined && v !== null));
}
