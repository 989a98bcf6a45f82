import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTeamsHarness, TENANT, USERS, type TeamsHarness } from '../helpers/teams-harness.js';
import { settledAudit } from '../helpers/audit.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const OTHER_TENANT = '11111111-1111-4111-8111-111111111111';
let h: TeamsHarness;

// The identity issue's Teams attacks, replayed as activities over real HTTP.
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startTeamsHarness({ database });
    await h.elevate.createGroup(h.operator, 'approvers');
    for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
    await h.elevate.createPolicy(h.operator, { target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers' });
  });
  afterEach(async () => h.close());

  const activity = (extra: Record<string, unknown>) => ({
    type: 'message', id: `a-${Math.random()}`, timestamp: new Date().toISOString(), serviceUrl: h.connector.url, channelId: 'msteams', text: 'status',
    from: { id: USERS.carol!.mri, aadObjectId: USERS.carol!.aad, name: 'Carol' }, recipient: { id: '28:bot' },
    conversation: { id: `a:personal-${USERS.carol!.aad}`, conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
    ...extra,
  });

  it('an activity from another tenant is refused before any handler runs, and audited', async () => {
    const foreign = await h.post(activity({
      conversation: { id: 'a:personal-x', conversationType: 'personal', tenantId: OTHER_TENANT }, channelData: { tenant: { id: OTHER_TENANT } },
    }));
    expect(foreign.status).toBe(403);
    const mixed = await h.post(activity({ channelData: { tenant: { id: OTHER_TENANT } } }));
    expect(mixed.status).toBe(403);
    const none = await h.post(activity({ conversation: { id: 'a:personal-x', conversationType: 'personal' }, channelData: {} }));
    expect(none.status).toBe(403);
    expect(h.connector.activitiesIn('a:personal-x')).toEqual([]);
    const refused = await settledAudit(h.server.engine, { action: 'identity.refused', limit: 10 });
    expect(refused.map((r) => r.actorIdentity)).toEqual([`teams:${USERS.carol!.aad}@${OTHER_TENANT}`, `teams:${USERS.carol!.aad}@${OTHER_TENANT}`, `teams:${USERS.carol!.aad}`]);
  });

  it('an activity naming a serviceUrl that is not a Bot Connector address is refused: replies (and the token) never go there', async () => {
    const reply = await h.post(activity({ serviceUrl: 'https://attacker.example/' }));
    expect(reply.status).toBe(403);
    expect((await settledAudit(h.server.engine, { action: 'teams.activityRefused', limit: 5 }))[0]!.subject).toBe('https://attacker.example/');
  });

  it('a tenant user the roster does not know, or a guest, gets no principal', async () => {
    h.connector.addUser({ id: '29:guest', aadObjectId: 'aad-guest', name: 'Guest', email: 'guest@example.com', tenantId: TENANT, userRole: 'guest' });
    h.connector.addConversation({ id: 'a:personal-ghost', type: 'personal', members: [] });
    h.connector.addConversation({ id: 'a:personal-guest', type: 'personal', members: ['29:guest'] });
    await h.post(activity({ from: { id: '29:ghost', aadObjectId: 'aad-ghost', name: 'Ghost' }, conversation: { id: 'a:personal-ghost', conversationType: 'personal', tenantId: TENANT } }));
    await h.post(activity({ from: { id: '29:guest', aadObjectId: 'aad-guest', name: 'Guest' }, conversation: { id: 'a:personal-guest', conversationType: 'personal', tenantId: TENANT } }));
    expect(JSON.stringify(h.connector.activitiesIn('a:personal-ghost'))).toContain('Your account is not a member of the workspace or tenant connected to Elevate');
    expect(JSON.stringify(h.connector.activitiesIn('a:personal-guest'))).toContain('Guest accounts cannot use Elevate');
    for (const identity of ['teams:aad-ghost', 'teams:aad-guest']) {
      expect(await h.server.engine.store.read((tx) => tx.findPrincipalByIdentity(identity))).toBeUndefined();
    }
  });

  it('a user of another tenant, even in a conversation of ours, is a stranger (the roster says where they are from)', async () => {
    h.connector.addUser({ id: '29:bob', aadObjectId: 'aad-bob', name: 'Bob', email: 'carol@example.com', tenantId: OTHER_TENANT });
    h.connector.addConversation({ id: 'a:personal-bob', type: 'personal', members: ['29:bob'] });
    await h.post(activity({ from: { id: '29:bob', aadObjectId: 'aad-bob', name: 'Bob' }, conversation: { id: 'a:personal-bob', conversationType: 'personal', tenantId: TENANT } }));
    expect(JSON.stringify(h.connector.activitiesIn('a:personal-bob'))).toContain('This organisation is not connected to Elevate');
    expect(await h.server.engine.store.read((tx) => tx.findPrincipalByIdentity('teams:aad-bob'))).toBeUndefined();
  });
});
