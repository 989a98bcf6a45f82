import { z } from 'zod';
import 'zod-openapi';
import { formatDuration, parseDuration } from './core/duration.js';
import type { PolicyInput } from './core/model.js';

/**
 * The fields of a policy as people write them outside the core (durations as text, groups by
 * name): one zod schema per field, shared by the REST API (src/http/api/schemas.ts) and the
 * policy document (src/policy-document). A new policy field is one line here (plus the core's
 * PolicyInput): the API, the document, its JSON Schema, export and plan pick it up.
 * Fields named `<x>Duration` are durations; the core keeps them as `<x>DurationSeconds`.
 */
const durationText = z.string().regex(/^(?:\d+[smhdw])+$/i, 'write a duration like 30m, 2h or 1h30m').meta({ example: '2h' });

export const policyFieldSchemas = {
  approval: z.enum(['manual', 'auto']),
  approverGroup: z.string().min(1).max(100).nullable().meta({ description: 'group name; null: the default approver group' }),
  approvalsRequired: z.number().int().min(1).max(50),
  defaultDuration: durationText,
  maxDuration: durationText.nullable().meta({ description: 'null: no maximum' }),
  reasonRequired: z.boolean(),
  reasonPattern: z.string().max(500).nullable(),
  reasonHint: z.string().max(500).nullable(),
  eligibleGroup: z.string().min(1).max(100).nullable().meta({ description: 'null: everyone may request' }),
  escalationGroup: z.string().min(1).max(100).nullable(),
  approversChannel: z.string().min(3).max(200).nullable().meta({ example: 'slack:C0123ABCD' }),
  approverDms: z.boolean(),
  hook: z.string().min(1).max(63).nullable().meta({ description: 'a provisioning hook of the server configuration (ELEVATE_HOOKS), role and role group policies only; null: none' }),
  approvalStepUp: z.boolean().meta({ description: 'approvals need a fresh sign-in in the web console (step-up; needs an identity provider configured)' }),
  onCall: z.array(z.string().min(3).max(140)).max(10).meta({ description: 'on-call schedules whose people on call are approved at once (manual policies): pagerduty:<schedule id>, pagerduty:escalation-policy/<id> or opsgenie:<schedule name or id>; [] for none', example: ['pagerduty:PABC123'] }),
  breakGlassGroup: z.string().min(1).max(100).nullable().meta({ description: 'members may grant themselves access at once, reviewed afterwards (break-glass); null: nobody' }),
  breakGlassMaxDuration: durationText.nullable().meta({ description: 'longest break-glass grant; null: 1h (within ELEVATE_MAX_GRANT_DURATION)' }),
  breakGlassPerDay: z.number().int().min(1).max(20).meta({ description: 'break-glass uses per person on this policy in any 24 hours (default 2)' }),
};

export type PolicyFieldsText = { [K in keyof typeof policyFieldSchemas]?: z.output<(typeof policyFieldSchemas)[K]> };
type CoreFields = Partial<Omit<PolicyInput, 'target'>>;

const DURATION_SUFFIX = 'Duration';

/** Written fields (durations as text) as the core's policy input (seconds); InvalidInputError for a bad duration. */
export function toPolicyFields(fields: PolicyFieldsText): CoreFields {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (key.endsWith(DURATION_SUFFIX)) out[`${key}Seconds`] = value === null ? null : parseDuration(String(value), key);
    else out[key] = value;
  }
  return out as CoreFields;
}

/** The core's policy fields as written (durations as text); the inverse of `toPolicyFields`. */
export function fromPolicyFields(fields: CoreFields): PolicyFieldsText {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (key.endsWith(`${DURATION_SUFFIX}Seconds`)) {
      out[key.slice(0, -'Seconds'.length)] = value === null ? null : formatDuration(value as number);
    } else out[key] = value;
  }
  return out as PolicyFieldsText;
}
