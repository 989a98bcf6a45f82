import type { ColumnType, Generated, Kysely } from 'kysely';

/**
 * The database as Kysely sees it: one interface per table, snake_case columns. Timestamps are
 * ISO-8601 UTC text, flags 0/1 integers, JSON text (house rule 7). Mapping to and from the
 * domain types of src/core/model.ts lives beside each area (principals.ts, requests.ts…).
 */
export interface Database {
  settings: SettingsTable;
  principals: PrincipalsTable;
  principal_identities: PrincipalIdentitiesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  policies: PoliciesTable;
  requests: RequestsTable;
  decisions: DecisionsTable;
  grants: GrantsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_pending: AuditPendingTable;
  cards: CardsTable;
  outbox: OutboxTable;
  message_refs: MessageRefsTable;
  conversation_refs: ConversationRefsTable;
  api_tokens: ApiTokensTable;
  leases: LeasesTable;
  outbox_channels: OutboxChannelsTable;
  link_codes: LinkCodesTable;
  integrity_violations: IntegrityViolationsTable;
  link_attempts: LinkAttemptsTable;
  seen_requests: SeenRequestsTable;
  web_sessions: WebSessionsTable;
  web_logins: WebLoginsTable;
  review_campaigns: ReviewCampaignsTable;
  review_items: ReviewItemsTable;
  break_glass_uses: BreakGlassUsesTable;
}

/** One break-glass use and its review (0017). */
export interface BreakGlassUsesTable {
  grant_id: string;
  request_id: string;
  principal_id: string;
  policy_id: string;
  target_name: string;
  reason: string;
  used_at: string;
  ends_at: string;
  review_due_at: string;
  status: string;
  reviewed_at: string | null;
  reviewed_by: string | null;
  review_comment: string | null;
  reminded_at: string | null;
  reminders_sent: number;
  escalated_at: string | null;
}

/** One row per setting; `value` is JSON. */
export interface SettingsTable {
  key: string;
  value: string;
}

export interface PrincipalsTable {
  id: string;
  display_name: string | null;
  /** Lower-cased. */
  email: string | null;
  created_at: string | null;
}

export interface PrincipalIdentitiesTable {
  identity: string;
  principal_id: string;
  /** 0 for the first identity of a principal, then 1, 2… in the order they were added (default 0). */
  position: Generated<number>;
  added_at: string | null;
  /** The address its pinned platform verified (lower case); null when none. */
  email: string | null;
  /** The name its platform shows. */
  display_name: string | null;
  /** How it came to its principal (a LinkMethod). */
  linked_by: Generated<string>;
  /** When it was last added, moved or re-verified (the check index reads changes from here). */
  updated_at: string | null;
  /** When it first opened its home view (Slack's App Home); null: never. */
  home_opened_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface GroupsTable {
  id: string;
  name: string;
  /** `name` lower-cased: group names are unique regardless of case. */
  name_key: string;
  description: string | null;
  source: string;
  directory_ref: string | null;
  created_at: string;
}

export interface GroupMembersTable {
  group_id: string;
  principal_id: string;
  added_at: string;
}

/** Columns shared by every table that names a target. */
export interface TargetColumns {
  target_key: string;
  target_type: string;
  target_scope: string;
  target_name: string;
}

export interface PoliciesTable extends TargetColumns {
  id: string;
  approval: string;
  approver_group_id: string | null;
  approvals_required: number;
  default_duration_seconds: number;
  max_duration_seconds: number | null;
  reason_required: number;
  reason_pattern: string | null;
  reason_hint: string | null;
  eligible_group_id: string | null;
  escalation_group_id: string | null;
  created_at: string;
  updated_at: string;
  approvers_channel: string | null;
  approver_dms: number;
  hook: string | null;
  /** 0/1: approvals need a fresh sign-in in the web console (default 0). */
  approval_step_up: number;
  /** On-call schedules as a JSON array (0018); null: none. */
  on_call?: string | null;
  /** Break-glass (0017). */
  break_glass_group_id?: string | null;
  break_glass_max_duration_seconds?: number | null;
  break_glass_per_day?: number;
}

export interface RequestsTable extends TargetColumns {
  id: string;
  requester_id: string;
  requester_identity: string | null;
  policy_id: string | null;
  policy_version: string | null;
  extends_grant_id: string | null;
  duration_seconds: number;
  reason: string | null;
  ticket: string | null;
  status: string;
  created_at: string;
  deadline_at: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_comment: string | null;
  approvals_required: number;
  grant_id: string | null;
  /** ConfigurationChange as JSON, for configuration requests. */
  change_json: string | null;
  origin: string;
  reminded_at: string | null;
  /** A scheduled window's planned start (0016); null: access from approval. */
  starts_at?: string | null;
  /** Reminders sent while pending (0015). */
  reminders_sent: number;
  /** What the on-call check found, as JSON (0018); null: none ran. */
  on_call?: string | null;
  /** 0/1: made by break-glass (0017). */
  break_glass?: number;
  signature: string;
  updated_at: string;
}

export interface DecisionsTable {
  request_id: string;
  approver_id: string;
  approver_identity: string | null;
  kind: string;
  comment: string | null;
  decided_at: string;
  origin: string;
}

export interface GrantsTable extends TargetColumns {
  id: string;
  request_id: string;
  principal_id: string;
  policy_id: string;
  starts_at: string;
  ends_at: string;
  status: string;
  ended_at: string | null;
  ended_by: string | null;
  end_comment: string | null;
  expiry_notice_at: string | null;
  updated_at: string;
  hook: string | null;
  hook_started_at: string | null;
  hook_ended_at: string | null;
  hook_alerted_at: string | null;
  signature: string | null;
  /** 0/1: made by break-glass (0017). */
  break_glass?: number;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  actor: string;
  actor_identity: string | null;
  origin: string;
  action: string;
  subject: string;
  /** JSON object. */
  details: string;
  key_id: string | null;
  mac: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * PostgreSQL: audit records committed but not yet chained, in (ord, idx) order (migration 0019).
 * `ord` is one `audit_order` value per transaction, taken as its last statement; the record's
 * content MAC is made at insert, its number and hash by the chainer.
 */
export interface AuditPendingTable extends Omit<AuditLogTable, 'seq' | 'prev_hash' | 'hash' | 'key_id' | 'mac'> {
  ord: number;
  idx: number;
  key_id: string;
  mac: string;
}

/** A single row, id = 1: the last record of the chain (seq 0 = empty chain). */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface CardsTable {
  card_key: string;
  /** 1 on first save, +1 on every save after. */
  version: number;
  card_json: string;
  updated_at: string | null;
}

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface OutboxTable {
  id: Generated<number>;
  platform: string;
  /** Deliveries of one channel key go out in id order (see outbox.ts). */
  channel_key: string;
  destination_json: string;
  kind: string;
  card_key: string | null;
  card_json: string | null;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  /** The HTTP request that queued it (for tracing), if any. */
  request_id: string | null;
}

export interface MessageRefsTable {
  card_key: string;
  platform: string;
  channel_key: string;
  channel: string;
  message_id: string;
  /** The card version the message shows. */
  version: number;
  created_at: string | null;
}

/** The database or a transaction on it: area functions accept either. */
export type Db = Kysely<Database>;

export interface ConversationRefsTable {
  ref_key: string;
  platform: string;
  conversation_id: string;
  service_url: string;
  tenant_id: string | null;
  platform_user_id: string | null;
  updated_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  scope: string;
  principal_id: string | null;
  /** SHA-256 of the whole secret, hex. */
  secret_hash: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** A named lease (e.g. the scheduler's pass): held by `owner` until `lease_until`; free when either is null. */
export interface LeasesTable {
  name: string;
  owner: string | null;
  lease_until: string | null;
}

/** Per outbox channel key: no delivery of the channel is claimed before `next_send_at` (pacing across instances). */
export interface OutboxChannelsTable {
  channel_key: string;
  next_send_at: string;
}

/** One-time link codes; only a SHA-256 of each code is kept. */
export interface LinkCodesTable {
  code_hash: string;
  principal_id: string;
  identity: string;
  purpose: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Wrong link codes typed, per identity (a guesser gets a few tries). */
export interface LinkAttemptsTable {
  identity: string;
  at: string;
}

/** Fingerprints of signed platform requests already handled, until they could no longer be replayed. */
export interface SeenRequestsTable {
  fingerprint: string;
  expires_at: string;
}

/** A web console session; found by the SHA-256 (hex) of the cookie's secret. */
export interface WebSessionsTable {
  id_hash: string;
  principal_id: string;
  /** The identity that signed in: `oidc:<subject>`, or the principal named on the development form. */
  identity: string;
  /** `oidc` or `dev`. */
  method: string;
  /** The identity provider's `auth_time` of the latest sign-in. */
  auth_time: string;
  acr: string | null;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  /** The absolute end: the session ends then however active it is. */
  expires_at: string;
}

/** A sign-in in progress, between the redirect to the identity provider and its answer. */
export interface WebLoginsTable {
  id_hash: string;
  state: string;
  nonce: string;
  code_verifier: string;
  /** The console path to go back to after signing in. */
  return_to: string;
  /** 0/1: asked for a fresh authentication (max_age) for a step-up approval. */
  step_up: number;
  created_at: string;
  expires_at: string;
}

/** Records found changed behind Elevate's back (each alerted once). */
export interface IntegrityViolationsTable {
  record_kind: string;
  record_id: string;
  detected_at: string;
}

/** Access review campaigns (migration 0014). */
export interface ReviewCampaignsTable {
  id: string;
  scope: string;
  unanswered: string;
  every_seconds: number | null;
  status: string;
  started_at: string;
  started_by: string;
  remind_at: string;
  deadline_at: string;
  closes_at: string;
  reminded_at: string | null;
  escalated_at: string | null;
  closed_at: string | null;
  next_started: Generated<number>;
}

/** One member of one group under review, and the decision on it. */
export interface ReviewItemsTable {
  id: string;
  campaign_id: string;
  seq: number;
  group_id: string;
  group_name: string;
  principal_id: string;
  member: string;
  reviewer_group: string;
  reason: string;
  platform_group: string | null;
  decision: string | null;
  decided_by: string | null;
  decided_at: string | null;
  decided_origin: string | null;
  outcome: string | null;
  note: string | null;
}
