import { describe, expect, it } from 'vitest';
import { at, group, policy, principal, T0 } from './fixtures.js';
import type { CurrentStore } from './store-contract.js';

/** Settings, principals, groups, policies, and transaction semantics. */
export function describeDirectoryContract(store: CurrentStore): void {
  describe('transactions', () => {
    it('commits the work of a transaction and returns its result', async () => {
      const result = await store().transaction(async (tx) => {
        await tx.insertPrincipal(principal('P-1', ['slack:U1']));
        return 42;
      });
      expect(result).toBe(42);
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toBeDefined();
    });

    it('rolls everything back when the work throws', async () => {
      await expect(store().transaction(async (tx) => {
        await tx.insertPrincipal(principal('P-1', ['slack:U1']));
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
    it('round-trips a principal with its identities in the order given', async () => {
      const p = principal('P-1', ['teams:abc', 'slack:U1'], { displayName: 'Alice', email: 'alice@example.com' });
      await store().transaction((tx) => tx.insertPrincipal(p));
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toEqual(p);
      expect(await store().read((tx) => tx.getPrincipal('P-404'))).toBeUndefined();
    });

    it('keeps a principal without identities', async () => {
      await store().transaction((tx) => tx.insertPrincipal(principal('P-1', [])));
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toEqual(principal('P-1', []));
    });

    it('gets several principals at once, in the order asked, skipping unknown and repeated ids', async () => {
      await store().transaction(async (tx) => {
        await tx.insertPrincipal(principal('P-1', ['slack:U1', 'teams:t1']));
        await tx.insertPrincipal(principal('P-2', ['slack:U2']));
        await tx.insertPrincipal(principal('P-3', ['slack:U3']));
      });
      const found = await store().read((tx) => tx.getPrincipals(['P-3', 'P-404', 'P-1', 'P-3']));
      expect(found).toEqual([principal('P-3', ['slack:U3']), principal('P-1', ['slack:U1', 'teams:t1'])]);
      expect(await store().read((tx) => tx.getPrincipals([]))).toEqual([]);
    });

    it('finds a principal by any of its identities, with all identities', async () => {
      await store().transaction(async (tx) => {
        await tx.insertPrincipal(principal('P-1', ['slack:U1', 'teams:t1']));
        await tx.insertPrincipal(principal('P-2', ['slack:U2']));
      });
      expect(await store().read((tx) => tx.findPrincipalByIdentity('teams:t1'))).toEqual(principal('P-1', ['slack:U1', 'teams:t1']));
      expect(await store().read((tx) => tx.findPrincipalByIdentity('slack:U404'))).toBeUndefined();
    });

    it('stores emails lower-cased and finds them regardless of case', async () => {
      await store().transaction((tx) => tx.insertPrincipal(principal('P-1', ['slack:U1'], { email: 'Alice@Example.COM' })));
      const found = await store().read((tx) => tx.findPrincipalByEmail('ALICE@example.com'));
      expect(found?.id).toBe('P-1');
      expect(found?.email).toBe('alice@example.com');
      expect(await store().read((tx) => tx.findPrincipalByEmail('bob@example.com'))).toBeUndefined();
    });

    it('adds identities after the existing ones; adding one twice changes nothing', async () => {
      await store().transaction(async (tx) => {
        await tx.insertPrincipal(principal('P-1', ['slack:U1']));
        await tx.addIdentity('P-1', 'teams:t1');
        await tx.addIdentity('P-1', 'slack:U9');
        await tx.addIdentity('P-1', 'teams:t1');
      });
      expect((await store().read((tx) => tx.getPrincipal('P-1')))?.identities).toEqual(['slack:U1', 'teams:t1', 'slack:U9']);
    });

    it('orders bulk-loaded identities (no position given) by the time they were added', async () => {
      await store().transaction((tx) => tx.insertPrincipal(principal('P-1', [])));
      await store().db.insertInto('principal_identities').values([
        { identity: 'slack:U2', principal_id: 'P-1', added_at: at(2) },
        { identity: 'slack:U1', principal_id: 'P-1', added_at: at(1) },
      ]).execute();
      expect((await store().read((tx) => tx.getPrincipal('P-1')))?.identities).toEqual(['slack:U1', 'slack:U2']);
    });

    it('refuses an identity that belongs to another principal', async () => {
      await store().transaction(async (tx) => {
        await tx.insertPrincipal(principal('P-1', ['slack:U1']));
        await tx.insertPrincipal(principal('P-2', ['slack:U2']));
      });
      await expect(store().transaction((tx) => tx.addIdentity('P-2', 'slack:U1'))).rejects.toThrow(/already belongs/);
      await expect(store().transaction((tx) => tx.insertPrincipal(principal('P-3', ['slack:U2'])))).rejects.toThrow();
    });

    it('updates the profile', async () => {
      await store().transaction(async (tx) => {
        await tx.insertPrincipal(principal('P-1', ['slack:U1']));
        await tx.updatePrincipalProfile('P-1', { displayName: 'Alice', email: 'ALICE@example.com' });
      });
      expect(await store().read((tx) => tx.getPrincipal('P-1')))
        .toEqual(principal('P-1', ['slack:U1'], { displayName: 'Alice', email: 'alice@example.com' }));
      await store().transaction((tx) => tx.updatePrincipalProfile('P-1', { displayName: null, email: null }));
      expect(await store().read((tx) => tx.getPrincipal('P-1'))).toEqual(principal('P-1', ['slack:U1']));
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
        eligibleGroupId: 'GRP-2', escalationGroupId: 'GRP-3', updatedAt: at(5),
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
