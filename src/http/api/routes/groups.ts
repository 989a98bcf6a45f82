import { z } from 'zod';
import { NotFoundError } from '../../../core/errors.js';
import { ADMIN, CONFIGURATION_RESPONSES, configurationResult, ok, READERS, route, type ApiRoute } from '../api-route.js';
import { Group, GroupCreate, GroupParam, MemberAdd, MemberParam } from '../schemas.js';


export const groupRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/groups', tag: 'groups', kind: 'read', scopes: READERS,
    summary: 'Every group and its Elevate members (platform groups are resolved by their platform)',
    responses: { 200: { description: 'groups by name', schema: z.object({ items: z.array(Group) }) } },
    handle: async ({ elevate }) => ok({ items: await elevate.listGroups() }),
  }),
  route({
    method: 'GET', path: '/groups/{name}', tag: 'groups', kind: 'read', scopes: READERS,
    summary: 'One group and its members',
    params: GroupParam,
    responses: { 200: { description: 'the group', schema: Group } },
    handle: async ({ elevate, params }) => {
      const group = (await elevate.listGroups()).find((g) => g.name.toLowerCase() === params.name.trim().toLowerCase());
      if (!group) throw new NotFoundError(`group "${params.name}" does not exist`, { field: 'name' });
      return ok(group);
    },
  }),
  route({
    method: 'POST', path: '/groups', tag: 'groups', kind: 'write', scopes: ADMIN,
    summary: 'Create a group (optionally linked to a Slack user group or an Entra group)',
    body: GroupCreate,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, body }) => configurationResult(await elevate.createGroup(actor(), body.name, body)),
  }),
  route({
    method: 'POST', path: '/groups/{name}/members', tag: 'groups', kind: 'write', scopes: ADMIN,
    summary: 'Add a member',
    params: GroupParam, body: MemberAdd,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, params, body }) => configurationResult(await elevate.addGroupMember(actor(), params.name, body.member)),
  }),
  route({
    method: 'DELETE', path: '/groups/{name}/members/{member}', tag: 'groups', kind: 'write', scopes: ADMIN,
    summary: 'Remove a member',
    params: MemberParam,
    responses: CONFIGURATION_RESPONSES,
    handle: async ({ elevate, actor, params }) => configurationResult(await elevate.removeGroupMember(actor(), params.name, params.member)),
  }),
];
