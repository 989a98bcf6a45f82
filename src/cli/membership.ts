import { NotFoundError } from '../core/errors.js';
import type { AuditRecord, Group } from '../core/model.js';
import { describePerson } from '../core/people.js';
import type { Engine } from '../main.js';

export interface Member {
  principalId: string;
  /** "Carol (slack:UCAROL)" */
  name: string;
  identities: string[];
  /** When they were (last) added, from the audit log; null when the log does not say. */
  since: string | null;
  /** Where the membership came from, e.g. "ELEVATE_ADMINS (first start)" or "operator via cli". */
  addedBy: string | null;
}

/** All records of one action on one subject (the log is read a page at a time). */
async function recordsOf(engine: Engine, subject: string, action: string): Promise<AuditRecord[]> {
  const all: AuditRecord[] = [];
  for (;;) {
    const page = await engine.store.listAudit({ subject, action, afterSeq: all.at(-1)?.seq });
    if (page.length === 0) return all;
    all.push(...page);
  }
}

function provenance(record: AuditRecord): string {
  if (record.details.bootstrap === true) return `${record.subject === 'auditors' ? 'ELEVATE_AUDITORS' : 'ELEVATE_ADMINS'} at first start`;
  const approval = record.details.approval as { approvedBy?: string } | undefined;
  return `${record.actor} via ${record.origin}${approval?.approvedBy ? ` (approved by ${approval.approvedBy})` : ''}`;
}

/** A group kept by Elevate and its members, each with when and how they were added (from the audit log). */
export async function groupMembership(engine: Engine, name: string): Promise<{ group: Group; members: Member[] }> {
  const { group, principals } = await engine.store.read(async (tx) => {
    const found = await tx.findGroupByName(name.trim());
    if (!found) {
      const known = (await tx.listGroups()).map((g) => g.name);
      throw new NotFoundError(`group "${name}" does not exist${known.length ? ` (known: ${known.join(', ')})` : ''}`);
    }
    return { group: found, principals: found.source === 'elevate' ? await tx.getPrincipals(await tx.listGroupMemberIds(found.id)) : [] };
  });
  const added = new Map<string, AuditRecord>();
  for (const record of await recordsOf(engine, group.name, 'group.memberAdded')) {
    if (typeof record.details.principalId === 'string') added.set(record.details.principalId, record);
  }
  const members = principals.map((p) => {
    const record = added.get(p.id);
    return { principalId: p.id, name: describePerson(p, p.id), identities: p.identities, since: record?.at ?? null, addedBy: record ? provenance(record) : null };
  }).sort((a, b) => a.name.localeCompare(b.name));
  return { group, members };
}
