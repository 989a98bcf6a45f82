import { z } from 'zod';
import type { PolicyInput } from '../../../core/model.js';
import { parseTarget } from '../../../core/targets.js';
import { toPolicyFields } from '../../../policy-fields.js';
import { ADMIN, CONFIGURATION_RESPONSES, configurationResult, ok, READERS, route, type ApiRoute } from '../api-route.js';
import { Policy, PolicyCreate, PolicyPatch, PolicyRemoveQuery, TargetParam } from '../schemas.js';

export const policyRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/policies', tag: 'policies', kind: 'read', scopes: READERS,
    summary: 'Every policy',
    responses: { 200: { description: 'policies by target name', schema: z.object({ items: z.array(Policy) }) } },
    handle: async ({ elevate }) => ok({ items: await elevate.listPolicies() }),
  }),
  route({
    method: 'GET', path: '/policies/{target}', tag: 'policies', kind: 'read', scopes: READERS,
    summary: 'The policy of one target',
    params: TargetParam,
    responses: { 200: { description: 'the policy', schema: Policy } },
    handle: async ({ elevate, params }) => ok(await elevate.getPolicy(params.target)),
  }),
  route({
    method: 'POST', path: '/policies', tag: 'policies', kind: 'write', scopes: ADMIN,
    summary: 'Create the policy of a target (a protected change when protection is in force)',
    body: PolicyCreate,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, body }) => {
      const { target, approval, ...fields } = body;
      const input: PolicyInput = { target: parseTarget(target.type, target.name), approval, ...toPolicyFields(fields) };
      return configurationResult(await elevate.createPolicy(actor(), input));
    },
  }),
  route({
    method: 'PATCH', path: '/policies/{target}', tag: 'policies', kind: 'write', scopes: ADMIN,
    summary: 'Change fields of a policy',
    params: TargetParam, body: PolicyPatch,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, params, body }) => configurationResult(await elevate.updatePolicy(actor(), params.target, toPolicyFields(body))),
  }),
  route({
    method: 'DELETE', path: '/policies/{target}', tag: 'policies', kind: 'write', scopes: ADMIN,
    summary: 'Remove the policy of a target',
    params: TargetParam, query: PolicyRemoveQuery,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, params, query }) => configurationResult(await elevate.removePolicy(actor(), params.target, query.activeGrants)),
  }),
];
