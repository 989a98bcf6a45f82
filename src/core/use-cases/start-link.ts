import { runChange, type EngineContext } from '../context.js';
import { NotAllowedError, NotSupportedError } from '../errors.js';
import { formatLinkCode, hashLinkCode, LINK_CODE_SECONDS, MAX_CODES_PER_WINDOW } from '../linking.js';
import type { Actor } from '../ports.js';
import { normalizeIdentity } from '../principals.js';
import { addSeconds, type Instant } from '../time.js';

export interface LinkCodeIssued {
  /** As people type it: `ABCD-EFGH`. Shown once; only its hash is stored. */
  code: string;
  expiresAt: Instant;
  purpose: 'chat' | 'web';
}

/** The account an actor acted through, without its installation (`slack:U1@T1` → `slack:U1`). */
export function bareIdentity(actor: Actor): string | undefined {
  if (actor.kind !== 'principal' || !actor.identity) return undefined;
  const identity = actor.identity.replace(/@[^@:]*$/, '');
  return normalizeIdentity(identity);
}

/**
 * Shows a chat user a one-time code that proves, typed on their other platform (`chat`) or
 * opened in the web console after signing in (`web`), that one person holds both accounts.
 * Ten minutes, single use, at most a few per account at a time.
 */
export async function startLink(ctx: EngineContext, actor: Actor, purpose: 'chat' | 'web'): Promise<LinkCodeIssued> {
  const identity = bareIdentity(actor);
  if (actor.kind !== 'principal' || !identity || actor.viaOperator) {
    throw new NotAllowedError('link codes are shown to a person in chat (Slack or Teams): admins link accounts with elevate principal link');
  }
  return runChange(ctx, actor, { action: 'link.start', subject: identity }, async (change) => {
    const recent = await change.tx.countLinkCodesIssued(identity, addSeconds(change.now, -LINK_CODE_SECONDS));
    if (recent >= MAX_CODES_PER_WINDOW) {
      throw new NotAllowedError(`you asked for ${recent} link codes in the last ${LINK_CODE_SECONDS / 60} minutes: use one of them, or wait`);
    }
    if (purpose === 'web' && !ctx.config.publicUrl) {
      throw new NotSupportedError('the web console is not configured on this server (ELEVATE_PUBLIC_URL)');
    }
    const code = ctx.ids.secretCode();
    const expiresAt = addSeconds(change.now, LINK_CODE_SECONDS);
    await change.tx.insertLinkCode({
      codeHash: hashLinkCode(code), principalId: actor.principalId, identity, purpose, createdAt: change.now, expiresAt, usedAt: null,
    });
    change.audit('link.codeIssued', actor.principalId, { identity, purpose, expiresAt });
    return { code: formatLinkCode(code), expiresAt, purpose };
  });
}
