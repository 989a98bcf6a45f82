import type { Group, GroupSource } from '../core/model.js';
import type { Instant } from '../core/time.js';
import type { Db, GroupMembersTable, GroupsTable } from './database.js';
import { queryTemplate } from './query-templates.js';
import { changedOne } from './rows.js';

const GROUP_COLUMNS = ['id', 'name', 'description', 'source', 'directory_ref', 'created_at'] as const;

/** Group names are unique and looked up regardless of case and surrounding spaces. */
export function groupNameKey(name: string): string {
  return name.trim().toLowerCase();
}

function toGroup(row: Omit<GroupsTable, 'name_key'>): Group {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    source: row.source as GroupSource,
    directoryRef: row.directory_ref,
    createdAt: row.created_at,
  };
}

const GET = queryTemplate((db, a: { id: string }) => db.selectFrom('groups').select(GROUP_COLUMNS).where('id', '=', a.id));

export async function getGroup(db: Db, id: string): Promise<Group | undefined> {
  const row = await GET.first(db, { id });
  return row && toGroup(row);
}

const FIND_BY_NAME = queryTemplate((db, a: { nameKey: string }) => db.selectFrom('groups').select(GROUP_COLUMNS)
  .where('name_key', '=', a.nameKey));

export async function findGroupByName(db: Db, name: string): Promise<Group | undefined> {
  const row = await FIND_BY_NAME.first(db, { nameKey: groupNameKey(name) });
  return row && toGroup(row);
}

/** All groups, by name. */
export async function listGroups(db: Db): Promise<Group[]> {
  const rows = await db.selectFrom('groups').select(GROUP_COLUMNS).orderBy('name_key').execute();
  return rows.map(toGroup);
}

/** Throws (unique constraint) when a group of that name exists, whatever its case. */
export async function insertGroup(db: Db, group: Group): Promise<void> {
  await db.insertInto('groups').values({
    id: group.id,
    name: group.name,
    name_key: groupNameKey(group.name),
    description: group.description,
    source: group.source,
    directory_ref: group.directoryRef,
    created_at: group.createdAt,
  }).execute();
}

const MEMBER_IDS = queryTemplate((db, a: { groupId: string }) => db.selectFrom('group_members').select('principal_id')
  .where('group_id', '=', a.groupId).orderBy('added_at').orderBy('principal_id'));

/** Member principal ids, in the order they were added. */
export async function listGroupMemberIds(db: Db, groupId: string): Promise<string[]> {
  return (await MEMBER_IDS.rows(db, { groupId })).map((row) => row.principal_id);
}

const ADD_MEMBER = queryTemplate((db, a: { row: GroupMembersTable }) => db.insertInto('group_members').values(a.row)
  .onConflict((oc) => oc.columns(['group_id', 'principal_id']).doNothing()));

export async function addGroupMember(db: Db, groupId: string, principalId: string, at: Instant): Promise<boolean> {
  return changedOne(await ADD_MEMBER.affected(db, { row: { group_id: groupId, principal_id: principalId, added_at: at } }));
}

const REMOVE_MEMBER = queryTemplate((db, a: { groupId: string; principalId: string }) => db.deleteFrom('group_members')
  .where('group_id', '=', a.groupId).where('principal_id', '=', a.principalId));

export async function removeGroupMember(db: Db, groupId: string, principalId: string): Promise<boolean> {
  return changedOne(await REMOVE_MEMBER.affected(db, { groupId, principalId }));
}
