import BetterSqlite3 from 'better-sqlite3';
import type { Elevate } from '../src/core/elevate.js';
import type { KeySet } from '../src/core/keyring.js';
import type { Actor } from '../src/core/ports.js';
import { signGrant, signRequest } from '../src/core/signature.js';

/**
 * Bulk-loads `count` active grants of `Exchange\Search-Mailbox` (and their requests and
 * holders `slack:US0`…) straight into a migrated SQLite file that has one policy: a fixture, not
 * what a benchmark measures. `endsAt(i)` is the end of grant i. Requests and grants are signed
 * with `keys` (the installation's signing keys), as Elevate signs them: it honours nothing else.
 */
export function seedGrants(path: string, keys: KeySet, count: number, endsAt: (i: number) => string, now = '2026-11-27T09:00:00.000Z'): void {
  const db = new BetterSqlite3(path);
  const principal = db.prepare('insert into principals (id, display_name, email, created_at) values (?, null, null, ?)');
  const identity = db.prepare('insert into principal_identities (identity, principal_id, added_at) values (?, ?, ?)');
  const request = db.prepare(`insert into requests (id, requester_id, policy_id, target_key, target_type, target_scope, target_name, duration_seconds, reason, ticket, status,
    created_at, deadline_at, decided_at, decided_by, decision_comment, approvals_required, grant_id, change_json, origin, reminded_at, signature, updated_at)
    values (?, ?, ?, ?, 'task', 'Exchange', ?, 3600, 'seed', null, 'approved', ?, ?, ?, null, null, 1, ?, null, 'cli', null, ?, ?)`);
  const grant = db.prepare(`insert into grants (id, request_id, principal_id, policy_id, target_key, target_type, target_scope, target_name, starts_at, ends_at, status,
    ended_at, ended_by, end_comment, expiry_notice_at, updated_at, signature) values (?, ?, ?, ?, ?, 'task', 'Exchange', ?, ?, ?, 'active', null, null, null, ?, ?, ?)`);
  const policyId = (db.prepare('select id from policies limit 1').get() as { id: string }).id;
  const target = 'Exchange\\Search-Mailbox';
  const targetFields = { type: 'task' as const, scope: 'Exchange', name: target };
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      principal.run(`P-S${i}`, now);
      identity.run(`slack:US${i}`, `P-S${i}`, now);
      const requestSignature = signRequest(keys, {
        id: `R-S${i}`, requesterId: `P-S${i}`, requesterIdentity: null, policyId, policyVersion: null, target: targetFields, durationSeconds: 3600,
        reason: 'seed', ticket: null, createdAt: now, deadlineAt: now, change: null, approvalsRequired: 1, origin: 'cli', extendsGrantId: null,
      });
      request.run(`R-S${i}`, `P-S${i}`, policyId, target.toLowerCase(), target, now, now, now, `G-S${i}`, requestSignature, now);
      const grantSignature = signGrant(keys, {
        id: `G-S${i}`, requestId: `R-S${i}`, principalId: `P-S${i}`, policyId, target: targetFields, startsAt: now, endsAt: endsAt(i), status: 'active', endedAt: null,
      });
      grant.run(`G-S${i}`, `R-S${i}`, `P-S${i}`, policyId, target.toLowerCase(), target, now, endsAt(i), now, now, grantSignature);
    }
  })();
  db.close();
}

/** The setup request→approve cycles run against: an admin, two approvers, a manual policy. */
export async function seedApprovalSetup(elevate: Elevate): Promise<void> {
  const operator: Actor = { kind: 'operator', origin: 'cli' };
  await elevate.bootstrap({ admins: ['slack:UADMIN'], auditors: [] });
  await elevate.createGroup(operator, 'approvers');
  await elevate.addGroupMember(operator, 'approvers', 'slack:UAPPROVER1');
  await elevate.addGroupMember(operator, 'approvers', 'slack:UAPPROVER2');
  await elevate.createPolicy(operator, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers' });
}
