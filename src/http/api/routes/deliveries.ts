import { ok, route, type ApiRoute } from '../api-route.js';
import { Delivery, DeliveryQuery, Page } from '../schemas.js';

export const deliveryRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/deliveries', tag: 'deliveries', kind: 'read', scopes: ['admin', 'auditor'],
    summary: 'Chat and hook deliveries, newest first, with attempts and last error: `status=failed` lists those given up for good',
    query: DeliveryQuery,
    responses: { 200: { description: 'a page of deliveries', schema: Page(Delivery, 'DeliveryPage') } },
    handle: async ({ elevate, actor, query }) => {
      // One more than the page tells whether there is a next page.
      const rows = await elevate.listDeliveries(actor(), { status: query.status, limit: query.limit + 1, beforeId: query.cursor ? Number(query.cursor) : undefined });
      const items = rows.slice(0, query.limit);
      return ok({ items, nextCursor: rows.length > query.limit ? String(items[items.length - 1]!.id) : null });
    },
  }),
];
