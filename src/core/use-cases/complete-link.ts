import { runChange, type EngineContext } from '../context.js';
import { ConflictError, InvalidInputError, NotAllowedError } from '../errors.js';
import {
  describeAccounts, hashLinkCode, holdingsOf, LINK_ATTEMPT_WINDOW_SECONDS, MAX_FAILED_ATTEMPTS, mergeInto, normalizeLinkCode,
} from '../linking.js';
import type { Principal } from '../model.js';
import type { Actor } from '../ports.js';
import { platformOf } from '../principals.js';
import { addSeconds, toMillis } from '../time.js';
import { bareIdentity } from './start-link.js';

export interface LinkCompleted {
  principal: Principal;
  /** The accounts that joined it. */
  linked: string[];
}

type Outcome = { ok: true; value: LinkCompleted } | { ok: false; error: Error };

/**
 * Links the account typing a link code with the account it was shown to: the proof that one
 * person holds both. The principal that holds something (roles, access, requests, tokens) keeps
 * its id and takes the other's accounts; when both hold something, the person sorts that out
 * first (or an admin links them). Wrong, expired, used or other-platform codes are refused,
 * audited, and counted: a few wrong codes per account per quarter hour.
 */
export async function completeLink(ctx: EngineContext, actor: Actor, codeText: string): Promise<LinkCompleted> {
  const identity = bareIdentity(actor);
  if (actor.kind !== 'principal' || !identity || actor.viaOperator) {
    throw new NotAllowedError('link codes are typed by a person in chat or the web console: admins link accounts with elevate principal link');
  }
  const code = normalizeLinkCode(codeText);
  if (!code) throw new InvalidInputError('a link code is 8 letters and digits, like ABCD-EFGH', { field: 'code' });
  const outcome = await runChange<Outcome>(ctx, actor, { action: 'link.complete', subject: identity }, async (change) => {
    const { tx } = change;
    const failures = await tx.countFailedLinkAttempts(identity, addSeconds(change.now, -LINK_ATTEMPT_WINDOW_SECONDS));
    if (failures >= MAX_FAILED_ATTEMPTS) {
      throw new NotAllowedError(`too many wrong link codes: wait ${LINK_ATTEMPT_WINDOW_SECONDS / 60} minutes, then ask for a new code`);
    }
    // A wrong code is recorded and answered without rolling back, so guesses are counted.
    const refuse = async (reason: string, error: Error): Promise<Outcome> => {
      await tx.recordFailedLinkAttempt(identity, change.now);
      change.audit('link.refused', actor.principalId, { identity, reason });
      return { ok: false, error };
    };
    const issued = await tx.getLinkCode(hashLinkCode(code));
    if (!issued) return refuse('unknown code', new NotAllowedError('that link code is not valid: check it, or ask for a new one'));
    if (issued.usedAt !== null) return refuse('code already used', new NotAllowedError('that link code was already used: ask for a new one'));
    if (toMillis(issued.expiresAt) <= toMillis(change.now)) {
      return refuse('code expired', new NotAllowedError(`that link code expired at ${issued.expiresAt}: ask for a new one`));
    }
    const issuerPlatform = platformOf(issued.identity);
    const here = platformOf(identity);
    if (issued.purpose === 'web' ? here !== 'oidc' : here === issuerPlatform || here === 'oidc') {
      return refuse('wrong platform', new NotAllowedError(issued.purpose === 'web'
        ? 'that code links a chat account to the web console: open its link after signing in'
        : `that code was shown on ${issuerPlatform}: type it on your other platform, not on ${here}`));
    }
    if (!(await tx.useLinkCode(issued.codeHash, change.now))) {
      return refuse('code already used', new NotAllowedError('that link code was already used: ask for a new one'));
    }
    const issuer = await tx.findPrincipalByIdentity(issued.identity);
    const mine = await tx.findPrincipalByIdentity(identity);
    if (!issuer || !mine) throw new ConflictError('one of the two accounts is no longer known to Elevate: ask for a new code');
    if (issuer.id === mine.id) throw new ConflictError(`these accounts are already linked: ${describeAccounts(mine)}`);
    const [issuerHolds, mineHolds] = [await holdingsOf(tx, issuer, change.now), await holdingsOf(tx, mine, change.now)];
    if (issuerHolds.length > 0 && mineHolds.length > 0) {
      throw new ConflictError(
        `both accounts hold something (${issued.identity}: ${issuerHolds.join(', ')}; ${identity}: ${mineHolds.join(', ')}): `
        + 'finish or cancel what one of them holds, or ask an admin to link them, then try again',
      );
    }
    const [survivor, absorbed] = mineHolds.length > 0 ? [mine, issuer] : [issuer, mine];
    const principal = await mergeInto(change, survivor, absorbed, issued.purpose === 'web' ? 'oidc' : 'code', { shownTo: issued.identity, typedBy: identity });
    return { ok: true, value: { principal, linked: absorbed.identities } };
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
