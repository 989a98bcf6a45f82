import { ADMINS_GROUP, type Change } from './context.js';
import { formatDuration } from './duration.js';
import { ElevateError, InvalidInputError, NotFoundError } from './errors.js';
import type { ConfigurationChange, PolicyInput, Principal, Settings } from './model.js';
import { normalizePolicyFields, policyToInput } from './policies.js';
import { parsePrincipalRef, principalByEmail } from './principals.js';
import { targetKey } from './targets.js';

/**
 * The whole configuration as one document (policies as code): global settings, groups and
 * policies. Parsed from YAML outside the core (src/policy-document); planned and applied here.
 */
export interface ConfigurationDocument {
  /** Absent settings are left as they are. */
  settings: { pamEnabled?: boolean; protectedConfiguration?: Settings['protectedConfiguration'] };
  /** Absent: groups are left as they are; present: every group, exactly. */
  groups?: DocumentGroup[];
  /** Absent: policies are left as they are; present: every policy (those missing are removed). */
  policies?: PolicyInput[];
}

export interface DocumentGroup {
  name: string;
  description: string | null;
  /** A platform group (`slack:S…`, `teams:<group id>`) whose members the platform keeps; null: Elevate keeps them. */
  platformGroup: string | null;
  /** Elevate-kept members (principal references); empty for a platform group. */
  members: string[];
}

/** One field of a policy or setting that a plan changes; durations written as text. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface PlanItem {
  change: 'added' | 'changed' | 'removed';
  kind: 'setting' | 'group' | 'member' | 'policy';
  /** The setting, group, `group member` or policy target named. */
  name: string;
  fields: FieldChange[];
  /** For a removed policy: how many active grants it has (its removal needs `activeGrants` then). */
  activeGrants?: number;
}

export interface DocumentPlan {
  items: PlanItem[];
  /** The configuration changes that make the current state the document's, in the order they apply. */
  changes: ConfigurationChange[];
  /** What the changes allow but an admin should know (see AppliedChange). */
  warnings: string[];
}

const POLICY_GROUP_FIELDS = ['approverGroup', 'eligibleGroup', 'escalationGroup', 'breakGlassGroup'] as const;
// A removal of a policy counts its active grants up to this many (enough to say "some").
const GRANT_COUNT_LIMIT = 500;

/** A core field name as documents write it: `defaultDurationSeconds` is `defaultDuration`. */
export function documentFieldName(field: string): string {
  return field.endsWith('DurationSeconds') ? field.slice(0, -'Seconds'.length) : field;
}

function displayValue(field: string, value: unknown): unknown {
  return field.endsWith('DurationSeconds') && typeof value === 'number' ? formatDuration(value) : value;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The reference a document names a principal by: its first account, else its id. */
export function principalRefOf(principal: Principal | undefined, id: string): string {
  return principal?.identities[0] ?? id;
}

/** The principal a document's member reference names, if Elevate knows it (undefined: it will be created on first sight). */
async function knownPrincipal(change: Change, ref: string): Promise<Principal | undefined> {
  const parsed = parsePrincipalRef(ref);
  if ('email' in parsed) return principalByEmail(change.tx, parsed.email);
  if ('principalId' in parsed) return change.tx.getPrincipal(parsed.principalId);
  return change.tx.findPrincipalByIdentity(parsed.identity);
}

/** Prefixes a refusal with where in the document it is (`policies[2] Exchange\Search-Mailbox`), keeping its code. */
function at(path: Array<string | number>, where: string, work: () => Promise<void>): Promise<void> {
  return work().catch((error: unknown) => {
    if (error instanceof ElevateError) {
      error.message = `${where}: ${error.message}`;
      const field = typeof error.details.field === 'string' ? documentFieldName(error.details.field) : undefined;
      Object.assign(error.details, { documentPath: field && path[0] === 'policies' ? [...path, field] : path });
    }
    throw error;
  });
}

/**
 * Compares the document with the current state: what would be added, changed (field by field)
 * and removed, and the configuration changes that do it. Refuses a document that names a
 * policy field badly (InvalidInputError with `details.documentPath`) or asks for what a document
 * cannot do (remove a group, change a group's platform link or description, a target's type).
 * `activeGrants`: what happens to the active grants of removed policies.
 */
export async function planDocument(change: Change, doc: ConfigurationDocument, options: { activeGrants?: 'end' | 'keep' } = {}): Promise<DocumentPlan> {
  const { tx, ctx } = change;
  const items: PlanItem[] = [];
  const first: ConfigurationChange[] = [];
  const policies: ConfigurationChange[] = [];
  const last: ConfigurationChange[] = [];

  const settings = await tx.getSettings();
  if (doc.settings.pamEnabled !== undefined && doc.settings.pamEnabled !== settings.pamEnabled) {
    items.push({ change: 'changed', kind: 'setting', name: 'pam', fields: [{ field: 'pam', from: settings.pamEnabled ? 'on' : 'off', to: doc.settings.pamEnabled ? 'on' : 'off' }] });
    (doc.settings.pamEnabled ? first : last).push({ kind: doc.settings.pamEnabled ? 'pam.enable' : 'pam.disable' });
  }
  const mode = doc.settings.protectedConfiguration;
  if (mode !== undefined && mode !== settings.protectedConfiguration) {
    items.push({ change: 'changed', kind: 'setting', name: 'protectedConfiguration', fields: [{ field: 'protectedConfiguration', from: settings.protectedConfiguration, to: mode }] });
    last.push({ kind: 'settings.protectedConfiguration', mode });
  }

  const groups = await tx.listGroups();
  const named = new Map<string, DocumentGroup>();
  for (const wanted of doc.groups ?? []) {
    const key = wanted.name.trim().toLowerCase();
    if (named.has(key)) throw new InvalidInputError(`groups.${wanted.name}: the group is named twice`, { field: 'name', documentPath: ['groups', wanted.name] });
    named.set(key, wanted);
    await at(['groups', wanted.name], `group ${wanted.name}`, async () => {
      const current = groups.find((g) => g.name.toLowerCase() === key);
      if (!current) {
        items.push({ change: 'added', kind: 'group', name: wanted.name, fields: [] });
        first.push({ kind: 'group.create', name: wanted.name, description: wanted.description, directoryRef: wanted.platformGroup });
        for (const member of wanted.members) {
          items.push({ change: 'added', kind: 'member', name: `${wanted.name} ${member}`, fields: [] });
          first.push({ kind: 'group.addMember', group: wanted.name, member });
        }
        return;
      }
      if ((current.directoryRef ?? null) !== wanted.platformGroup) {
        throw new InvalidInputError(
          `is ${current.directoryRef ? `linked to ${current.directoryRef}` : 'kept by Elevate'}; a document cannot change that: create a group of another name`,
          { field: 'platformGroup' },
        );
      }
      if ((current.description ?? null) !== wanted.description) {
        throw new InvalidInputError(`its description is "${current.description ?? ''}"; a document cannot change the description of an existing group yet: write it as it is`, { field: 'description' });
      }
      if (current.source === 'directory') return;
      const memberIds = await tx.listGroupMemberIds(current.id);
      const kept = new Set<string>();
      for (const ref of wanted.members) {
        const principal = await knownPrincipal(change, ref);
        if (principal && memberIds.includes(principal.id)) {
          kept.add(principal.id);
          continue;
        }
        items.push({ change: 'added', kind: 'member', name: `${current.name} ${ref}`, fields: [] });
        first.push({ kind: 'group.addMember', group: current.name, member: ref });
      }
      const leaving = memberIds.filter((id) => !kept.has(id));
      const principals = leaving.length > 0 ? await tx.getPrincipals(leaving) : [];
      for (const id of leaving) {
        const ref = principalRefOf(principals.find((p) => p.id === id), id);
        items.push({ change: 'removed', kind: 'member', name: `${current.name} ${ref}`, fields: [] });
        // Admins leave last, after every other change (the last admin is never removed).
        (current.name === ADMINS_GROUP ? last : policies).push({ kind: 'group.removeMember', group: current.name, member: ref });
      }
    });
  }
  for (const group of doc.groups ? groups : []) {
    if (!named.has(group.name.toLowerCase())) {
      throw new InvalidInputError(`group ${group.name} is not in the document: a document cannot remove groups yet; keep it (elevate policy export writes it)`, { field: 'groups', documentPath: ['groups'] });
    }
  }
  const canonicalGroup = (name: string | null | undefined) => {
    if (!name) return name ?? null;
    const wanted = named.get(name.trim().toLowerCase());
    return wanted?.name ?? groups.find((g) => g.name.toLowerCase() === name.trim().toLowerCase())?.name ?? name.trim();
  };

  const current = await tx.listPolicies();
  const seen = new Set<string>();
  for (const [index, input] of (doc.policies ?? []).entries()) {
    await at(['policies', index], `policy ${input.target.name}`, async () => {
      const key = targetKey(input.target.name);
      if (seen.has(key)) throw new InvalidInputError('the policy is written twice', { field: 'target' });
      seen.add(key);
      const wanted = normalizePolicyFields(input, ctx.config, ctx.patterns);
      wanted.approverGroup = canonicalGroup(wanted.approverGroup ?? ctx.config.defaultApproverGroup);
      for (const field of POLICY_GROUP_FIELDS.slice(1)) wanted[field] = canonicalGroup(wanted[field]);
      for (const field of POLICY_GROUP_FIELDS) {
        const name = wanted[field];
        if (name && !named.has(name.toLowerCase()) && !groups.some((g) => g.name.toLowerCase() === name.toLowerCase())) {
          throw new NotFoundError(`group "${name}" does not exist: add it under groups`, { field });
        }
      }
      const existing = current.find((p) => targetKey(p.target.name) === key);
      if (!existing) {
        items.push({ change: 'added', kind: 'policy', name: wanted.target.name, fields: [] });
        policies.push({ kind: 'policy.create', policy: wanted });
        return;
      }
      if (existing.target.type !== wanted.target.type) {
        throw new InvalidInputError(`is a ${existing.target.type} policy; remove it and add the ${wanted.target.type} in two steps`, { field: 'target' });
      }
      const had = await policyToInput(change, existing);
      const patch: Record<string, unknown> = {};
      const fields: FieldChange[] = [];
      for (const field of Object.keys(wanted) as Array<keyof typeof wanted>) {
        if (field === 'target') continue;
        const from = POLICY_GROUP_FIELDS.includes(field as never) ? canonicalGroup(had[field] as string | null) : had[field];
        if (same(from, wanted[field])) continue;
        patch[field] = wanted[field];
        fields.push({ field: documentFieldName(field), from: displayValue(field, from), to: displayValue(field, wanted[field]) });
      }
      if (fields.length === 0) return;
      items.push({ change: 'changed', kind: 'policy', name: existing.target.name, fields });
      policies.push({ kind: 'policy.update', targetName: existing.target.name, patch: patch as Partial<Omit<PolicyInput, 'target'>> });
    });
  }
  for (const policy of doc.policies ? current.sort((a, b) => a.target.name.localeCompare(b.target.name)) : []) {
    if (seen.has(targetKey(policy.target.name))) continue;
    const active = (await tx.listGrants({ policyIds: [policy.id], status: 'active', limit: GRANT_COUNT_LIMIT })).length;
    items.push({ change: 'removed', kind: 'policy', name: policy.target.name, fields: [], activeGrants: active });
    policies.push({ kind: 'policy.remove', targetName: policy.target.name, ...(options.activeGrants ? { activeGrants: options.activeGrants } : {}) });
  }
  return { items, changes: [...first, ...policies, ...last], warnings: [] };
}

/** One line per planned item, as `elevate policy plan` prints it. */
export function describePlan(plan: Pick<DocumentPlan, 'items'>): string[] {
  const show = (value: unknown) => (value === null || value === undefined ? 'none' : typeof value === 'string' ? value : JSON.stringify(value));
  return plan.items.map((item) => {
    const sign = item.change === 'added' ? '+' : item.change === 'removed' ? '-' : '~';
    const what = item.kind === 'member' ? `member ${item.name}` : `${item.kind} ${item.name}`;
    const fields = item.fields.map((f) => `${f.field}: ${show(f.from)} -> ${show(f.to)}`).join(', ');
    const grants = item.activeGrants ? ` (${item.activeGrants} active grant(s))` : '';
    return `${sign} ${what}${fields ? `: ${fields}` : ''}${grants}`;
  });
}

/** The document's current state, as `elevate policy export` writes it: every group, member and policy, sorted. */
export async function currentDocument(change: Change): Promise<ConfigurationDocument> {
  const { tx } = change;
  const settings = await tx.getSettings();
  const groups: DocumentGroup[] = [];
  for (const group of await tx.listGroups()) {
    const ids = group.source === 'elevate' ? await tx.listGroupMemberIds(group.id) : [];
    const principals = ids.length > 0 ? await tx.getPrincipals(ids) : [];
    groups.push({
      name: group.name, description: group.description, platformGroup: group.directoryRef,
      members: ids.map((id) => principalRefOf(principals.find((p) => p.id === id), id)).sort(),
    });
  }
  const policies: PolicyInput[] = [];
  for (const policy of (await tx.listPolicies()).sort((a, b) => a.target.name.localeCompare(b.target.name))) {
    policies.push(await policyToInput(change, policy));
  }
  return {
    settings: { pamEnabled: settings.pamEnabled, protectedConfiguration: settings.protectedConfiguration },
    groups: groups.sort((a, b) => a.name.localeCompare(b.name)),
    policies,
  };
}

