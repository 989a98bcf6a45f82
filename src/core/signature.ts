import { canonicalJson } from './audit.js';
import { hmacHex, sameHex, type KeySet } from './keyring.js';
import type { AccessRequest, Grant } from './model.js';

/**
 * Signatures over what a decision relies on (DESIGN rule 10), so a row changed behind Elevate's
 * back is refused instead of acted on. Written `s1:<key id>:<hex HMAC-SHA256>`: the key id says
 * which key of the keyring (src/core/keyring.ts) made it, so old keys keep verifying after a
 * rotation. A request is signed over what its requester asked for and what its approval needs
 * (never its status, which decisions change); a grant over who holds what, when, from which
 * request, and whether it is still in force (re-signed at every change).
 */
const PREFIX = 's1';

type RequestFacts = Pick<AccessRequest,
  'id' | 'requesterId' | 'requesterIdentity' | 'policyId' | 'policyVersion' | 'target' | 'durationSeconds' | 'reason' | 'ticket'
  | 'createdAt' | 'deadlineAt' | 'change' | 'approvalsRequired' | 'origin' | 'extendsGrantId'> & { startsAt?: AccessRequest['startsAt']; breakGlass?: boolean };

type GrantFacts = Pick<Grant, 'id' | 'requestId' | 'principalId' | 'policyId' | 'target' | 'startsAt' | 'endsAt' | 'status' | 'endedAt'> & { breakGlass?: boolean };

function requestText(r: RequestFacts): string {
  return canonicalJson({
    kind: 'request', id: r.id, requesterId: r.requesterId, requesterIdentity: r.requesterIdentity, policyId: r.policyId,
    policyVersion: r.policyVersion, target: r.target, durationSeconds: r.durationSeconds, reason: r.reason, ticket: r.ticket,
    createdAt: r.createdAt, deadlineAt: r.deadlineAt, change: r.change, approvalsRequired: r.approvalsRequired, origin: r.origin,
    extendsGrantId: r.extendsGrantId,
    // A scheduled window's start is signed when there is one; requests without one keep their earlier text.
    ...(r.startsAt ? { startsAt: r.startsAt } : {}),
    // Likewise break-glass: a request granted without approval says so in what it signs.
    ...(r.breakGlass ? { breakGlass: true } : {}),
  });
}

/** The fields an earlier version signed (plain hex signatures, key `legacy`). */
function legacyRequestText(r: RequestFacts): string {
  const { id, requesterId, target, durationSeconds, reason, ticket, createdAt, deadlineAt, change } = r;
  return canonicalJson({ id, requesterId, target, durationSeconds, reason, ticket, createdAt, deadlineAt, change });
}

function grantText(g: GrantFacts): string {
  return canonicalJson({
    kind: 'grant', id: g.id, requestId: g.requestId, principalId: g.principalId, policyId: g.policyId, target: g.target,
    startsAt: g.startsAt, endsAt: g.endsAt, status: g.status, endedAt: g.endedAt,
    // A break-glass grant keeps its mark: clearing it in the database would break the signature.
    ...(g.breakGlass ? { breakGlass: true } : {}),
  });
}

function sign(keys: KeySet, text: string): string {
  return `${PREFIX}:${keys.active.id}:${hmacHex(keys.active, text)}`;
}

function verify(keys: KeySet, signature: string | null, text: string, legacyText?: string): boolean {
  if (!signature) return false;
  const parts = signature.split(':');
  if (parts.length === 3 && parts[0] === PREFIX) {
    const key = keys.byId.get(parts[1]!);
    return key !== undefined && sameHex(hmacHex(key, text), parts[2]!);
  }
  const legacy = keys.byId.get('legacy');
  return legacyText !== undefined && legacy !== undefined && /^[0-9a-f]{64}$/.test(signature) && sameHex(hmacHex(legacy, legacyText), signature);
}

export function signRequest(keys: KeySet, request: RequestFacts): string {
  return sign(keys, requestText(request));
}

export function verifyRequestSignature(keys: KeySet, request: RequestFacts & { signature: string }): boolean {
  return verify(keys, request.signature, requestText(request), legacyRequestText(request));
}

export function signGrant(keys: KeySet, grant: GrantFacts): string {
  return sign(keys, grantText(grant));
}

export function verifyGrantSignature(keys: KeySet, grant: GrantFacts & { signature: string | null }): boolean {
  return verify(keys, grant.signature, grantText(grant));
}

/** A grant with its signature made anew (after any change to it). */
export function signed<G extends Grant>(keys: KeySet, grant: G): G {
  return { ...grant, signature: signGrant(keys, grant) };
}
