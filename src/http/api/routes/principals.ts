import { z } from 'zod';
import { ConflictError } from '../../../core/errors.js';
import { normalizeIdentity } from '../../../core/principals.js';
import { ADMIN, CONFIGURATION_RESPONSES, configurationResult, ok, READERS, route, type ApiRoute } from '../api-route.js';
import { IdentityLink, IdentityParam, PrincipalDetails, PrincipalParam } from '../schemas.js';

export const principalRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/principals', tag: 'principals', kind: 'read', scopes: READERS,
    summary: 'Every person with an account, with their accounts and what they hold (admins, auditors)',
    responses: { 200: { description: 'principals by id', schema: z.object({ items: z.array(PrincipalDetails) }) } },
    handle: async ({ elevate, actor }) => ok({ items: await elevate.listPrincipals(actor()) }),
  }),
  route({
    method: 'GET', path: '/principals/{principal}', tag: 'principals', kind: 'read', scopes: READERS,
    summary: 'One person: each account with its verified address and how it was linked',
    params: PrincipalParam,
    responses: { 200: { description: 'the principal', schema: PrincipalDetails } },
    handle: async ({ elevate, actor, params }) => ok(await elevate.getPrincipal(actor(), params.principal)),
  }),
  route({
    method: 'POST', path: '/principals/{principal}/identities', tag: 'principals', kind: 'write', scopes: ADMIN,
    summary: "Link an account to a person (its current principal must hold nothing); protected configuration applies",
    params: PrincipalParam, body: IdentityLink,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, params, body }) => configurationResult(await elevate.linkPrincipal(actor(), params.principal, body.identity)),
  }),
  route({
    method: 'DELETE', path: '/principals/{principal}/identities/{identity}', tag: 'principals', kind: 'write', scopes: ADMIN,
    summary: 'Unlink an account: it becomes a person of its own, holding nothing; protected configuration applies',
    params: IdentityParam,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, params }) => {
      const principal = await elevate.getPrincipal(actor(), params.principal);
      const identity = normalizeIdentity(params.identity);
      if (!identity || !principal.identities.includes(identity)) throw new ConflictError(`${params.identity} is not an account of ${principal.id}`);
      return configurationResult(await elevate.unlinkPrincipal(actor(), identity));
    },
  }),
];
