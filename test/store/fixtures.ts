import type { AccessRequest, Grant, Group, Policy, Principal } from '../../src/core/model.js';
import type { StoreTx } from '../../src/core/ports.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';

/** What each database's test file hands the contract suite. */
export interface StoreUnderTest {
  store: KyselyStore;
  close(): Promise<void>;
}

export type MakeStore = () => Promise<StoreUnderTest>;

export const T0 = '2026-11-27T09:00:00.000Z';

/** `T0` plus `seconds`. */
export function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

export function principal(id: string, identities: string[], extra: Partial<Principal> = {}): Principal {
  return { id, displayName: null, email: null, identities, emails: extra.email ? [extra.email] : [], ...extra };
}

/**
 * Inserts a principal with its identities in order; `emails` gives an identity its verified
 * address (lower-cased by the store), `names` its display name.
 */
export async function insertPrincipal(
  tx: StoreTx,
  p: Principal,
  verified: { emails?: Record<string, string>; names?: Record<string, string> } = {},
  time = T0,
): Promise<void> {
  const [first, ...rest] = p.identities;
  await tx.insertPrincipal({ id: p.id, displayName: first ? verified.names?.[first] ?? null : null },
    first ? { identity: first, email: verified.emails?.[first] ?? null, linkedBy: 'first sight' } : null, time);
  for (const identity of rest) {
    await tx.assignIdentity(identity, p.id, 'code', time);
  }
  for (const identity of rest) {
    if (verified.emails?.[identity] || verified.names?.[identity]) {
      await tx.setIdentityProfile(identity, { displayName: verified.names?.[identity] ?? null, email: verified.emails?.[identity] ?? null }, time);
    }
  }
}

export function group(id: string, name: string, extra: Partial<Group> = {}): Group {
  return { id, name, description: null, source: 'elevate', directoryRef: null, createdAt: T0, ...extra };
}

export function policy(id: string, name: string, extra: Partial<Policy> = {}): Policy {
  return {
    id,
    target: { type: 'task', scope: name.split('\\')[0]!, name },
    approval: 'manual',
    approverGroupId: null,
    onCall: [],
    approvalsRequired: 1,
    defaultDurationSeconds: 3600,
    maxDurationSeconds: null,
    reasonRequired: false,
    reasonPattern: null,
    reasonHint: null,
    eligibleGroupId: null,
    escalationGroupId: null,
    approversChannel: null,
    approverDms: true,
    hook: null,
    approvalStepUp: false,
    breakGlassGroupId: null,
    breakGlassMaxDurationSeconds: null,
    breakGlassPerDay: 2,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

export function request(id: string, extra: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id,
    requesterId: 'P-1',
    requesterIdentity: 'slack:U1@T1',
    policyId: 'POL-1',
    policyVersion: null,
    extendsGrantId: null,
    target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' },
    durationSeconds: 3600,
    reason: 'INC-1',
    ticket: null,
    status: 'pending',
    createdAt: T0,
    deadlineAt: at(86400),
    decidedAt: null,
    decidedBy: null,
    decisionComment: null,
    approvalsRequired: 1,
    grantId: null,
    change: null,
    origin: 'slack',
    remindedAt: null,
    startsAt: null,
    remindersSent: 0,
    signature: `sig-${id}`,
    onCall: null,
    ...extra,
  };
}

export function grant(id: string, extra: Partial<Grant> = {}): Grant {
  return {
    id,
    requestId: 'R-1',
    principalId: 'P-1',
    policyId: 'POL-1',
    target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' },
    startsAt: T0,
    endsAt: at(3600),
    status: 'active',
    endedAt: null,
    endedBy: null,
    endComment: null,
    expiryNoticeAt: null,
    updatedAt: T0,
    hook: null,
    hookStartedAt: null,
    hookEndedAt: null,
    hookAlertedAt: null,
    signature: `s1:s-test:${id}`,
    ...extra,
  };
}
