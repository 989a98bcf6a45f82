import { z } from 'zod';
import { applyPolicyDocument, planPolicyDocument } from '../../../policy-document/run.js';
import { ADMIN, ok, route, type ApiRoute } from '../api-route.js';
import { Request } from '../schemas.js';

/** A policy document (YAML, as `elevate policy export` writes it) in a JSON body. */
const DocumentBody = z.strictObject({
  document: z.string().min(1).max(60_000).meta({ description: 'the policy document as YAML text (the body is at most 64 KiB)' }),
  activeGrants: z.enum(['end', 'keep']).optional()
    .meta({ description: 'for removed policies with active grants (then required to apply): `end` revokes them, `keep` lets them run' }),
}).meta({ id: 'PolicyDocumentBody' });

const PlanItem = z.object({
  change: z.enum(['added', 'changed', 'removed']),
  kind: z.enum(['setting', 'group', 'member', 'policy']),
  name: z.string(),
  fields: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })).meta({ description: 'changed fields, durations as text' }),
  activeGrants: z.number().int().optional().meta({ description: 'active grants of a removed policy' }),
});

const Plan = z.object({
  items: z.array(PlanItem),
  changes: z.array(z.object({ kind: z.string() }).catchall(z.unknown())).meta({ description: 'the configuration changes that apply the document, in order' }),
  warnings: z.array(z.string()),
}).meta({ id: 'ConfigurationPlan' });

const DocumentOutcome = z.object({
  status: z.enum(['unchanged', 'applied', 'pending']).meta({ description: '`pending`: protected configuration; one configuration request with the whole plan waits for another admin' }),
  plan: Plan,
  warnings: z.array(z.string()).optional(),
  request: Request.optional(),
}).meta({ id: 'ConfigurationDocumentOutcome' });

export const configRoutes: ApiRoute[] = [
  route({
    method: 'POST', path: '/config/plan', tag: 'configuration', kind: 'read', scopes: ADMIN,
    summary: 'What applying a policy document would change (added, changed field by field, removed); changes nothing',
    body: DocumentBody,
    responses: { 200: { description: 'the plan; `changes` is empty when the configuration matches the document', schema: Plan } },
    handle: async ({ elevate, actor, body }) => ok(await planPolicyDocument(elevate, actor(), body.document, 'document', body)),
  }),
  route({
    method: 'POST', path: '/config/apply', tag: 'configuration', kind: 'write', scopes: ADMIN,
    summary: 'Apply a policy document as one change (a configuration request when protection is in force)',
    body: DocumentBody,
    responses: {
      200: { description: 'applied, or nothing to change', schema: DocumentOutcome },
      202: { description: 'protected configuration: one configuration request with the whole plan waits for another admin', schema: DocumentOutcome },
      409: { description: 'a removed policy has active grants and `activeGrants` is missing, or the document conflicts with the current state' },
    },
    handle: async ({ elevate, actor, body }) => {
      const outcome = await applyPolicyDocument(elevate, actor(), body.document, 'document', body);
      return { status: outcome.status === 'pending' ? 202 : 200, body: outcome };
    },
  }),
];
