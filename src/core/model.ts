import type { OnCallNote } from './on-call.js';
import type { Instant } from './time.js';

/**
 * Where an action came from; recorded on every audit record. `hook`: the outbox dispatcher
 * reporting a provisioning hook attempt; `web`: the web console (a signed-in browser session).
 */
export type Origin = 'cli' | 'api' | 'slack' | 'teams' | 'scheduler' | 'hook' | 'web';

export const TARGET_TYPES = ['task', 'role', 'roleGroup'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/** `Scope\Name`, e.g. `Exchange\Search-Mailbox`. The key is its lower-cased form. */
export interface Target {
  type: TargetType;
  scope: string;
  name: string;
}

/** The built-in target of protected configuration changes. */
export const CONFIGURATION_TARGET: Target = { type: 'task', scope: 'Elevate', name: 'Elevate\\Configuration' };

export type Approval = 'manual' | 'auto';

export interface Policy {
  id: string;
  target: Target;
  approval: Approval;
  /** Null: the default approver group of the settings. */
  approverGroupId: string | null;
  approvalsRequired: number;
  defaultDurationSeconds: number;
  maxDurationSeconds: number | null;
  reasonRequired: boolean;
  reasonPattern: string | null;
  reasonHint: string | null;
  /** Null: everyone may request. */
  eligibleGroupId: string | null;
  /** Who gets the reminder of a request still pending; null: the approvers. */
  escalationGroupId: string | null;
  /** A channel (`slack:C0123`) that also gets the approval card, with its buttons. */
  approversChannel: string | null;
  /** Whether each approver also gets the card by direct message. */
  approverDms: boolean;
  /**
   * The provisioning hook (named in the server's ELEVATE_HOOKS) called when a grant starts and
   * ends; role and role-group policies only. Null: none.
   */
  hook: string | null;
  /**
   * Approvals need a fresh sign-in with the company's identity provider (step-up, see
   * src/core/step-up.ts): accepted only from the web console, never from a chat click.
   */
  approvalStepUp: boolean;
  /** On-call schedules (src/core/on-call.ts) whose people on call are approved at once; empty: none. */
  onCall: string[];
  /** Members of this group may grant themselves access at once (break-glass, src/core/break-glass.ts); null: nobody. */
  breakGlassGroupId: string | null;
  /** The longest break-glass grant; null: one hour (within ELEVATE_MAX_GRANT_DURATION). */
  breakGlassMaxDurationSeconds: number | null;
  /** Break-glass uses allowed per person on this policy in any 24 hours. */
  breakGlassPerDay: number;
  createdAt: Instant;
  updatedAt: Instant;
}

/**
 * A person, known by one or more identities (`slack:U123`, `teams:<aad id>`, `oidc:<subject>`).
 * Identities become one principal only through a proof that one person controls them (see
 * src/core/linking.ts); `emails` are the addresses a pinned installation verified for them.
 */
export interface Principal {
  id: string;
  displayName: string | null;
  /** The first of `emails`, for display and notices; null when no identity has a verified address. */
  email: string | null;
  identities: string[];
  /** Verified addresses of its identities, lower case, in identity order, without repeats. */
  emails: string[];
}

/** How an identity came to belong to its principal. */
export const LINK_METHODS = ['first sight', 'verified email', 'code', 'admin', 'oidc', 'unlinked'] as const;
export type LinkMethod = (typeof LINK_METHODS)[number];

/** One identity of a principal, with what its platform vouched for. */
export interface IdentityDetail {
  identity: string;
  principalId: string;
  /** The address its pinned installation verified, lower case; null when none. */
  email: string | null;
  /** The name its platform shows. */
  displayName: string | null;
  linkedBy: LinkMethod;
  addedAt: Instant | null;
  updatedAt: Instant | null;
}

export type GroupSource = 'elevate' | 'directory';

export interface Group {
  id: string;
  name: string;
  description: string | null;
  /** `directory`: members are resolved through the Directory port from `directoryRef`. */
  source: GroupSource;
  directoryRef: string | null;
  createdAt: Instant;
}

export const REQUEST_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface AccessRequest {
  id: string;
  requesterId: string;
  /** The account that asked (`slack:U1@T1`…); null for requests made before identities were recorded. */
  requesterIdentity: string | null;
  /** Null for requests on the built-in configuration target. */
  policyId: string | null;
  /** The policy's `updatedAt` when the request was made (signed: the rules it was made under). */
  policyVersion: Instant | null;
  /** For an extension: the grant it would extend (only that one; it is closed when the grant ends). */
  extendsGrantId: string | null;
  target: Target;
  durationSeconds: number;
  reason: string | null;
  ticket: string | null;
  status: RequestStatus;
  createdAt: Instant;
  deadlineAt: Instant;
  decidedAt: Instant | null;
  /** Principal id of the decider; null when the system decided (auto, expiry). */
  decidedBy: string | null;
  decisionComment: string | null;
  approvalsRequired: number;
  /** The grant this request created or extended, once approved. */
  grantId: string | null;
  /** For configuration requests: the change to apply on approval, exactly as requested. */
  change: ConfigurationChange | null;
  origin: Origin;
  remindedAt: Instant | null;
  /**
   * A scheduled window's planned start (`request … --start`): the grant made on approval waits in
   * status `scheduled` until then and ends at this start plus `durationSeconds`. Null: access from approval.
   */
  startsAt: Instant | null;
  /** Reminders sent while it was pending. */
  remindersSent: number;
  /** Break-glass: granted at once without approval, reviewed afterwards (absent: false). */
  breakGlass?: boolean;
  signature: string;
  /** What the on-call check found (policies with on-call schedules); null or absent when none ran. */
  onCall?: OnCallNote | null;
}

export type DecisionKind = 'approve' | 'deny';

export interface Decision {
  requestId: string;
  approverId: string;
  /** The account that decided; compared by person when counting approvals (null: recorded before). */
  approverIdentity: string | null;
  kind: DecisionKind;
  comment: string | null;
  decidedAt: Instant;
  origin: Origin;
}

/**
 * `failed`: the provisioning hook could not start the grant; its end hook undoes any partial assignment.
 * `scheduled`: approved for a window that has not started; the scheduler makes it `active` at its start.
 */
export const GRANT_STATUSES = ['active', 'expired', 'revoked', 'relinquished', 'failed', 'scheduled'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export interface Grant {
  id: string;
  requestId: string;
  principalId: string;
  policyId: string;
  target: Target;
  startsAt: Instant;
  endsAt: Instant;
  status: GrantStatus;
  endedAt: Instant | null;
  endedBy: string | null;
  endComment: string | null;
  expiryNoticeAt: Instant | null;
  updatedAt: Instant;
  /** The policy's provisioning hook when the grant started (its end goes to the same hook); null: none. */
  hook: string | null;
  /** When the start hook succeeded; null while it has not (or there is no hook). */
  hookStartedAt: Instant | null;
  /** When the end hook succeeded; until then the holder may still have the role outside Elevate. */
  hookEndedAt: Instant | null;
  /** When admins were alerted that the end hook keeps failing (once per grant). */
  hookAlertedAt: Instant | null;
  /** Over who holds what, when, from which request and whether it is in force (src/core/signature.ts); null before signing. */
  signature: string | null;
  /** Made by break-glass (absent: false): shown as such on every card, list, check answer and report. */
  breakGlass?: boolean;
}

/** Settings that admins change at run time (stored), as opposed to start-up configuration. */
export interface Settings {
  pamEnabled: boolean;
  /** `auto`: on once there are two or more admins. */
  protectedConfiguration: 'auto' | 'on' | 'off';
  /** Audit feed conversations chosen in chat (`audit-here`), by platform. */
  feedConversations: Record<string, string>;
}

/** A policy as written by an admin; absent optional fields take their defaults. */
export interface PolicyInput {
  target: Target;
  approval: Approval;
  approverGroup?: string | null;
  approvalsRequired?: number;
  defaultDurationSeconds?: number;
  maxDurationSeconds?: number | null;
  reasonRequired?: boolean;
  reasonPattern?: string | null;
  reasonHint?: string | null;
  eligibleGroup?: string | null;
  escalationGroup?: string | null;
  approversChannel?: string | null;
  approverDms?: boolean;
  /** A hook named in the server configuration (ELEVATE_HOOKS); null: none. */
  hook?: string | null;
  /** Approvals need a fresh sign-in in the web console (step-up); default false. */
  approvalStepUp?: boolean;
  /** On-call schedules (`pagerduty:PABC123`, `opsgenie:Ops`) whose people on call are approved at once; default none. */
  onCall?: string[];
  /** Who may break glass (a group name); default null: nobody. Never on Elevate\\Configuration. */
  breakGlassGroup?: string | null;
  /** The longest break-glass grant; default null (one hour, within the global cap). */
  breakGlassMaxDurationSeconds?: number | null;
  /** Break-glass uses per person on the policy in any 24 hours; default 2. */
  breakGlassPerDay?: number;
}

/** The changes that protected configuration routes through approval. */
export type ConfigurationChange =
  | { kind: 'policy.create'; policy: PolicyInput }
  | { kind: 'policy.update'; targetName: string; patch: Partial<Omit<PolicyInput, 'target'>> }
  /** `activeGrants`: what happens to the policy's active grants (required when it has any). */
  | { kind: 'policy.remove'; targetName: string; activeGrants?: 'end' | 'keep' }
  | { kind: 'group.create'; name: string; description: string | null; directoryRef: string | null }
  | { kind: 'group.addMember'; group: string; member: string }
  | { kind: 'group.removeMember'; group: string; member: string }
  | { kind: 'pam.disable' }
  /** Only inside a `document.apply` (enabling PAM alone is done directly, see set-pam-enabled). */
  | { kind: 'pam.enable' }
  /**
   * A configuration document applied as one change (src/core/configuration-document.ts): its
   * changes in order, and the plan lines people approved.
   */
  | { kind: 'document.apply'; changes: ConfigurationChange[]; plan: string[] }
  | { kind: 'feed.set'; platform: string; conversation: string }
  | { kind: 'settings.protectedConfiguration'; mode: Settings['protectedConfiguration'] }
  /** Adds `identity` (and the rest of its principal, which must hold nothing) to `principal`. */
  | { kind: 'principal.link'; principal: string; identity: string }
  /** Moves `identity` out of its principal into a new one of its own. */
  | { kind: 'principal.unlink'; identity: string };

export interface AuditRecord {
  seq: number;
  at: Instant;
  /** Principal id, or `operator` (server CLI), or `system`. */
  actor: string;
  /**
   * The account that acted, as it came in (`slack:U123@T0ACME`, `teams:<aad>@<tenant>`,
   * `token:TOK-…`, `cli:slack:U1` for `--as`); null for the operator, the system and old records.
   */
  actorIdentity: string | null;
  origin: Origin;
  action: string;
  subject: string;
  details: Record<string, unknown>;
  /** The audit key that made `mac` and `hash` (src/core/keyring.ts); null for records of an unkeyed chain. */
  keyId: string | null;
  /** HMAC of the record's content, made when it was written. */
  mac: string | null;
  prevHash: string;
  /** HMAC over the sequence, the previous hash and `mac`: the chain. */
  hash: string;
}

/**
 * What a REST API token may do, on top of what its principal may do anyway:
 * `admin` everything; `auditor` reads (audit, reports, requests, grants); `requester` ask for,
 * cancel, relinquish and extend access as its principal; `checker` only the enforcement check.
 */
export const TOKEN_SCOPES = ['admin', 'auditor', 'checker', 'requester'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** A REST API bearer token; the secret itself is never stored, only its hash. */
export interface ApiToken {
  id: string;
  name: string;
  scope: TokenScope;
  /** Who the token acts as; null for `checker` tokens, which act as nobody. */
  principalId: string | null;
  secretHash: string;
  createdAt: Instant;
  /** Audit label of who created it. */
  createdBy: string;
  expiresAt: Instant | null;
  revokedAt: Instant | null;
  lastUsedAt: Instant | null;
}

/**
 * An access review campaign (src/core/reviews.ts): reviewers decide, member by member, who keeps
 * their place in the groups under review; unanswered items are handled as `unanswered` says when
 * the campaign closes. `every`: the next campaign starts that long after this one started.
 */
export interface ReviewCampaign {
  id: string;
  scope: 'policies' | 'groups' | 'all';
  unanswered: 'keep' | 'remove';
  everySeconds: number | null;
  status: 'open' | 'closed';
  startedAt: Instant;
  /** Principal id, or `operator`. */
  startedBy: string;
  /** Reviewers with items left are reminded then. */
  remindAt: Instant;
  /** Unanswered items are escalated to the admins then. */
  deadlineAt: Instant;
  /** Unanswered items are handled as `unanswered` says then, and the campaign closes. */
  closesAt: Instant;
  remindedAt: Instant | null;
  escalatedAt: Instant | null;
  closedAt: Instant | null;
  /** Whether the next campaign of an `every` series was started. */
  nextStarted: boolean;
}

/**
 * What became of a reviewed member: `kept`, `removed`, `kept-unanswered` (flagged in the report),
 * `removed-unanswered`, `pending-approval` (an admin removal waiting for another admin),
 * `platform` (a platform group: changed in the platform, not by Elevate), `gone` (no longer a member).
 */
export type ReviewOutcome = 'kept' | 'removed' | 'kept-unanswered' | 'removed-unanswered' | 'pending-approval' | 'platform' | 'gone';

export interface ReviewItem {
  id: string;
  campaignId: string;
  seq: number;
  groupId: string;
  groupName: string;
  principalId: string;
  /** How the member is named (their first account). */
  member: string;
  /** The group whose members review this item. */
  reviewerGroup: string;
  /** Why the group is reviewed, e.g. `approvers of Exchange\\Search-Mailbox`. */
  reason: string;
  /** The platform group it is kept in; null for Elevate-kept groups. */
  platformGroup: string | null;
  decision: 'keep' | 'remove' | null;
  decidedBy: string | null;
  decidedAt: Instant | null;
  decidedOrigin: Origin | null;
  outcome: ReviewOutcome | null;
  note: string | null;
}

/** Where the approvers' review of a break-glass use stands. */
export type BreakGlassReviewStatus = 'pending' | 'acknowledged' | 'flagged';

/** One break-glass use (src/core/break-glass.ts), by its grant, and its review by the approvers. */
export interface BreakGlassUse {
  grantId: string;
  requestId: string;
  principalId: string;
  policyId: string;
  targetName: string;
  reason: string;
  usedAt: Instant;
  endsAt: Instant;
  /** The approvers review it by then (ELEVATE_BREAK_GLASS_REVIEW after the use); then the admins are told. */
  reviewDueAt: Instant;
  status: BreakGlassReviewStatus;
  reviewedAt: Instant | null;
  reviewedBy: string | null;
  reviewComment: string | null;
  remindedAt: Instant | null;
  remindersSent: number;
  escalatedAt: Instant | null;
}
