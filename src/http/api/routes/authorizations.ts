import { InvalidInputError } from '../../../core/errors.js';
import { decodeCursor, encodeCursor, ok, READERS, REQUESTERS, ADMIN, route, type ApiRoute } from '../api-route.js';
import { z } from 'zod';
import { EffectiveQuery, EffectiveTarget, EndGrantBody, ExtendBody, Grant, GrantQuery, IdParam, Page, RequestOutcome } from '../schemas.js';

const CONFLICT = { description: 'the grant is no longer active' };

export const authorizationRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/authorizations', tag: 'authorizations', kind: 'read', scopes: READERS,
    summary: 'Grants you may see (default: active), latest first, with paging',
    query: GrantQuery,
    responses: { 200: { description: 'one page', schema: Page(Grant, 'GrantPage') } },
    handle: async ({ elevate, actor, query }) => {
      const decoded = decodeCursor(query.cursor);
      if (query.cursor !== undefined && !decoded) throw new InvalidInputError('cursor is not one this API returned', { field: 'cursor' });
      const grants = await elevate.listGrants(actor(), {
        status: query.status, principal: query.principal, mine: query.mine === 'true', target: query.target,
        before: decoded ? { startsAt: decoded.at, id: decoded.id } : undefined, limit: query.limit + 1,
      });
      const items = grants.slice(0, query.limit);
      const last = items[items.length - 1];
      return ok({ items, nextCursor: grants.length > query.limit && last ? encodeCursor(last.startsAt, last.id) : null });
    },
  }),
  route({
    method: 'GET', path: '/authorizations/effective', tag: 'authorizations', kind: 'read', scopes: READERS,
    summary: 'Who holds each target now, just-in-time holders included, with where their provisioning hook stands',
    query: EffectiveQuery,
    responses: { 200: { description: 'targets with holders', schema: z.object({ items: z.array(EffectiveTarget) }) } },
    handle: async ({ elevate, actor, query }) => ok({ items: await elevate.effectiveHolders(actor(), { target: query.target }) }),
  }),
  route({
    method: 'POST', path: '/authorizations/{id}/revoke', tag: 'authorizations', kind: 'write', scopes: ADMIN,
    summary: "End a grant now (the policy's approvers and admins)",
    params: IdParam, body: EndGrantBody,
    responses: { 200: { description: 'revoked; the check denies it at once on this instance', schema: Grant }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => ok(await elevate.revokeGrant(actor(), { grantId: params.id, comment: body.comment })),
  }),
  route({
    method: 'POST', path: '/authorizations/{id}/relinquish', tag: 'authorizations', kind: 'write', scopes: REQUESTERS,
    summary: 'Give access back early (the holder)',
    params: IdParam, body: EndGrantBody,
    responses: { 200: { description: 'relinquished', schema: Grant }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => ok(await elevate.relinquishGrant(actor(), { grantId: params.id, comment: body.comment })),
  }),
  route({
    method: 'POST', path: '/authorizations/{id}/extend', tag: 'authorizations', kind: 'write', scopes: REQUESTERS,
    summary: 'Ask for more time (the holder); decided like a request',
    params: IdParam, body: ExtendBody,
    responses: { 200: { description: 'extended at once (auto approval) or an extension request is pending', schema: RequestOutcome }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => {
      const { request, existing, grant } = await elevate.extendGrant(actor(), { grantId: params.id, ...body });
      return ok({ request, existing, grant });
    },
  }),
];
