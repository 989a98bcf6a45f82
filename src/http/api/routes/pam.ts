import { z } from 'zod';
import { ADMIN, configurationResult, ok, READERS, route, type ApiRoute } from '../api-route.js';
import { ConfigurationOutcome, PamStatus } from '../schemas.js';

export const pamRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/pam', tag: 'pam', kind: 'read', scopes: READERS,
    summary: 'Whether PAM is on, protection, and what it holds',
    responses: { 200: { description: 'status', schema: PamStatus } },
    handle: async ({ elevate }) => ok(await elevate.pamStatus()),
  }),
  route({
    method: 'POST', path: '/pam/enable', tag: 'pam', kind: 'write', scopes: ADMIN,
    summary: 'Accept requests again',
    body: z.strictObject({}).optional(),
    responses: { 200: { description: 'enabled', schema: ConfigurationOutcome }, 409: { description: 'already enabled' } },
    handle: async ({ elevate, actor }) => configurationResult(await elevate.enablePam(actor())),
  }),
  route({
    method: 'POST', path: '/pam/disable', tag: 'pam', kind: 'write', scopes: ADMIN,
    summary: 'Refuse new requests (a protected change)',
    body: z.strictObject({}).optional(),
    responses: {
      200: { description: 'disabled', schema: ConfigurationOutcome },
      202: { description: 'protected configuration: waits for another admin', schema: ConfigurationOutcome },
      409: { description: 'already disabled' },
    },
    handle: async ({ elevate, actor }) => configurationResult(await elevate.disablePam(actor())),
  }),
];
