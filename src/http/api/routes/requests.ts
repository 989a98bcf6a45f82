import { z } from 'zod';
import type { Elevate } from '../../../core/elevate.js';
import type { AccessRequest } from '../../../core/model.js';
import { InvalidInputError } from '../../../core/errors.js';
import { decodeCursor, ok, page, READERS, REQUESTERS, route, created, type ApiRoute } from '../api-route.js';
import {
  DecisionBody, DecisionOutcome, IdParam, Page, Request, RequestCreate, RequestDetails, RequestOutcome, RequestQuery,
} from '../schemas.js';

/** Requests as the API shows them: an extension request says what it extends ("extend G-… (until T) by 2h → until T′"). */
export async function withExtensions(elevate: Elevate, requests: AccessRequest[]) {
  const extensions = await elevate.extensionsOf(requests);
  return requests.map((r) => ({ ...r, extendsGrantId: r.extendsGrantId ?? null, extension: extensions.get(r.id) ?? null }));
}

const CONFLICT = { description: 'the request is no longer pending (someone decided first) or the state forbids it' };

export const requestRoutes: ApiRoute[] = [
  route({
    method: 'POST', path: '/requests', tag: 'requests', kind: 'write', scopes: REQUESTERS,
    summary: "Request access for the token's principal",
    body: RequestCreate,
    responses: { 201: { description: 'created (or auto-approved, or granted by break-glass: see `grant`)', schema: RequestOutcome }, 200: { description: 'the same request was already pending', schema: RequestOutcome }, 409: CONFLICT },
    handle: async ({ elevate, actor, body }) => {
      const { breakGlass, confirm, ...input } = body;
      if (breakGlass) {
        if (input.start !== undefined) throw new InvalidInputError('break-glass is access now: it cannot name a start', { field: 'start' });
        const used = await elevate.breakGlass(actor(), { ...input, confirmed: confirm === true });
        return created({ request: (await withExtensions(elevate, [used.request]))[0], existing: false, grant: used.grant });
      }
      const { request, existing, grant } = await elevate.requestAccess(actor(), input);
      return (existing ? ok : created)({ request: (await withExtensions(elevate, [request]))[0], existing, grant });
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
      return page(await withExtensions(elevate, requests), query.limit, (r) => r.createdAt);
    },
  }),
  route({
    method: 'GET', path: '/requests/{id}', tag: 'requests', kind: 'read', scopes: READERS,
    summary: 'A request, its decisions, and whether its signature verifies',
    params: IdParam,
    responses: { 200: { description: 'the request', schema: RequestDetails } },
    handle: async ({ elevate, actor, params }) => {
      const details = await elevate.getRequest(actor(), params.id);
      return ok({ ...details, request: (await withExtensions(elevate, [details.request]))[0] });
    },
  }),
  ...(['approve', 'deny'] as const).map((verb) => route({
    method: 'POST', path: `/requests/{id}/${verb}`, tag: 'requests', kind: 'write', scopes: REQUESTERS,
    summary: verb === 'approve' ? 'Approve a request (its approvers; counts toward N of M)' : 'Deny a request (its approvers)',
    params: IdParam, body: DecisionBody,
    responses: { 200: { description: 'the decision was recorded', schema: DecisionOutcome }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => {
      const input = { requestId: params.id, comment: body.comment ?? null };
      const outcome = verb === 'approve' ? await elevate.approve(actor(), input) : await elevate.deny(actor(), input);
      return ok({ request: (await withExtensions(elevate, [outcome.request]))[0], outcome: outcome.outcome, approvals: outcome.approvals, grant: outcome.grant });
    },
  })),
  route({
    method: 'POST', path: '/requests/{id}/cancel', tag: 'requests', kind: 'write', scopes: REQUESTERS,
    summary: 'Withdraw a pending request, or an approved one whose scheduled window has not started (its requester, or an admin)',
    params: IdParam, body: z.strictObject({}).optional(),
    responses: { 200: { description: 'cancelled', schema: Request }, 409: CONFLICT },
    handle: async ({ elevate, actor, params }) => ok((await withExtensions(elevate, [await elevate.cancelRequest(actor(), params.id)]))[0]),
  }),
];
