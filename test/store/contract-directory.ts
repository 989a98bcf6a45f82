import { describe, expect, it } from 'vitest';
import { SeenRequests } from '../../src/store/seen-requests.js';
import { at, group, insertPrincipal, policy, principal, T0 } from './fixtures.js';
import type { CurrentStore } from './store-contract.js';

/** Settings, principals, groups, policies, and transaction semantics. */
export function describeDirectoryContract(store: CurrentStore): void {
  describe('transactions', () => {
    it('commits the work of a transaction and returns its result', async () => {
      const result = await store().transaction(async (tx) => {
        await insertPrincipal(tx, principal('P-1', ['slack:U1']));
        return 42;
      });
      expect(result).toBe(42);
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toBeDefined();
    });

    it('rolls everything back when the work throws', async () => {
      await expect(store().transaction(async (tx) => {
        await insertPrincipal(tx, principal('P-1', ['slack:U1']));
        await tx.insertGroup(group('GRP-1', 'admins'));
        throw new Error('boom');
      })).rejects.toThrow('boom');
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toBeUndefined();
      expect(await store().read((tx) => tx.listGroups())).toEqual([]);
    });
  });

  describe('settings', () => {
    it('defaults to PAM enabled and protected configuration auto', async () => {
      expect(await store().read((tx) => tx.getSettings())).toEqual({ pamEnabled: true, protectedConfiguration: 'auto', feedConversations: {} });
    });

    it('stores and replaces settings', async () => {
      await store().transaction((tx) => tx.putSettings({ pamEnabled: false, protectedConfiguration: 'on', feedConversations: { teams: '19:feed' } }));
      expect(await store().read((tx) => tx.getSettings())).toEqual({ pamEnabled: false, protectedConfiguration: 'on', feedConversations: { teams: '19:feed' } });
      await store().transaction((tx) => tx.putSettings({ pamEnabled: true, protectedConfiguration: 'off', feedConversations: {} }));
      expect(await store().read((tx) => tx.getSettings())).toEqual({ pamEnabled: true, protectedConfiguration: 'off', feedConversations: {} });
    });
  });

  describe('principals', () => {
    it('round-trips a principal with its identities in the order given, name and addresses from its identities', async () => {
      await store().transaction((tx) => insertPrincipal(tx, principal('P-1', ['teams:abc', 'slack:U1']),
        { emails: { 'teams:abc': 'Alice@Example.com', 'slack:U1': 'alice@other.example' }, names: { 'slack:U1': 'Alice' } }));
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toEqual({
        id: 'P-1', displayName: 'Alice', email: 'alice@example.com', identities: ['teams:abc', 'slack:U1'], emails: ['alice@example.com', 'alice@other.example'],
      });
      expect(await store().read((tx) => tx.getPrincipal('P-404'))).toBeUndefined();
    });

    it('keeps a principal without identities', async () => {
      await store().transaction((tx) => insertPrincipal(tx, principal('P-1', [])));
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toEqual(principal('P-1', []));
    });

    it('gets several principals at once, in the order asked, skipping unknown and repeated ids', async () => {
      await store().transaction(async (tx) => {
        await insertPrincipal(tx, principal('P-1', ['slack:U1', 'teams:t1']));
        await insertPrincipal(tx, principal('P-2', ['slack:U2']));
        await insertPrincipal(tx, principal('P-3', ['slack:U3']));
      });
      const found = await store().read((tx) => tx.getPrincipals(['P-3', 'P-404', 'P-1', 'P-3']));
      expect(found).toEqual([principal('P-3', ['slack:U3']), principal('P-1', ['slack:U1', 'teams:t1'])]);
      expect(await store().read((tx) => tx.getPrincipals([]))).toEqual([]);
    });

    it('finds a principal by any of its identities, with all identities', async () => {
      await store().transaction(async (tx) => {
        await insertPrincipal(tx, principal('P-1', ['slack:U1', 'teams:t1']));
        await insertPrincipal(tx, principal('P-2', ['slack:U2']));
      });
      expect(await store().read((tx) => tx.findPrincipalByIdentity('teams:t1'))).toEqual(principal('P-1', ['slack:U1', 'teams:t1']));
      expect(await store().read((tx) => tx.findPrincipalByIdentity('slack:U404'))).toBeUndefined();
    });

    it('finds every principal one of whose identities has a verified address, regardless of case', async () => {
      await store().transaction(async (tx) => {
        await insertPrincipal(tx, principal('P-1', ['slack:U1']), { emails: { 'slack:U1': 'Alice@Example.COM' } });
        await insertPrincipal(tx, principal('P-2', ['teams:t2', 'slack:U2']), { emails: { 'slack:U2': 'alice@example.com' } });
        await insertPrincipal(tx, principal('P-3', ['slack:U3']), { emails: { 'slack:U3': 'bob@example.com' } });
      });
      const found = await store().read((tx) => tx.findPrincipalsByEmail('ALICE@example.com'));
      expect(found.map((p) => p.id)).toEqual(['P-1', 'P-2']);
      expect(found[1]!.identities).toEqual(['teams:t2', 'slack:U2']);
      expect(await store().read((tx) => tx.findPrincipalsByEmail('carol@example.com'))).toEqual([]);
      expect(await store().listSharedEmails()).toEqual(['alice@example.com']);
    });

    it('assigns identities after the existing ones, moving one from its principal, and records how', async () => {
      await store().transaction(async (tx) => {
        await insertPrincipal(tx, principal('P-1', ['slack:U1']));
        await insertPrincipal(tx, principal('P-2', ['teams:t1']), { emails: { 'teams:t1': 'a@example.com' } });
        await tx.assignIdentity('slack:U9', 'P-1', 'admin', at(5));
        await tx.assignIdentity('teams:t1', 'P-1', 'code', at(6));
      });
      expect((await store().read((tx) => tx.getPrincipal('P-1')))?.identities).toEqual(['slack:U1', 'slack:U9', 'teams:t1']);
      expect((await store().read((tx) => tx.getPrincipal('P-2')))?.identities).toEqual([]);
      const details = await store().read((tx) => tx.listIdentityDetails(['P-1', 'P-2']));
      expect(details.map((d) => [d.identity, d.principalId, d.linkedBy, d.email])).toEqual([
        ['slack:U1', 'P-1', 'first sight', null], ['slack:U9', 'P-1', 'admin', null], ['teams:t1', 'P-1', 'code', 'a@example.com'],
      ]);
      const changed = await store().listIdentitiesChangedSince(at(5));
      expect(changed.map((d) => [d.identity, d.principalId])).toEqual([['slack:U9', 'P-1'], ['teams:t1', 'P-1']]);
      expect(await store().read((tx) => tx.listPrincipals(10))).toEqual([expect.objectContaining({ id: 'P-1' })]);
    });

    it('orders bulk-loaded identities (no position given) by the time they were added', async () => {
      await store().transaction((tx) => insertPrincipal(tx, principal('P-1', [])));
      await store().db.insertInto('principal_identities').values([
        { identity: 'slack:U2', principal_id: 'P-1', added_at: at(2), email: null, display_name: null, updated_at: at(2) },
        { identity: 'slack:U1', principal_id: 'P-1', added_at: at(1), email: null, display_name: null, updated_at: at(1) },
      ]).execute();
      expect((await store().read((tx) => tx.getPrincipal('P-1')))?.identities).toEqual(['slack:U1', 'slack:U2']);
    });

    it('refuses a new principal with an identity that belongs to another', async () => {
      await store().transaction((tx) => insertPrincipal(tx, principal('P-1', ['slack:U1'])));
      await expect(store().transaction((tx) => insertPrincipal(tx, principal('P-3', ['slack:U1'])))).rejects.toThrow();
    });

    it('updates what an identity\'s platform says, and stamps the change', async () => {
      await store().transaction((tx) => insertPrincipal(tx, principal('P-1', ['slack:U1'])));
      await store().transaction((tx) => tx.setIdentityProfile('slack:U1', { displayName: 'Alice', email: 'ALICE@example.com' }, at(9)));
      expect(await store().read((tx) => tx.getPrincipal('P-1')))
        .toEqual(principal('P-1', ['slack:U1'], { displayName: 'Alice', email: 'alice@example.com' }));
      expect((await store().listIdentitiesChangedSince(at(9))).map((d) => d.identity)).toEqual(['slack:U1']);
      await store().transaction((tx) => tx.setIdentityProfile('slack:U1', { displayName: null, email: null }, at(10)));
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toEqual(principal('P-1', ['slack:U1']));
    });

    it('lists the Elevate groups a principal is in', async () => {
      await store().transaction(async (tx) => {
        await insertPrincipal(tx, principal('P-1', ['slack:U1']));
        await tx.insertGroup(group('GRP-1', 'admins'));
        await tx.insertGroup(group('GRP-2', 'others'));
        await tx.addGroupMember('GRP-1', 'P-1', T0);
      });
      expect(await store().read((tx) => tx.listGroupIdsOf('P-1'))).toEqual(['GRP-1']);
    });
  });

  describe('link codes and replays', () => {
    const code = { codeHash: 'h1', principalId: 'P-1', identity: 'slack:U1', purpose: 'chat' as const, createdAt: at(0), expiresAt: at(600), usedAt: null };

    it('keeps link codes by hash; a code is used once', async () => {
      await store().transaction((tx) => tx.insertLinkCode(code));
      expect(await store().read((tx) => tx.getLinkCode('h1'))).toEqual(code);
      expect(await store().read((tx) => tx.getLinkCode('h2'))).toBeUndefined();
      expect(await store().transaction((tx) => tx.useLinkCode('h1', at(10)))).toBe(true);
      expect(await store().transaction((tx) => tx.useLinkCode('h1', at(11)))).toBe(false);
      expect((await store().read((tx) => tx.getLinkCode('h1')))?.usedAt).toBe(at(10));
      expect(await store().read((tx) => tx.countLinkCodesIssued('slack:U1', at(0)))).toBe(1);
      expect(await store().read((tx) => tx.countLinkCodesIssued('slack:U1', at(1)))).toBe(0);
    });

    it('counts failed link attempts per identity since a time', async () => {
      await store().transaction(async (tx) => {
        await tx.recordFailedLinkAttempt('teams:t1', at(1));
        await tx.recordFailedLinkAttempt('teams:t1', at(5));
        await tx.recordFailedLinkAttempt('teams:t2', at(5));
      });
      expect(await store().read((tx) => tx.countFailedLinkAttempts('teams:t1', at(2)))).toBe(1);
      expect(await store().read((tx) => tx.countFailedLinkAttempts('teams:t1', at(0)))).toBe(2);
    });

    it('remembers a request fingerprint once', async () => {
      const guard = new SeenRequests(store().db);
      expect(await guard.rememberOnce('slack:v0=abc', at(300), at(0))).toBe(true);
      expect(await guard.rememberOnce('slack:v0=abc', at(300), at(1))).toBe(false);
      expect(await guard.rememberOnce('slack:v0=abd', at(300), at(1))).toBe(true);
    });
  });

  describe('groups', () => {
    it('round-trips groups and lists them by name', async () => {
      const directory = group('GRP-2', 'Approvers', { source: 'directory', directoryRef: 'slack:S1', description: 'on call' });
      await store().transaction(async (tx) => {
        await tx.insertGroup(group('GRP-1', 'zeta'));
        await tx.insertGroup(directory);
      });
      expect(await store().read((tx) => tx.getGroup('GRP-2'))).toEqual(directory);
      expect(await store().read((tx) => tx.getGroup('GRP-404'))).toBeUndefined();
      expect((await store().read((tx) => tx.listGroups())).map((g) => g.id)).toEqual(['GRP-2', 'GRP-1']);
    });

    it('finds groups by name regardless of case and refuses a name that differs only in case', async () => {
      await store().transaction((tx) => tx.insertGroup(group('GRP-1', 'Security Approvers')));
      expect((await store().read((tx) => tx.findGroupByName('security APPROVERS')))?.id).toBe('GRP-1');
      expect((await store().read((tx) => tx.findGroupByName('Security Approvers')))?.name).toBe('Security Approvers');
      expect(await store().read((tx) => tx.findGroupByName('other'))).toBeUndefined();
      await expect(store().transaction((tx) => tx.insertGroup(group('GRP-2', 'SECURITY approvers')))).rejects.toThrow();
    });

    it('adds and removes members, telling whether anything changed', async () => {
      await store().transaction((tx) => tx.insertGroup(group('GRP-1', 'g')));
      const results = await store().transaction(async (tx) => [
        await tx.addGroupMember('GRP-1', 'P-2', at(1)),
        await tx.addGroupMember('GRP-1', 'P-1', at(2)),
        await tx.addGroupMember('GRP-1', 'P-2', at(3)),
      ]);
      expect(results).toEqual([true, true, false]);
      expect(await store().read((tx) => tx.listGroupMemberIds('GRP-1'))).toEqual(['P-2', 'P-1']);
      expect(await store().transaction((tx) => tx.removeGroupMember('GRP-1', 'P-2'))).toBe(true);
      expect(await store().transaction((tx) => tx.removeGroupMember('GRP-1', 'P-2'))).toBe(false);
      expect(await store().read((tx) => tx.listGroupMemberIds('GRP-1'))).toEqual(['P-1']);
      expect(await store().read((tx) => tx.listGroupMemberIds('GRP-404'))).toEqual([]);
    });
  });

  describe('policies', () => {
    it('round-trips a policy with every field set', async () => {
      const full = policy('POL-1', 'Exchange\\Search-Mailbox', {
        target: { type: 'roleGroup', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' },
        approval: 'auto', approverGroupId: 'GRP-1', approvalsRequired: 2, defaultDurationSeconds: 1800,
        maxDurationSeconds: 28800, reasonRequired: true, reasonPattern: '^INC-\\d+$', reasonHint: 'incident',
        eligibleGroupId: 'GRP-2', escalationGroupId: 'GRP-3', updatedAt: at(5), onCall: ['pagerduty:PSCHED1', 'opsgenie:Exchange Ops'],
      });
      await store().transaction((tx) => tx.insertPolicy(full));
      expect(await store().read((tx) => tx.getPolicy('POL-1'))).toEqual(full);
      expect(await store().read((tx) => tx.getPolicy('POL-404'))).toBeUndefined();
    });

    it('finds a policy by target key (the lower-cased name) and refuses a second policy on a target', async () => {
      await store().transaction((tx) => tx.insertPolicy(policy('POL-1', 'Exchange\\Search-Mailbox')));
      expect((await store().read((tx) => tx.findPolicyByTargetKey('exchange\\search-mailbox')))?.id).toBe('POL-1');
      expect(await store().read((tx) => tx.findPolicyByTargetKey('exchange\\other'))).toBeUndefined();
      await expect(store().transaction((tx) => tx.insertPolicy(policy('POL-2', 'EXCHANGE\\search-mailbox')))).rejects.toThrow();
    });

    it('lists, updates and deletes policies', async () => {
      await store().transaction(async (tx) => {
        await tx.insertPolicy(policy('POL-1', 'Exchange\\Z'));
        await tx.insertPolicy(policy('POL-2', 'Exchange\\A'));
      });
      expect((await store().read((tx) => tx.listPolicies())).map((p) => p.id)).toEqual(['POL-2', 'POL-1']);
      const updated = policy('POL-1', 'Exchange\\Z', { approval: 'auto', reasonRequired: true, maxDurationSeconds: 60, updatedAt: at(9) });
      await store().transaction((tx) => tx.updatePolicy({ ...updated, createdAt: at(100) }));
      expect(await store().read((tx) => tx.getPolicy('POL-1'))).toEqual({ ...updated, createdAt: T0 });
      await store().transaction((tx) => tx.deletePolicy('POL-2'));
      expect((await store().read((tx) => tx.listPolicies())).map((p) => p.id)).toEqual(['POL-1']);
    });
  });
}
