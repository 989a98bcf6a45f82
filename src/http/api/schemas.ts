import { z } from 'zod';
import 'zod-openapi';
import { GRANT_STATUSES, REQUEST_STATUSES, TARGET_TYPES } from '../../core/model.js';
import { DELIVERY_STATUSES } from '../../core/ports.js';
import { policyFieldSchemas } from '../../policy-fields.js';

/**
 * The REST API's shapes, in one schema library: requests are validated with them and the
 * OpenAPI document is generated from them (src/http/api/openapi.ts). Inputs are strict: an
 * unknown field is an error, not silently ignored.
 */

const instant = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 date and time (UTC)', example: '2026-11-27T09:00:00.000Z' });
const nullableInstant = instant.nullable();
/** A time given by a caller, in any offset, as the UTC ISO text the store compares. */
const instantInput = z.iso.datetime({ offset: true }).transform((text) => new Date(text).toISOString())
  .meta({ description: 'ISO 8601 date and time; any offset', example: '2026-11-27T09:00:00Z' });
const targetName = z.string().min(3).max(200).meta({ description: 'Scope\\Name, e.g. Exchange\\Search-Mailbox', example: 'Exchange\\Search-Mailbox' });
const principalRef = z.string().min(3).max(320).meta({ description: 'slack:U…, teams:<Entra object id>, a verified email address or a principal id (P-…)', example: 'slack:U0123ABCD' });
const durationText = z.string().regex(/^(?:\d+[smhdw])+$/i, 'write a duration like 30m, 2h or 1h30m').meta({ example: '2h' });
const comment = z.string().max(1000);
const limit = z.coerce.number().int().min(1).max(500).default(100).meta({ description: 'page size (at most 500)' });

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().meta({ description: 'stable, machine-readable', example: 'not_found' }),
    message: z.string().meta({ description: 'for a person to read and act on' }),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
}).meta({ id: 'Error' });

export const Target = z.object({ type: z.enum(TARGET_TYPES), scope: z.string(), name: z.string() }).meta({ id: 'Target' });

const ConfigurationChange = z.object({ kind: z.string() }).catchall(z.unknown()).meta({ id: 'ConfigurationChange', description: 'the protected configuration change a configuration request applies on approval' });

export const Request = z.object({
  id: z.string(),
  requesterId: z.string(),
  requesterIdentity: z.string().nullable().meta({ description: 'the account that asked (slack:U…@T…, teams:…@<tenant>, token:TOK-…)' }),
  policyId: z.string().nullable(),
  target: Target,
  durationSeconds: z.number().int(),
  reason: z.string().nullable(),
  ticket: z.string().nullable(),
  status: z.enum(REQUEST_STATUSES),
  createdAt: instant,
  deadlineAt: instant,
  decidedAt: nullableInstant,
  decidedBy: z.string().nullable(),
  decisionComment: z.string().nullable(),
  approvalsRequired: z.number().int(),
  grantId: z.string().nullable(),
  change: ConfigurationChange.nullable(),
  origin: z.string(),
  remindedAt: nullableInstant,
  startsAt: nullableInstant.meta({ description: "a scheduled window's planned start (it ends at startsAt + durationSeconds); null: access from approval" }),
  policyVersion: z.string().nullable().meta({ description: 'the policy as it was when the request was made (its decision rules are held to it)' }),
  extendsGrantId: z.string().nullable().meta({ description: 'an extension request: the grant it extends' }),
  signature: z.string().meta({ description: '`s1:<key id>:<HMAC-SHA256>` over the request\'s fields, made with the installation\'s signing key' }),
  remindersSent: z.number().int().meta({ description: 'reminders sent while it was pending' }),
  onCall: z.object({
    outcome: z.enum(['on call', 'not on call', 'failed']).meta({ description: '`failed`: a provider could not answer, so the request went to the approvers' }),
    schedule: z.string().optional().meta({ description: 'the schedule the requester is on call on (outcome `on call`)' }),
    shiftEnd: nullableInstant.optional().meta({ description: 'when that shift ends; null: it does not end' }),
    answer: z.string().meta({ description: 'the providers\' answers in short, as the cards show them' }),
  }).nullable().optional().meta({ description: 'what the on-call check found (policies with on-call schedules); null when none ran' }),
  breakGlass: z.boolean().optional().meta({ description: 'true: granted at once by break-glass, without approval, reviewed afterwards' }),
  extension: z.object({
    grantId: z.string(),
    grantEndsAt: instant.meta({ description: 'the grant\'s end as it stands now' }),
    durationSeconds: z.number().int().meta({ description: 'how much longer, after the current end' }),
    until: instant.meta({ description: 'the end approving it brings (within the policy\'s longest grant), or, once approved, the grant\'s end' }),
    text: z.string().meta({ description: '"extend G-… (until T) by 2h → until T′" (UTC)' }),
    grantUrl: z.string().nullable().meta({ description: 'the grant\'s page in the web console (null without ELEVATE_PUBLIC_URL)' }),
  }).nullable().optional().meta({ description: 'what an extension request asks; null for other requests (given by the /requests and /authorizations routes)' }),
}).meta({ id: 'Request' });

export const Grant = z.object({
  id: z.string(),
  requestId: z.string(),
  principalId: z.string(),
  policyId: z.string(),
  target: Target,
  startsAt: instant,
  endsAt: instant,
  status: z.enum(GRANT_STATUSES).meta({ description: '`scheduled`: approved for a window that has not started (the check allows nothing before `startsAt`)' }),
  endedAt: nullableInstant,
  endedBy: z.string().nullable(),
  endComment: z.string().nullable(),
  expiryNoticeAt: nullableInstant,
  updatedAt: instant,
  hook: z.string().nullable().meta({ description: 'the provisioning hook that assigns and removes the role; null: none' }),
  hookStartedAt: nullableInstant.meta({ description: 'when the start hook succeeded' }),
  hookEndedAt: nullableInstant.meta({ description: 'when the end hook succeeded (until then the role may still be assigned)' }),
  hookAlertedAt: nullableInstant.meta({ description: 'when admins were alerted that the end hook keeps failing' }),
  signature: z.string().nullable().meta({ description: '`s1:<key id>:<HMAC-SHA256>` over who holds what, when, from which request and whether it is in force' }),
  breakGlass: z.boolean().optional().meta({ description: 'true: made by break-glass (no approval; reviewed afterwards)' }),
}).meta({ id: 'Grant' });

export const EffectiveTarget = z.object({
  target: Target,
  holders: z.array(z.object({
    principalId: z.string(),
    identities: z.array(z.string()),
    displayName: z.string().nullable(),
    email: z.string().nullable(),
    grantId: z.string(),
    grantStatus: z.enum(GRANT_STATUSES),
    since: instant,
    until: instant.meta({ description: "the grant's end, or when it ended for a holder still `ending`" }),
    hook: z.string().nullable(),
    hookState: z.enum(['none', 'starting', 'started', 'ending']).meta({ description: '`starting`: the role may not be assigned yet; `ending`: it may still be' }),
    hookStartedAt: nullableInstant,
  })),
}).meta({ id: 'EffectiveTarget' });

export const PolicyRemoveQuery = z.strictObject({
  activeGrants: z.enum(['end', 'keep']).optional()
    .meta({ description: "required when the policy has active grants: `end` revokes them now, `keep` lets them run to their end" }),
});
export const EffectiveQuery = z.strictObject({ target: z.string().min(3).max(200).optional() });

export const Decision = z.object({
  requestId: z.string(), approverId: z.string(), approverIdentity: z.string().nullable(), kind: z.enum(['approve', 'deny']), comment: z.string().nullable(),
  decidedAt: instant, origin: z.string(),
}).meta({ id: 'Decision' });

export const RequestDetails = z.object({
  request: Request,
  decisions: z.array(Decision),
  names: z.record(z.string(), z.string()).meta({ description: 'display names of the principals named, by id' }),
  signatureValid: z.boolean().meta({ description: 'whether the request still matches the signature made when it was created' }),
}).meta({ id: 'RequestDetails' });

export const RequestOutcome = z.object({
  request: Request,
  existing: z.boolean().meta({ description: 'true when the same request was already pending and is returned instead of a new one' }),
  grant: Grant.nullable(),
}).meta({ id: 'RequestOutcome' });

export const DecisionOutcome = z.object({
  request: Request,
  outcome: z.enum(['approved', 'denied', 'recorded']).meta({ description: '`recorded`: the approval counted, more are needed' }),
  approvals: z.number().int(),
  grant: Grant.nullable(),
}).meta({ id: 'DecisionOutcome' });

export const Page = <T extends z.ZodType>(item: T, id: string) => z.object({
  items: z.array(item),
  nextCursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last page' }),
}).meta({ id });

export const Policy = z.object({
  id: z.string(),
  target: Target,
  approval: z.enum(['manual', 'auto']),
  approverGroupId: z.string().nullable(),
  approverGroupName: z.string(),
  approvalsRequired: z.number().int(),
  defaultDurationSeconds: z.number().int(),
  maxDurationSeconds: z.number().int().nullable(),
  reasonRequired: z.boolean(),
  reasonPattern: z.string().nullable(),
  reasonHint: z.string().nullable(),
  eligibleGroupId: z.string().nullable(),
  eligibleGroupName: z.string().nullable(),
  escalationGroupId: z.string().nullable(),
  approversChannel: z.string().nullable(),
  approverDms: z.boolean(),
  hook: z.string().nullable(),
  approvalStepUp: z.boolean().meta({ description: 'approvals need a fresh sign-in in the web console (step-up)' }),
  onCall: z.array(z.string()).meta({ description: 'on-call schedules whose people on call are approved at once' }),
  breakGlassGroupId: z.string().nullable(),
  breakGlassGroupName: z.string().nullable().meta({ description: 'who may break glass; null: nobody' }),
  breakGlassMaxDurationSeconds: z.number().int().nullable().meta({ description: 'the longest break-glass grant; null: 1 hour (within ELEVATE_MAX_GRANT_DURATION)' }),
  breakGlassPerDay: z.number().int(),
  createdAt: instant,
  updatedAt: instant,
}).meta({ id: 'Policy' });

const policyFields = policyFieldSchemas;

export const PolicyCreate = z.strictObject({
  target: z.strictObject({ type: z.enum(TARGET_TYPES), name: targetName }),
  ...policyFields,
  approverGroup: policyFields.approverGroup.optional(),
  approvalsRequired: policyFields.approvalsRequired.optional(),
  defaultDuration: policyFields.defaultDuration.optional(),
  maxDuration: policyFields.maxDuration.optional(),
  reasonRequired: policyFields.reasonRequired.optional(),
  reasonPattern: policyFields.reasonPattern.optional(),
  reasonHint: policyFields.reasonHint.optional(),
  eligibleGroup: policyFields.eligibleGroup.optional(),
  escalationGroup: policyFields.escalationGroup.optional(),
  approversChannel: policyFields.approversChannel.optional(),
  approverDms: policyFields.approverDms.optional(),
  hook: policyFields.hook.optional(),
  approvalStepUp: policyFields.approvalStepUp.optional(),
  onCall: policyFields.onCall.optional(),
  breakGlassGroup: policyFields.breakGlassGroup.optional(),
  breakGlassMaxDuration: policyFields.breakGlassMaxDuration.optional(),
  breakGlassPerDay: policyFields.breakGlassPerDay.optional(),
}).meta({ id: 'PolicyCreate' });

export const PolicyPatch = z.strictObject(Object.fromEntries(Object.entries(policyFields).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof policyFields]: z.ZodOptional<(typeof policyFields)[K]>
}).refine((patch) => Object.keys(patch).length > 0, 'name at least one field to change').meta({ id: 'PolicyPatch' });

export const ConfigurationOutcome = z.object({
  status: z.enum(['applied', 'pending']).meta({ description: '`pending`: protected configuration is in force; another admin must approve the request' }),
  summary: z.string(),
  warnings: z.array(z.string()).meta({ description: 'what the change allows but an admin should know, e.g. approvers whose own requests could never be approved' }),
  request: Request.optional(),
}).meta({ id: 'ConfigurationOutcome' });

export const Group = z.object({
  id: z.string(), name: z.string(), description: z.string().nullable(), source: z.enum(['elevate', 'directory']),
  directoryRef: z.string().nullable(), createdAt: instant, members: z.array(z.string()),
}).meta({ id: 'Group' });

const linkMethod = z.enum(['first sight', 'verified email', 'code', 'admin', 'oidc', 'unlinked']);

export const PrincipalDetails = z.object({
  id: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable().meta({ description: 'the first verified address of its accounts' }),
  identities: z.array(z.string()),
  emails: z.array(z.string()).meta({ description: 'addresses the pinned platforms verified for its accounts' }),
  accounts: z.array(z.object({
    identity: z.string(), principalId: z.string(), email: z.string().nullable(), displayName: z.string().nullable(),
    linkedBy: linkMethod, addedAt: nullableInstant, updatedAt: nullableInstant,
  })),
  holds: z.array(z.string()).meta({ description: 'roles, access, requests and tokens it holds (what an account linked into it would gain)' }),
}).meta({ id: 'Principal' });

export const IdentityLink = z.strictObject({
  identity: z.string().min(3).max(260).meta({ description: 'the account to link: slack:U…, teams:<Entra object id> or oidc:<subject>', example: 'teams:6f1c2d9e-0000-4000-8000-000000000000' }),
}).meta({ id: 'IdentityLink' });

export const PrincipalParam = z.strictObject({ principal: principalRef });
export const IdentityParam = z.strictObject({ principal: principalRef, identity: z.string().min(3).max(260) });

export const GroupCreate = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().max(500).nullable().optional(),
  directoryRef: z.string().min(3).max(200).nullable().optional().meta({ description: 'link to a platform group: slack:<user group id> or teams:<group id>' }),
}).meta({ id: 'GroupCreate' });

export const MemberAdd = z.strictObject({ member: principalRef }).meta({ id: 'MemberAdd' });

export const RequestCreate = z.strictObject({
  target: targetName,
  duration: durationText.optional().meta({ description: "how long; default: the policy's" }),
  reason: z.string().max(1000).optional(),
  ticket: z.string().max(100).optional(),
  start: z.string().max(64).optional().meta({
    description: 'a scheduled window: when access starts, as a date and time with its zone (`2026-12-02T22:00+01:00`, `…Z`) or from now (`+2h`); at most ELEVATE_MAX_SCHEDULE_AHEAD ahead. The request may be approved any time before; the grant is `scheduled` until the start and ends at start + duration',
    example: '2026-12-02T22:00:00Z',
  }),
  breakGlass: z.boolean().optional().meta({
    description: "break-glass: access at once without approval, for members of the policy's break-glass group; needs a reason and `confirm: true` (without it the answer is 400 and says who would be alerted). Answered 201 with the active grant",
  }),
  confirm: z.boolean().optional().meta({ description: 'with `breakGlass`: the caller confirms that the approvers, the admins and the audit feed are alerted at once' }),
}).meta({ id: 'RequestCreate' });

export const DecisionBody = z.strictObject({ comment: comment.optional() }).meta({ id: 'DecisionBody' });
export const EndGrantBody = z.strictObject({ comment: comment.optional() }).meta({ id: 'EndGrantBody' });
export const ExtendBody = z.strictObject({
  duration: durationText.meta({ description: 'how long from approval the access should last' }),
  reason: z.string().max(1000).optional(),
  ticket: z.string().max(100).optional(),
}).meta({ id: 'ExtendBody' });

export const RequestQuery = z.strictObject({
  status: z.enum(REQUEST_STATUSES).optional(),
  requester: principalRef.optional(),
  mine: z.enum(['true', 'false']).optional().meta({ description: "only the token's principal's own requests" }),
  decidable: z.enum(['true', 'false']).optional().meta({ description: "only requests the token's principal may decide now" }),
  target: targetName.optional(),
  from: instantInput.optional().meta({ description: 'created at or after' }),
  to: instantInput.optional().meta({ description: 'created at or before' }),
  limit,
  cursor: z.string().max(200).optional(),
});

export const GrantQuery = z.strictObject({
  status: z.enum(GRANT_STATUSES).default('active'),
  principal: principalRef.optional(),
  mine: z.enum(['true', 'false']).optional(),
  target: targetName.optional(),
  limit,
  cursor: z.string().max(200).optional(),
});

export const AuditRecord = z.object({
  seq: z.number().int(), at: instant,
  actor: z.string().meta({ description: 'the principal id (P-…), or operator, or system' }),
  actorIdentity: z.string().nullable().meta({ description: 'the account that acted, as it came in: slack:U…@T…, teams:<object id>@<tenant>, token:TOK-…, cli:<ref>' }),
  origin: z.string(), action: z.string(), subject: z.string(),
  details: z.record(z.string(), z.unknown()), prevHash: z.string(), hash: z.string(),
  keyId: z.string().nullable().meta({ description: 'the audit key that keyed this record (rotation keeps older keys to verify)' }),
  mac: z.string().nullable().meta({ description: 'HMAC-SHA256 of the record\'s content under the audit key; `hash` chains it to the previous record' }),
}).meta({ id: 'AuditRecord' });

export const AuditQuery = z.strictObject({
  from: instantInput.optional(),
  to: instantInput.optional(),
  actor: z.string().max(320).optional().meta({ example: 'slack:U0123ABCD' }),
  subject: z.string().max(320).optional().meta({ description: 'a request id, grant id, policy target or group' }),
  action: z.string().max(100).optional().meta({ example: 'request.approved' }),
  format: z.enum(['json', 'jsonl', 'csv']).default('json').meta({ description: '`json`: one page; `jsonl` and `csv`: the whole selection, streamed' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(50).optional(),
});

export const AuditVerifyQuery = z.strictObject({
  anchor: z.string().max(100 * 81).optional().meta({
    description: 'heads published earlier (`<seq>:<64 hex>`, as the audit feed, the checkpoint file and webhook give them), comma-separated, at most 100',
    example: '1234:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  }),
});

const Anchor = z.object({ seq: z.number().int(), hash: z.string(), at: instant.optional() });

export const AuditVerification = z.object({
  ok: z.boolean().meta({ description: 'the chain verifies and every anchor given is in it unchanged' }),
  checked: z.number().int(),
  problem: z.object({ seq: z.number().int(), kind: z.string(), message: z.string() }).catchall(z.unknown()).nullable(),
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable().meta({ description: 'the last record verified: publish it and pass it as an anchor later to detect a cut or a rewrite' }),
  anchors: z.array(z.object({ anchor: Anchor, ok: z.boolean(), message: z.string() })),
  keyedOnUpgrade: z.object({ upTo: z.number().int(), legacyVerified: z.boolean() }).nullable(),
  pending: z.number().int().meta({ description: 'PostgreSQL: records committed but not yet linked into the chain (a transaction was still running); the next verify covers them' }),
}).meta({ id: 'AuditVerification' });

export const UsageQuery = z.strictObject({
  from: instantInput.optional().meta({ description: 'default: 30 days before `to`' }),
  to: instantInput.optional().meta({ description: 'default: now' }),
  target: targetName.optional(),
});

export const UsageReport = z.object({
  from: instant,
  to: instant,
  policies: z.array(z.object({
    target: z.string(), requests: z.number().int(), approved: z.number().int(), autoApproved: z.number().int(),
    denied: z.number().int(), expired: z.number().int(), cancelled: z.number().int(), pending: z.number().int(), revoked: z.number().int(), relinquished: z.number().int().meta({ description: 'grants given back early by their holder' }), failed: z.number().int().meta({ description: 'grants whose start hook failed for good' }),
    medianSecondsToDecision: z.number().nullable(), p90SecondsToDecision: z.number().nullable(),
    topRequesters: z.array(z.object({ principal: z.string(), requests: z.number().int() })),
    activeGrantsNow: z.number().int(),
    breakGlass: z.number().int().meta({ description: 'requests granted by break-glass (not counted as approved or auto-approved)' }),
  })),
  breakGlass: z.object({
    uses: z.number().int(), pending: z.number().int(), acknowledged: z.number().int(),
    flagged: z.array(z.object({
      grantId: z.string(), target: z.string(), principal: z.string(), usedAt: instant, reason: z.string(), flaggedBy: z.string(), flaggedAt: instant, comment: z.string(),
    })).meta({ description: 'break-glass uses of the period their reviewer flagged' }),
  }),
}).meta({ id: 'UsageReport' });

export const PamStatus = z.object({
  enabled: z.boolean(),
  protectedConfiguration: z.enum(['auto', 'on', 'off']),
  protectionInForce: z.boolean(),
  policies: z.number().int(),
  pendingRequests: z.number().int(),
  activeGrants: z.number().int(),
}).meta({ id: 'PamStatus' });

export const CheckQuery = z.strictObject({ principal: principalRef, target: targetName });

export const CheckResult = z.object({
  allowed: z.boolean(),
  grantId: z.string().nullable(),
  endsAt: nullableInstant.meta({ description: 'when access ends; never allowed at or after it' }),
  breakGlass: z.boolean().optional().meta({ description: 'true: allowed by a break-glass grant (no approval; reviewed afterwards)' }),
}).meta({ id: 'CheckResult' });

export const BreakGlassUse = z.object({
  grantId: z.string(), requestId: z.string(), principalId: z.string(), policyId: z.string(), targetName: z.string(), reason: z.string(),
  usedAt: instant, endsAt: instant, reviewDueAt: instant.meta({ description: 'the approvers review it by then (ELEVATE_BREAK_GLASS_REVIEW); then the admins are told' }),
  status: z.enum(['pending', 'acknowledged', 'flagged']), reviewedAt: nullableInstant, reviewedBy: z.string().nullable(), reviewComment: z.string().nullable(),
  remindedAt: nullableInstant, remindersSent: z.number().int(), escalatedAt: nullableInstant,
}).meta({ id: 'BreakGlassUse' });

export const BreakGlassQuery = z.strictObject({
  status: z.enum(['pending', 'acknowledged', 'flagged']).optional().meta({ description: 'e.g. `flagged`; default every status' }),
  limit,
});

export const BreakGlassReviewBody = z.strictObject({
  verdict: z.enum(['acknowledge', 'flag']),
  comment: comment.optional().meta({ description: 'required to flag: what was wrong with the use' }),
}).meta({ id: 'BreakGlassReviewBody' });

export const IdParam = z.strictObject({ id: z.string().min(1).max(64) });
export const TargetParam = z.strictObject({ target: targetName.meta({ description: 'Scope\\Name, URL-encoded (\\ is %5C)' }) });
export const GroupParam = z.strictObject({ name: z.string().min(1).max(100) });
export const MemberParam = z.strictObject({ name: z.string().min(1).max(100), member: principalRef });

export const Delivery = z.object({
  id: z.number().int(),
  status: z.enum(DELIVERY_STATUSES).meta({ description: '`failed`: given up for good (a permanent refusal, or too many attempts); it is not retried' }),
  platform: z.string().meta({ example: 'slack' }),
  channel: z.string().meta({ description: 'where it goes, e.g. `slack:channel:slack:C0123ABCD`, `teams:user:teams:<id>`, `slack:feed`' }),
  kind: z.enum(['card.post', 'card.refresh', 'message', 'thread.reply', 'hook.call']),
  cardKey: z.string().nullable().meta({ description: 'the card it posts or updates, e.g. `request:R-2K7Q9XWM:approver`' }),
  attempts: z.number().int(),
  lastError: z.string().nullable().meta({ description: "the platform's answer to the last failed attempt", example: 'Slack refused: not_in_channel' }),
  createdAt: instant,
}).meta({ id: 'Delivery' });

export const DeliveryQuery = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional().meta({ description: 'e.g. `failed`; default every status' }),
  limit,
  cursor: z.string().regex(/^\d{1,15}$/, 'pass the nextCursor of the previous page').optional(),
});
