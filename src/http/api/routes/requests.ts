import { z } from 'zod';
import { decodeCursor, ok, page, READERS, REQUESTERS, route, created, type ApiRoute } from '../api-route.js';
import {
  DecisionBody, DecisionOutcome, IdParam, Page, Request, RequestCreate, RequestDetails, RequestOutcome, RequestQuery,
} from '../schemas.js';

const CONFLICT = { description: 'the request is no longer pending (someone decided first) or the state forbids it' };

export const requestRoutes: ApiRoute[] = [
  route({
    method: 'POST', path: '/requests', tag: 'requests', kind: 'write', scopes: REQUESTERS,
    summary: "Request access for the token's principal",
    body: RequestCreate,
    responses: { 201: { description: 'created (or auto-approved: see `grant`)', schema: RequestOutcome }, 200: { description: 'the same request was already pending', schema: RequestOutcome }, 409: CONFLICT },
    handle: async ({ elevate, actor, body }) => {
      const { request, existing, grant } = await elevate.requestAccess(actor(), body);
      return (existing ? ok : created)({ request, existing, grant });
    },
  }),
  route({
    method: 'GET', path: '/requests', tag: 'requests', kind: 'read', scopes: READERS,
    summary: 'List requests you may see, newest first, with filters and paging',
    query: RequestQuery,
    responses: { 200: { description: 'one page', schema: Page(Request, 'RequestPage') } },
    handle: async ({ elevate, actor, query }) => {
      const after = decodeCursor(query.cursor);
      const requests = await elevate.listRequests(actor(), {
        status: query.status, requester: query.requester, mine: query.mine === 'true', decidable: query.decidable === 'true',
        target: query.target, createdFrom: query.from, createdTo: query.to, before: after && { createdAt: after.at, id: after.id }, limit: query.limit + 1,
      });
      return page(requests, query.limit, (r) => r.createdAt);
    },
  }),
  route({
    method: 'GET', path: '/requests/{id}', tag: 'requests', kind: 'read', scopes: READERS,
    summary: 'A request, its decisions, and whether its signature verifies',
    params: IdParam,
    responses: { 200: { description: 'the request', schema: RequestDetails } },
    handle: async ({ elevate, actor, params }) => ok(await elevate.getRequest(actor(), params.id)),
  }),
  ...(['approve', 'deny'] as const).map((verb) => route({
    method: 'POST', path: `/requests/{id}/${verb}`, tag: 'requests', kind: 'write', scopes: REQUESTERS,
    summary: verb === 'approve' ? 'Approve a request (its approvers; counts toward N of M)' : 'Deny a request (its approvers)',
    params: IdParam, body: DecisionBody,
    responses: { 200: { description: 'the decision was recorded', schema: DecisionOutcome }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => {
      const input = { requestId: params.id, comment: body.comment ?? null };
      const outcome = verb === 'approve' ? await elevate.approve(actor(), input) : await elevate.deny(actor(), input);
      return ok({ request: outcome.request, outcome: outcome.outcome, approvals: outcome.approvals, grant: outcome.grant });
    },
  })),
  route({
    method: 'POST', path: '/requests/{id}/cancel', tag: 'requests', kind: 'write', scopes: REQUESTERS,
    summary: 'Withdraw a pending request, or an approved one whose scheduled window has not started (its requester, or an admin)',
    params: IdParam, body: z.strictObject({}).optional(),
    responses: { 200: { description: 'cancelled', schema: Request }, 409: CONFLICT },
    handle: async ({ elevate, actor, params }) => ok(await elevate.cancelRequest(actor(), params.id)),
  }),
];
