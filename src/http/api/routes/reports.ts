import { ok, route, type ApiRoute } from '../api-route.js';
import { UsageQuery, UsageReport } from '../schemas.js';

// The default report period when `from` is absent.
const DEFAULT_PERIOD_MS = 30 * 24 * 3600 * 1000;

export const reportRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/reports/usage', tag: 'reports', kind: 'read', scopes: ['admin', 'auditor'],
    summary: 'Per policy: requests, outcomes, time to decision, top requesters, active grants',
    query: UsageQuery,
    responses: { 200: { description: 'the report', schema: UsageReport } },
    handle: async ({ elevate, actor, query }) => {
      const to = query.to ? new Date(query.to) : new Date(elevate.ctx.clock.now());
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_PERIOD_MS);
      return ok(await elevate.usageReport(actor(), { from: from.toISOString(), to: to.toISOString(), target: query.target }));
    },
  }),
];
