import { ok, READERS, REQUESTERS, route, type ApiRoute } from '../api-route.js';
import { BreakGlassQuery, BreakGlassReviewBody, BreakGlassUse, IdParam } from '../schemas.js';
import { z } from 'zod';

const CONFLICT = { description: 'the use was already reviewed' };

/** Break-glass uses (POST /requests with `breakGlass: true` makes one) and their review by the approvers. */
export const breakGlassRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/break-glass', tag: 'break-glass', kind: 'read', scopes: READERS,
    summary: 'Break-glass uses you may see, newest first (all for admins and auditors; flagged ones with status=flagged)',
    query: BreakGlassQuery,
    responses: { 200: { description: 'the uses', schema: z.object({ items: z.array(BreakGlassUse) }).meta({ id: 'BreakGlassUseList' }) } },
    handle: async ({ elevate, actor, query }) => ok({ items: await elevate.listBreakGlassUses(actor(), { status: query.status, limit: query.limit }) }),
  }),
  route({
    method: 'POST', path: '/break-glass/{id}/review', tag: 'break-glass', kind: 'write', scopes: REQUESTERS,
    summary: 'Acknowledge or flag (with a comment) a break-glass use, by its grant id (approvers of its policy, admins; never your own)',
    params: IdParam, body: BreakGlassReviewBody,
    responses: { 200: { description: 'reviewed', schema: BreakGlassUse }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => ok(await elevate.reviewBreakGlass(actor(), { grantId: params.id, verdict: body.verdict, comment: body.comment ?? null })),
  }),
];
