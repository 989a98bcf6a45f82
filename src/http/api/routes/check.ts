import { ok, route, type ApiRoute } from '../api-route.js';
import { CheckQuery, CheckResult } from '../schemas.js';

export const checkRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/check', tag: 'check', kind: 'check', scopes: ['checker', 'admin', 'auditor'],
    summary: 'Is this principal allowed this target now? For enforcement points (a command wrapper, a proxy, a CI job)',
    query: CheckQuery,
    responses: { 200: { description: 'allowed or not, with the grant and its end; never allowed at or after the end', schema: CheckResult } },
    handle: async ({ elevate, query }) => ok(elevate.checkAuthorization(query.principal, query.target)),
  }),
];
