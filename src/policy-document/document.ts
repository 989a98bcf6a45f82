import { stringify } from 'yaml';
import { z } from 'zod';
import type { ConfigurationDocument, DocumentGroup } from '../core/configuration-document.js';
import { ElevateError } from '../core/errors.js';
import type { PolicyInput, Settings, TargetType } from '../core/model.js';
import { parseTarget } from '../core/targets.js';
import { fromPolicyFields, policyFieldSchemas, toPolicyFields, type PolicyFieldsText } from '../policy-fields.js';
import { YamlSource } from './source.js';

/**
 * The policy document (policies as code), in YAML:
 *
 * A section left out is left as it is (a document may manage only policies); a section present
 * is the whole of it: groups and policies missing from it are refused or removed.
 *
 *   settings:   { pam: enabled|disabled, protectedConfiguration: auto|on|off }
 *   groups:     { <name>: { description, members: [slack:U…, …] } | { description, platformGroup: slack:S… } }
 *   policies:   [ { task|role|roleGroup: Scope\Name, approval, …every policy field… } ]
 *
 * Policy fields come from src/policy-fields.ts, so a new policy field needs no change here.
 */
const MAX_GROUPS = 500;
const MAX_POLICIES = 2000;
const MAX_MEMBERS = 5000;

const targetName = z.string().min(3).max(200).meta({ description: 'Scope\\Name, e.g. Exchange\\Search-Mailbox' });
const TARGET_KEYS = { task: 'task', role: 'role', roleGroup: 'roleGroup' } as const satisfies Record<string, TargetType>;

const optionalPolicyFields = Object.fromEntries(Object.entries(policyFieldSchemas).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof policyFieldSchemas]: z.ZodOptional<(typeof policyFieldSchemas)[K]>
};

const policySchema = z.strictObject({
  task: targetName.optional().meta({ description: 'a command, e.g. Exchange\\Search-Mailbox' }),
  role: targetName.optional().meta({ description: 'a management role' }),
  roleGroup: targetName.optional().meta({ description: 'a role group' }),
  ...optionalPolicyFields,
  approval: policyFieldSchemas.approval,
}).refine((p) => [p.task, p.role, p.roleGroup].filter((t) => t !== undefined).length === 1, {
  message: 'name exactly one target: task, role or roleGroup',
});

const groupSchema = z.strictObject({
  description: z.string().max(500).optional(),
  platformGroup: z.string().regex(/^(slack|teams):\S{1,200}$/, 'write slack:<user group id> or teams:<group id>').optional()
    .meta({ description: 'members are kept in the chat platform (a Slack user group, a Teams/Entra group)' }),
  members: z.array(z.string().min(3).max(320)).max(MAX_MEMBERS).optional()
    .meta({ description: 'Elevate-kept members: slack:U…, teams:<Entra object id>, a verified email address or a principal id' }),
}).refine((g) => !(g.platformGroup && g.members?.length), { message: 'a platform group has its members in the platform: remove members or platformGroup' });

export const policyDocumentSchema = z.strictObject({
  settings: z.strictObject({
    pam: z.enum(['enabled', 'disabled']).optional().meta({ description: 'disabled: no new requests are accepted' }),
    protectedConfiguration: z.enum(['auto', 'on', 'off']).optional().meta({ description: 'auto: on once there are two or more admins' }),
  }).optional(),
  groups: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'a group name is 1-64 letters, digits, spaces, dots, dashes or underscores'), groupSchema.nullable())
    .refine((groups) => Object.keys(groups).length <= MAX_GROUPS, `at most ${MAX_GROUPS} groups`).optional(),
  policies: z.array(policySchema).max(MAX_POLICIES).optional(),
}).meta({ title: 'Elevate policy document', description: 'Groups, policies and global settings of Elevate (elevate policy export / plan / apply)' });

type WrittenPolicy = z.output<typeof policySchema>;

/** The JSON Schema of the policy document (editors validate as people type). */
export function policyDocumentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(policyDocumentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Reads a policy document; InvalidInputError naming the line and field of each problem. */
export function readPolicyDocument(text: string, name = 'document'): { document: ConfigurationDocument; source: YamlSource } {
  const source = YamlSource.parse(text, name);
  const written = source.check(policyDocumentSchema);
  const groups: DocumentGroup[] | undefined = written.groups && Object.entries(written.groups).map(([groupName, group]) => ({
    name: groupName,
    description: group?.description?.trim() || null,
    platformGroup: group?.platformGroup ?? null,
    members: group?.members ?? [],
  }));
  const policies = written.policies?.map((policy, index) => {
    try {
      return toPolicyInput(policy);
    } catch (error) {
      const field = error instanceof ElevateError && typeof error.details.field === 'string' ? error.details.field : undefined;
      throw source.locate(error, ['policies', index, ...(field && field !== 'target' ? [field] : [])]);
    }
  });
  const settings: ConfigurationDocument['settings'] = {
    ...(written.settings?.pam ? { pamEnabled: written.settings.pam === 'enabled' } : {}),
    ...(written.settings?.protectedConfiguration ? { protectedConfiguration: written.settings.protectedConfiguration as Settings['protectedConfiguration'] } : {}),
  };
  return { document: { settings, ...(groups ? { groups } : {}), ...(policies ? { policies } : {}) }, source };
}

function toPolicyInput(policy: WrittenPolicy): PolicyInput {
  const { task, role, roleGroup, approval, ...fields } = policy;
  const [type, name] = Object.entries({ task, role, roleGroup }).find(([, v]) => v !== undefined) as [keyof typeof TARGET_KEYS, string];
  return { target: parseTarget(TARGET_KEYS[type], name), ...toPolicyFields(fields as PolicyFieldsText), approval };
}

/** Writes a configuration document as YAML: every setting, group, member and policy field that is set. */
export function writePolicyDocument(doc: ConfigurationDocument): string {
  const groups = Object.fromEntries((doc.groups ?? []).map((g) => [g.name, {
    ...(g.description ? { description: g.description } : {}),
    ...(g.platformGroup ? { platformGroup: g.platformGroup } : { members: g.members }),
  }]));
  const policies = (doc.policies ?? []).map(({ target, ...fields }) => ({
    [target.type]: target.name,
    ...Object.fromEntries(Object.entries(fromPolicyFields(fields)).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))),
  }));
  const settings = {
    ...(doc.settings.pamEnabled !== undefined ? { pam: doc.settings.pamEnabled ? 'enabled' : 'disabled' } : {}),
    ...(doc.settings.protectedConfiguration ? { protectedConfiguration: doc.settings.protectedConfiguration } : {}),
  };
  const header = '# Elevate policy document: elevate policy plan -f <file>, then elevate policy apply -f <file>\n'
    + '# Editors validate it with the JSON Schema: elevate policy schema > elevate.schema.json\n'
    + '# yaml-language-server: $schema=./elevate.schema.json\n';
  return header + stringify({ settings, groups, policies }, { lineWidth: 0 });
}
