import { decodeCursor, ok, page, READERS, REQUESTERS, route, type ApiRoute } from '../api-route.js';
import { z } from 'zod';
import { EffectiveQuery, EffectiveTarget, EndGrantBody, ExtendBody, Grant, GrantQuery, IdParam, Page, RequestOutcome } from '../schemas.js';
import { withExtensions } from './requests.js';

const CONFLICT = { description: 'the grant is no longer active' };

export const authorizationRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/authorizations', tag: 'authorizations', kind: 'read', scopes: READERS,
    summary: 'Grants you may see (default: active), latest first, with paging',
    query: GrantQuery,
    responses: { 200: { description: 'one page', schema: Page(Grant, 'GrantPage') } },
    handle: async ({ elevate, actor, query }) => {
      const after = decodeCursor(query.cursor);
      const grants = await elevate.listGrants(actor(), {
        status: query.status, principal: query.principal, mine: query.mine === 'true', target: query.target,
        before: after && { startsAt: after.at, id: after.id }, limit: query.limit + 1,
      });
      return page(grants, query.limit, (g) => g.startsAt);
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
    method: 'GET', path: '/authorizations/{id}', tag: 'authorizations', kind: 'read', scopes: READERS,
    summary: 'One grant (its holder, its policy\'s approvers, admins and auditors)',
    params: IdParam,
    responses: { 200: { description: 'the grant', schema: Grant } },
    handle: async ({ elevate, actor, params }) => ok(await elevate.getGrant(actor(), params.id)),
  }),
  ...([
    ['revoke', REQUESTERS, "End a grant now (the policy's approvers and admins)", 'revoked; the check denies it at once on this instance'],
    ['relinquish', REQUESTERS, 'Give access back early (the holder)', 'relinquished'],
  ] as const).map(([verb, scopes, summary, done]) => route({
    method: 'POST', path: `/authorizations/{id}/${verb}`, tag: 'authorizations', kind: 'write', scopes, summary,
    params: IdParam, body: EndGrantBody,
    responses: { 200: { description: done, schema: Grant }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => {
      const input = { grantId: params.id, comment: body.comment };
      return ok(verb === 'revoke' ? await elevate.revokeGrant(actor(), input) : await elevate.relinquishGrant(actor(), input));
    },
  })),
  route({
    method: 'POST', path: '/authorizations/{id}/extend', tag: 'authorizations', kind: 'write', scopes: REQUESTERS,
    summary: 'Ask for more time (the holder); decided like a request',
    params: IdParam, body: ExtendBody,
    responses: { 200: { description: 'extended at once (auto approval) or an extension request is pending', schema: RequestOutcome }, 409: CONFLICT },
    handle: async ({ elevate, actor, params, body }) => {
      const { request, existing, grant } = await elevate.extendGrant(actor(), { grantId: params.id, ...body });
      return ok({ request: (await withExtensions(elevate, [request]))[0], existing, grant });
    },
  }),
];
